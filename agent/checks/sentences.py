"""LLM-free checks of one answer sentence: does it state anything, and is it written in the reader's voice."""

from __future__ import annotations

import re

from sleuth.lexicon import asked_terms, content_words, holds_term, new_words, split_sentences
from sleuth.prompts.signatures import CitedSentence, split_markers
from sleuth.schema import Hit

MIN_WORDS = 3  # a "sentence" shorter than this ("Arthur!") states nothing a citation could support


def adds_nothing(sentence: CitedSentence, question: str) -> bool:
    """True for a sentence that only restates the question ("FIRST and PRP differ in how an LLM produces a
    ranking [1][2]." for "How do FIRST and PRP differ in how an LLM produces a ranking?"): no word or name of its
    own beyond the question's and words that say nothing (`lexicon.new_words`). Its citation is no answer."""
    return not new_words(split_markers(sentence)[0], question)


def states_something(sentence: CitedSentence) -> bool:
    """False for a "sentence" too short to state anything a citation could support ("Arthur!") and for one that
    asks: the LM restating the question ("The Heinkel HD 23 was held on the craft that were first developed when
    [1][2]?") with the markers of the passages it was shown."""
    body = split_markers(sentence)[0].strip()
    return len(body.split()) >= MIN_WORDS and not body.endswith("?")


_FIRST_PERSON = re.compile(r"^(We|Our)\b")
_INNER_FIRST_PERSON = {"we": "they", "our": "their", "us": "them", "ourselves": "themselves"}


def third_person(sentence: CitedSentence, evidence: list[Hit]) -> CitedSentence:
    """A sentence copied from a paper's own voice ("We propose a RAG pipeline ...") names the work instead: "The
    authors of FIRST propose ..." (the cited passage's method name, or its title)."""
    body, sources = split_markers(sentence)
    if not sources or not re.search(r"\b(?:[Ww]e|[Oo]ur|us|ourselves)\b", body):
        return sentence
    title = (evidence[sources[0] - 1].chunk.title or "").strip()
    method = title.split(":")[0].strip()
    name = method if ":" in title and len(method) <= 40 else (f"“{title}”" if title else "the cited work")
    body = _FIRST_PERSON.sub(lambda m: f"The authors of {name}" if m.group(1) == "We" else f"{name}’s", body)
    body = re.sub(r"\b(we|our|us|ourselves)\b", lambda m: _INNER_FIRST_PERSON[m.group(1)], body)
    return CitedSentence(text=body, sources=sources)


def unanswered_terms(sentences: list[CitedSentence], question: str) -> set[str]:
    """The terms the question asks about (`lexicon.asked_terms`) that no sentence of the answer holds."""
    said = content_words(" ".join(split_markers(s)[0] for s in sentences))
    return {t for t in asked_terms(question) if not holds_term(t, said)}


def evidence_holds(asked: str, evidence: list[Hit]) -> bool:
    """True if one passage of `evidence` holds at least half of the terms `asked` asks about (`lexicon.asked_terms`,
    at least one): the collection has something on it, so an answer without it is the draft's miss, never "not
    found" (#34: "not found" only when no evidence passage holds the part)."""
    terms = asked_terms(asked)
    if not terms:
        return bool(evidence)
    for hit in evidence:
        words = content_words(f"{hit.chunk.title} {hit.chunk.text}")
        if sum(holds_term(t, words) for t in terms) * 2 >= len(terms):
            return True
    return False


ANSWERING_TERMS = 2  # a sentence added to answer must hold at least this many of the terms the answer lacks


def answering_sentence(sentences: list[CitedSentence], question: str, evidence: list[Hit]) -> CitedSentence | None:
    """The answer must answer (#34): when its sentences hold fewer than half of the terms the question asks about,
    the sentence of the cited passages (else of the best passage) that holds the most of the missing ones, at least
    two, cited to its passage; None when the answer is whole or no passage sentence does better."""
    terms = asked_terms(question)
    missing = unanswered_terms(sentences, question)
    if len(terms) < 2 or len(missing) * 2 <= len(terms):
        return None
    cited = sorted({n for s in sentences for n in split_markers(s)[1] if 1 <= n <= len(evidence)}) or [1]
    written = {" ".join(split_markers(s)[0].split()).lower() for s in sentences}
    best: tuple[int, int, str, int] | None = None  # (terms held, -order in the passage, sentence, passage)
    for n in cited[:2]:
        for order, sentence in enumerate(split_sentences(evidence[n - 1].chunk.text)):
            if len(sentence.split()) < MIN_WORDS or " ".join(sentence.split()).lower() in written:
                continue
            held = sum(holds_term(t, content_words(sentence)) for t in missing)
            if held >= ANSWERING_TERMS and (best is None or (held, -order) > best[:2]):
                best = (held, -order, sentence, n)
    if best is None:
        return None
    return CitedSentence(text=" ".join(best[2].split())[:500], sources=[best[3]])


__all__ = [
    "MIN_WORDS",
    "adds_nothing",
    "answering_sentence",
    "evidence_holds",
    "states_something",
    "third_person",
    "unanswered_terms",
]
