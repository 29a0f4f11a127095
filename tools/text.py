"""Sentences and content words: the units the citation check and the passage excerpts work in."""

from __future__ import annotations

import re

# A full stop ends a sentence unless it closes an initial ("E. B. White") or a common abbreviation ("Dr.", "St.").
_SENTENCE_END = re.compile(
    r"(?<=[.!?])(?<!\b[A-Z]\.)(?<!\b(?:Dr|Mr|Ms|St|Jr|Sr|Co|No|vs|al|Mt|Ft)\.)(?<!\b(?:Mrs|Inc|Ltd|Gen|Col|Rev)\.)"
    r"\s+(?=[A-Z0-9\"'(])"
)


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


def sentence_offsets(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, as offsets into `text` itself."""
    spans, start = [], 0
    for boundary in _SENTENCE_END.finditer(text):
        spans.append((start, boundary.start()))
        start = boundary.end()
    spans.append((start, len(text.rstrip())))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 3 or w.isdigit()}


def coverage_of(sentence: str, passage_words: set[str]) -> float:
    """The share of the sentence's content words that the passage holds."""
    words = content_words(sentence)
    return len(words & passage_words) / len(words) if words else 0.0


__all__ = ["content_words", "coverage_of", "sentence_offsets", "split_sentences"]
