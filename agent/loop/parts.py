"""The parts of a question that asks about several works ("How do FIRST and Pairwise Ranking Prompting differ ...?",
"What do GaLore, Fira and SLTrain each propose ...?", "Are both X and Y documentaries?"), found without an LM.

A small model answers one paper at a time well and several at once badly: it restates the question, answers one
and drops the rest, or cites the first paper for a sentence about the second. So each work the question names is a
part, with a question of its own (the question with the other works taken out) and evidence of its own (passages
that name it). A name is a work when the collection's passages name it and it is not a term most of them share
("RAG", "LLM"); two or more works make a question of parts. Parts that are sub-questions (a plan) or hops of a
chain are made elsewhere (agent/loop/plan.py, agent/loop/chain.py) and drafted the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sleuth.lexicon import Tokens
from sleuth.schema import Hit

MAX_PARTS = 4
GENERIC_SHARE = 0.4  # a name more than this share of the pool's documents hold is a term, not a work
POOL_DOCS = 20  # documents of the pool a name is looked for in

_NAME_TOKEN = r"(?:[A-Z][\w+.-]*|[a-z]+[A-Z0-9][\w+.-]*|\d+[A-Za-z][\w-]*)"
_VERSION = r"(?:\s+v\d+(?:\.\d+)?)"
_NAME = re.compile(rf"{_NAME_TOKEN}(?:\s+{_NAME_TOKEN})*{_VERSION}?")
_QUESTION_WORDS = {"how", "what", "which", "who", "why", "when", "where", "are", "is", "do", "does", "did", "was"}
_QUESTION_WORDS |= {"were", "compare", "describe", "explain", "list", "can", "has", "have", "in", "the", "a", "an"}
_CONNECTOR = r"(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|vs\.?|versus|with|against)\s+)(?:the\s+)?"


@dataclass
class Part:
    """One part of a question: what it is about, the question it asks on its own, and its evidence once found."""

    label: str
    question: str
    evidence: list[Hit] = field(default_factory=list)


def named_works(question: str, pool: list[Hit], lookup: Callable[[str], list[Hit]] | None = None) -> list[str]:
    """The works the question lists together, in its order: name-like runs of words ("Pairwise Ranking Prompting",
    "AR2", "RetroMAE v2"; a parenthesised alias kept with its name) that some of the pool's documents name and most
    do not (a name the pool misses counts if `lookup`, a search of the collection, finds a passage naming it).
    A name listed with works the collection holds is a work too when the collection names it nowhere ("How do FIRST
    and Foobar differ?"): its part then has no evidence, and the answer says so. Fewer than two means the question
    names no works to take apart."""
    found = _candidates(question, pool, lookup)
    listed = _coordinated(question, [name for name, _, _ in found], [span for _, _, span in found])
    held = [name for name, holds, _ in found if holds and name in listed]
    return listed[:MAX_PARTS] if len(listed) >= 2 and held else []


def one_work(question: str, pool: list[Hit], lookup: Callable[[str], list[Hit]] | None = None) -> str:
    """The one work the question names ("What speed-up does PEARL achieve, and what problem does it address?"),
    or "" when it names none or several: every part of such a question is about it."""
    held = [name for name, holds, _ in _candidates(question, pool, lookup) if holds]
    return held[0] if len(held) == 1 else ""


def _candidates(
    question: str, pool: list[Hit], lookup: Callable[[str], list[Hit]] | None
) -> list[tuple[str, bool, tuple[int, int]]]:
    """Each name of the question that is not a term most documents share: (name, whether the collection holds it,
    where the question says it)."""
    texts = _documents(pool)
    if not texts:
        return []
    found: list[tuple[str, bool, tuple[int, int]]] = []
    for match in _NAME.finditer(question):
        if question[: match.start()].rstrip().endswith("(") and found:  # "Search Engines (SEAL)": an alias
            continue
        name = match.group(0).strip(" .,;:?")
        words = name.split()
        while words and words[0].lower() in _QUESTION_WORDS:
            words.pop(0)
        name = " ".join(words)
        if len(name) < 2 or name in {n for n, _, _ in found}:
            continue
        holding = sum(names(text, name) for text in texts)
        if not holding and lookup is not None:
            holding = int(any(names(f"{h.chunk.title} {h.chunk.text}", name) for h in lookup(name)[:5]))
        if holding <= max(1, GENERIC_SHARE * len(texts)):  # a term most documents share is no work
            found.append((name, holding > 0, (match.start() + match.group(0).find(name), match.end())))
    return found


def _coordinated(question: str, works: list[str], spans: list[tuple[int, int]]) -> list[str]:
    """The works the question lists together ("X and Y", "X, Y and Z", "X or Y", "X with Y"): a bridge question
    that names a film and a person ("Which film directed by X starred Y?") asks one thing, not two."""
    joined: set[int] = set()
    for i in range(len(works) - 1):
        between = question[spans[i][1] : spans[i + 1][0]]
        between = re.sub(r"^(?:\)|\s*\([^)]*\))", "", between)  # "Engines (SEAL) and X", "(CAR) and X"
        if re.fullmatch(_CONNECTOR, between):
            joined |= {i, i + 1}
    return [work for i, work in enumerate(works) if i in joined]


def work_parts(question: str, works: list[str]) -> list[Part]:
    """One part per work, its question the original with the other works (and "each", "both") taken out."""
    return [Part(work, focused(question, work, [w for w in works if w != work])) for work in works]


def focused(question: str, keep: str, others: list[str]) -> str:
    """The question about `keep` alone: "How do FIRST and PRP differ in ...?" -> "How do FIRST differ in ...?"."""
    text = question
    for other in others:
        name = re.escape(other) + r"(?:\s*\([^)]{2,30}\))?"
        after = re.compile(rf"{_CONNECTOR}{name}")
        before = re.compile(rf"(?:the\s+)?{name}{_CONNECTOR}")
        text = after.sub("", text, count=1) if after.search(text) else before.sub("", text, count=1)
    text = re.sub(r"\b(?:each|both|respectively)\b\s*", "", text)
    text = re.sub(r"^Compare\b", "Describe", text)
    return " ".join(text.split()).replace(" ?", "?").replace(" .", ".")


def names(text: str, name: str) -> bool:
    """True if `text` names `name`: the phrase itself (case aside), or for one word its acronym or a plural. A name
    written in capitals ("FIRST", "PEARL", "AR2") must be so written: "first" is a word, FIRST a method."""
    if " " in name:
        return name.lower() in text.lower()
    if any(c.isupper() for c in name[1:]):
        if re.search(rf"(?<![\w-]){re.escape(name)}s?(?![\w-])", text):
            return True
        letters = name.lower()
        return letters.isalpha() and 3 <= len(letters) <= 6 and letters in Tokens(text).initials
    return Tokens(text).has(name.lower())


def part_evidence(name: str, ranked: list[Hit], limit: int = 2, per_doc: int = 2) -> list[Hit]:
    """The best passages of `ranked` that name `name` (title or text), at most `per_doc` from one document."""
    chosen: list[Hit] = []
    counts: dict[str, int] = {}
    for hit in ranked:
        if counts.get(hit.doc_id, 0) >= per_doc or hit.chunk_id in {h.chunk_id for h in chosen}:
            continue
        if names(f"{hit.chunk.title} {hit.chunk.text}", name):
            chosen.append(hit)
            counts[hit.doc_id] = counts.get(hit.doc_id, 0) + 1
        if len(chosen) == limit:
            break
    return chosen


def _documents(pool: list[Hit]) -> list[str]:
    """The text of the pool's first POOL_DOCS documents (title and every passage of each), one string each."""
    texts: dict[str, str] = {}
    for hit in pool:
        if hit.doc_id not in texts and len(texts) == POOL_DOCS:
            continue
        texts[hit.doc_id] = f"{texts.get(hit.doc_id, hit.chunk.title)} {hit.chunk.text}"
    return list(texts.values())


__all__ = ["Part", "focused", "named_works", "names", "one_work", "part_evidence", "work_parts"]
