"""DSPy Signatures of the agent: the instructions the LM reads live in these docstrings."""

from __future__ import annotations

import re
from typing import Literal

import dspy
from pydantic import BaseModel, Field

from sleuth.prompts.bounded import Hops, Phrase, Queries, SectionTitle, SubQuestions


class PlanResearch(dspy.Signature):
    """Decide whether a question must be decomposed before it is researched in a collection of documents.

    If the question asks about a single thing, return it unchanged as the only sub-question. If it combines
    several parts, compares things, or needs one fact to find another, split it into at most three
    self-contained sub-questions, in the order they must be answered."""

    question: str = dspy.InputField()
    sub_questions: SubQuestions = dspy.OutputField(desc="1 to 3 self-contained sub-questions")


class ChainQuestion(dspy.Signature):
    """Split a question whose answer is found in steps into simple questions, one step each, innermost first.

    Each step asks for one fact about something named. Every step after the first names the answer of an earlier
    step as #1, #2, ... Never repeat the whole question as a step. Examples:
    "Who founded the company that makes the Walkman?" -> ["Which company makes the Walkman?", "Who founded #1?"]
    "What is the seat of the county where Springfield is located?" -> ["Which county is Springfield located in?",
    "What is the seat of #1?"]
    "When was the university where the author of Dune studied founded?" -> ["Who is the author of Dune?",
    "Which university did #1 study at?", "When was #2 founded?"]
    "What river flows through the capital of Hungary's neighbour to the north?" -> ["Which country borders
    Hungary to the north?", "What is the capital of #1?", "What river flows through #2?"]"""

    question: str = dspy.InputField()
    steps: Hops = dspy.OutputField(desc="1 to 4 simple questions; later ones name earlier answers as #1, #2")


class RewriteQueries(dspy.Signature):
    """Write search queries that would find passages answering each sub-question in a collection of documents.

    For every sub-question write one or two short keyword queries: its key terms, names, synonyms and likely
    wording in the documents, not full sentences."""

    question: str = dspy.InputField()
    sub_questions: list[str] = dspy.InputField()
    queries: Queries = dspy.OutputField(desc="2 to 6 keyword search queries")


class JudgeUtility(dspy.Signature):
    """Judge which numbered passages are useful for answering the question.

    A passage is useful only if it states a fact the answer needs (a name, date, number, finding, or a link
    between the things asked about), not merely because it is on the same topic. List the useful passage
    numbers, most useful first."""

    question: str = dspy.InputField()
    passages: str = dspy.InputField(desc="numbered passages, each as [n] title: text")
    useful: list[int] = dspy.OutputField(desc="numbers of the useful passages, most useful first")


class StandaloneQuestion(dspy.Signature):
    """Rewrite a follow-up question so it can be understood without the conversation before it.

    Replace pronouns and omissions ("it", "they", "and what about ...") by what they refer to in the previous
    question and answer. Keep it a short question. If it already stands alone, return it unchanged."""

    previous_question: str = dspy.InputField()
    previous_answer: str = dspy.InputField()
    question: str = dspy.InputField(desc="the follow-up")
    standalone: str = dspy.OutputField(desc="the follow-up as a question that stands alone")


class SameQuestion(dspy.Signature):
    """Decide whether two questions ask for exactly the same information, so that one answer serves both.

    Rewordings of one question are the same. Questions that differ in any entity, name, date, number,
    quantity, property or relation asked about are different."""

    earlier: str = dspy.InputField()
    new: str = dspy.InputField()
    same: bool = dspy.OutputField()


class CitedSentence(BaseModel):
    """One sentence of an answer and the numbers of the passages that support it."""

    # No length bound on the text: as a grammar it cut sentences mid-word, and the LM went on writing the rest
    # of the cut sentence as the next one. The token limit bounds the answer instead (a cut-off draft keeps its
    # complete sentences).
    text: str
    sources: list[int] = Field(max_length=4)


class CitedAnswer(BaseModel):
    """An answer as a short list of sentences; the bounds keep a small LM from stopping early or rambling."""

    sentences: list[CitedSentence] = Field(min_length=2, max_length=3)


class AnswerWithCitations(dspy.Signature):
    """Answer the question using only the numbered passages.

    Write two or three short sentences that answer it, each with the numbers of the passages that state it
    (`sources`), using different passages when they are relevant. Name a paper's method or system instead of
    copying its "we". Never state what the passages do not say. If no passage answers the question, say so in two
    sentences with no sources. Then give the answer your sentences found in a few words (`short_answer`: a name,
    date, number, yes or no, or a short phrase; "unknown" only if the passages do not say). In `missing`, name the
    fact the question needs that the passages do not give (empty if nothing is missing)."""

    question: str = dspy.InputField()
    passages: str = dspy.InputField(desc="numbered passages, each as [n] title: text")
    answer: CitedAnswer = dspy.OutputField(desc="the answer, one sentence at a time")
    short_answer: Phrase = dspy.OutputField(desc="the answer in a few words, or unknown")
    missing: str = dspy.OutputField(desc="what the passages do not say that the question needs; empty if nothing")


class CitedSection(BaseModel):
    """A report section's sentences; the bounds keep a small LM to a paragraph."""

    sentences: list[CitedSentence] = Field(min_length=2, max_length=4)


class WriteSection(dspy.Signature):
    """Write one section of a short report answering the question, using only the numbered passages.

    First a title of a few words naming what these passages have in common (a method, a problem, a finding). Then
    two to four sentences, each saying what one passage states (its method, its result, its numbers), with the
    numbers of the passages that state it (`sources`); cover different passages. Name each paper's method or system
    instead of copying its "we". Never state what the passages do not say."""

    question: str = dspy.InputField()
    passages: str = dspy.InputField(desc="numbered passages, each as [n] title: text")
    title: SectionTitle = dspy.OutputField(desc="a few words")
    section: CitedSection = dspy.OutputField(desc="two to four cited sentences")


class WriteOverview(dspy.Signature):
    """Write the opening paragraph of a short report answering the question, using only the numbered passages.

    Two or three sentences that say what the passages, taken together, answer: the main approaches or findings,
    each sentence with the numbers of the passages it draws on (`sources`). Name methods and systems; never state
    what the passages do not say."""

    question: str = dspy.InputField()
    passages: str = dspy.InputField(desc="numbered passages, each as [n] title: text")
    answer: CitedAnswer = dspy.OutputField(desc="the overview, one sentence at a time")


NAME_THE_ANSWER = (
    'Now reply with only the answer to "{question}": the shortest phrase that answers it, as your sentences state it.'
    " One answer, nothing else."
)  # the follow-up turn after a draft whose short answer was a sentence (agent/loop/phrase.py)


class CheckSupport(dspy.Signature):
    """For each numbered claim, decide whether the passages quoted under it state what the claim says.

    A claim is supported only if the passages say it (in any wording), not if they are merely on the same
    topic or say something different. Return one verdict per claim, in order."""

    claims: str = dspy.InputField(desc="numbered claims, each followed by the passages it cites")
    supported: list[bool] = dspy.OutputField(desc="one true/false verdict per claim, in order")


class ResearchNotes(dspy.Signature):
    """Research the question in a collection of documents with the tools: search with keyword queries, read
    more around a passage or its whole document, and look up past research. Every tool returns numbered
    passages. Finish when the passages found answer every part of the question, or when more searching does
    not help; then write short notes on what was found and which passage numbers say it."""

    question: str = dspy.InputField()
    notes: str = dspy.OutputField(desc="what the passages say, with their numbers")


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
