"""LLM-free multi-hop retrieval: what the first passages name becomes the next round's queries.

A bridge question ("Who directed the film shot in Leland in 1986?") is rarely answered by one passage: the first
round finds the film, and the film's passage names the director. Each round takes the entities (capitalised
names) and titles that the best passages mention but the question does not, searches for them alongside the
question, and fuses everything; no LM is involved, so it costs a few extra searches.
"""

from __future__ import annotations

import re

from sleuth.schema import Hit
from sleuth.tools.search import HybridSearcher, fuse

_NAME = re.compile(
    r"\b[A-Z][\w'’&.-]*(?:\s+(?:of|the|de|la|von|van|and|for|[A-Z][\w'’&.-]*|\d{2,4}))*(?:\s+[A-Z][\w'’&.-]*)?"
)
_SKIP = {
    "The",
    "A",
    "An",
    "In",
    "It",
    "He",
    "She",
    "They",
    "This",
    "That",
    "These",
    "Those",
    "His",
    "Her",
    "Its",
    "Their",
    "On",
    "At",
    "By",
    "For",
    "From",
    "With",
    "As",
    "After",
    "Before",
    "During",
    "When",
    "While",
    "If",
    "However",
    "Although",
    "But",
    "And",
    "Or",
    "Of",
    "To",
    "Is",
    "Was",
    "Are",
    "Were",
    "Who",
    "What",
    "Which",
}


def mentioned_names(text: str, exclude: str, limit: int) -> list[str]:
    """Capitalised names in `text` that `exclude` (the question) does not already contain, in order of appearance."""
    seen: dict[str, None] = {}
    lowered = exclude.lower()
    for match in _NAME.finditer(text):
        name = match.group(0).strip(" .,'’-")
        if len(name) < 3 or name in _SKIP or name.lower() in lowered:
            continue
        seen.setdefault(name, None)
        if len(seen) == limit:
            break
    return list(seen)


def multi_hop_search(
    searcher: HybridSearcher,
    question: str,
    k: int = 40,
    rounds: int = 2,
    expand: int = 3,
    names_per_passage: int = 4,
    first: list[Hit] | None = None,
) -> tuple[list[Hit], list[str]]:
    """Fused hits of all rounds, best first, and every query that was run."""
    queries = [question]
    current = first if first is not None else searcher.search(question, k=k)
    rankings = [current]
    seen_docs: set[str] = set()
    for _ in range(rounds - 1):
        follow: list[str] = []
        for hit in [h for h in current if h.doc_id not in seen_docs][:expand]:
            seen_docs.add(hit.doc_id)
            for name in mentioned_names(hit.chunk.text, question, names_per_passage):
                query = f"{name} {question}"
                if query not in queries:
                    follow.append(query)
        if not follow:
            break
        round_rankings = [searcher.search(q, k=k) for q in follow]
        queries += follow
        rankings += round_rankings
        current = fuse(rankings, weights=[2.0] + [1.0] * (len(rankings) - 1))
    return fuse(rankings, weights=[2.0] + [1.0] * (len(rankings) - 1)), queries
