"""Does a question ask for several things? An LLM-free test that decides whether planning is worth an LM call.

A bridge question ("Who directed the film shot in Leland?") needs two passages but asks for one thing: the LLM-free
multi-hop search finds the second passage by itself. A question that asks for several things (a comparison, a
choice between two, two questions joined by "and what ...", a list) needs each part searched and covered, and that
is where a plan pays. The cues are words, not a model: they cost microseconds and their accuracy is measured
(`python -m bench.bench_shape`) on HotpotQA's comparison/bridge labels, on MuSiQue (chains, not parts) and
on the demo research questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_COMPARE = re.compile(
    r"\b(both|same|similar|similarities|differ|differs|different|differently|difference|differences|compare|compared"
    r"|comparison|each"
    r"|versus|vs\.?|in common|neither|either|respective|respectively|trade-?offs?|pros and cons)\b|^between\b",
    re.I,
)
_CHOICE = re.compile(
    r"^(?i:which|who|what|is|are|was|were|did|does|do|has|have|had)\b.*\bor\s+(the\s+|a\s+)?[A-Z0-9\"'“]"
)
_JOINED = re.compile(r"\b(and|but)\s+(what|how|why|which|when|where)\b", re.I)
_LIST = re.compile(r"^(list|enumerate)\b|\bwhat are the (main|key|different)\b", re.I)


_EXPLAIN = re.compile(
    r"^(?:how\b(?!\s+(?:to|many|much|long|old|far|big|large|tall|often|few|high|wide|deep)\b)|why\b|explain\b"
    r"|describe\b|in what ways?\b)|\b(?:difference|differences|differ|trade-?offs?|pros and cons|compare"
    r"|how (?:does|do|did|can|could|is|are))\b",
    re.I,
)


@dataclass(frozen=True)
class Shape:
    multi_part: bool
    reason: str
    kind: str = "single"  # comparison, choice, joined, list or single


def question_shape(question: str) -> Shape:
    """Whether `question` asks for several things, and the cue that says so."""
    text = " ".join(question.split())
    if (match := _COMPARE.search(text)) is not None:
        return Shape(True, f"a comparison ('{match.group(0)}')", "comparison")
    if _CHOICE.search(text):
        return Shape(True, "a choice between alternatives ('or')", "choice")
    if (match := _JOINED.search(text)) is not None or text.count("?") > 1:
        cue = match.group(0) if match else "two question marks"
        return Shape(True, f"two questions in one ('{cue}')", "joined")
    if _LIST.search(text):
        return Shape(True, "a request for a list", "list")
    return Shape(False, "one thing asked")


def asks_for_explanation(question: str) -> bool:
    """True if `question` asks how, why, or how things differ: its answer is the sentences, not a phrase. Of the
    shared question sets it flags 1 of 100 HotpotQA train100 questions ("how is ... connected?"), none of 100
    MuSiQue train100 questions, and 7 of the 8 demo research questions."""
    return bool(_EXPLAIN.search(" ".join(question.split())))


__all__ = ["Shape", "asks_for_explanation", "question_shape"]
