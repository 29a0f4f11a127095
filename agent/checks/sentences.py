"""LLM-free checks of one answer sentence: does it state anything, and is it written in the reader's voice."""

from __future__ import annotations

import re

from sleuth.lexicon import new_words
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


__all__ = ["MIN_WORDS", "adds_nothing", "states_something", "third_person"]
