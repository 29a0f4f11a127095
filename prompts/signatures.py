"""DSPy Signatures of the agent: the instructions the LM reads live in these docstrings."""

from __future__ import annotations

import dspy


class PlanResearch(dspy.Signature):
    """Plan how to research a question in a collection of documents.

    If the question asks about a single thing, return it unchanged as the only sub-question. If it combines
    several parts, compares things, or needs one fact to find another, split it into at most three
    self-contained sub-questions. Then write short keyword search queries that together would find passages
    answering every sub-question: use the key terms, synonyms and names, not full sentences."""

    question: str = dspy.InputField()
    sub_questions: list[str] = dspy.OutputField(desc="1 to 3 self-contained sub-questions")
    queries: list[str] = dspy.OutputField(desc="2 to 4 keyword search queries")


class AnswerWithCitations(dspy.Signature):
    """Answer the question using only the numbered passages.

    Write three to six sentences that explain the answer. End every sentence with the number of the passage
    that supports it in square brackets, like [2] or [1][3]; cite at least two different passages when they
    are relevant. Use only numbers from the passage list and never state anything the passages do not say.
    If the passages do not answer the question, say that the collection does not cover it and cite nothing."""

    question: str = dspy.InputField()
    passages: str = dspy.InputField(desc="numbered passages, each as [n] title: text")
    answer: str = dspy.OutputField(desc="the answer, each sentence followed by its [n] citation")
