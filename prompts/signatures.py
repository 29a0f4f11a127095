"""DSPy Signatures of the agent: the instructions the LM reads live in these docstrings."""

from __future__ import annotations

import re
from typing import Literal

import dspy
from pydantic import BaseModel, Field


class PlanResearch(dspy.Signature):
    """Plan how to research a question in a collection of documents.

    If the question asks about a single thing, return it unchanged as the only sub-question and write one
    or two queries. If it combines
    several parts, compares things, or needs one fact to find another, split it into at most three
    self-contained sub-questions. Then write short keyword search queries that together would find passages
    answering every sub-question: use the key terms, synonyms and names, not full sentences."""

    question: str = dspy.InputField()
    sub_questions: list[str] = dspy.OutputField(desc="1 to 3 self-contained sub-questions")
    queries: list[str] = dspy.OutputField(desc="1 to 3 keyword search queries")


class SameQuestion(dspy.Signature):
    """Decide whether two questions ask for exactly the same information, so that one answer serves both.

    Rewordings of one question are the same. Questions that differ in any entity, name, date, number,
    quantity, property or relation asked about are different."""

    earlier: str = dspy.InputField()
    new: str = dspy.InputField()
    same: bool = dspy.OutputField()


class CitedSentence(BaseModel):
    """One sentence of an answer and the numbers of the passages that support it."""

    text: str = Field(max_length=500)
    sources: list[int] = Field(max_length=4)


class CitedAnswer(BaseModel):
    """An answer as a short list of sentences; the bounds keep a small LM from stopping early or rambling."""

    sentences: list[CitedSentence] = Field(min_length=2, max_length=6)


class AnswerWithCitations(dspy.Signature):
    """Answer the question using only the numbered passages.

    Write three to five sentences that explain the answer, each with the numbers of the passages that
    support it (`sources`); use at least two different passages when they are relevant. Use only numbers from
    the passage list and never state anything the passages do not say. If no passage answers the question,
    say so in two sentences with no sources: that the collection does not cover it, and what the passages
    discuss instead."""

    question: str = dspy.InputField()
    passages: str = dspy.InputField(desc="numbered passages, each as [n] title: text")
    answer: CitedAnswer = dspy.OutputField(desc="the answer, one sentence at a time")


MARKER = re.compile(r"\[(\d+)\]")
SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])")


def split_markers(sentence: CitedSentence) -> tuple[str, list[int]]:
    """The sentence's text without inline `[n]` markers, and its sources with those markers added, in order."""
    inline = [int(n) for n in MARKER.findall(sentence.text)]
    text = SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(MARKER.sub("", sentence.text).split()))
    return text, list(dict.fromkeys([*sentence.sources, *inline]))


def render_sentences(sentences: list[CitedSentence]) -> str:
    """The answer text with inline `[n]` markers after each sentence."""
    parts = []
    for sentence in sentences:
        text, sources = split_markers(sentence)
        markers = "".join(f"[{n}]" for n in sources)
        if text and markers:
            body, end = (text[:-1], text[-1]) if text[-1] in ".!?" else (text, "")
            parts.append(f"{body} {markers}{end}")
        elif text:
            parts.append(text)
    return " ".join(parts)


class RankPassages(dspy.Signature):
    """Rank the numbered passages by how well each answers the search query, most relevant first.

    Return every passage number exactly once."""

    query: str = dspy.InputField()
    passages: str = dspy.InputField(desc="numbered passages, each as [n] title: text")
    ranking: list[int] = dspy.OutputField(desc="passage numbers, most relevant first")


class ComparePassages(dspy.Signature):
    """Which of the two passages is more relevant to the search query?"""

    query: str = dspy.InputField()
    passage_a: str = dspy.InputField()
    passage_b: str = dspy.InputField()
    more_relevant: Literal["A", "B"] = dspy.OutputField()
