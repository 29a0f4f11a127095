"""An answer composed of its parts, each drafted and verified over its own evidence: the parts' sentences in the
question's order, their citations numbered over the evidence of all of them, a part nothing answered said plainly,
and the short answer decided from the parts' (a yes/no question about several things is yes only when every part
is, or any part for "either"; otherwise each part's own phrase, labelled, when every part has one).
"""

from __future__ import annotations

import re

from sleuth.agent.checks.attribution import distinct, spans_of
from sleuth.agent.checks.citations import resolve_citations
from sleuth.agent.checks.sentences import evidence_holds
from sleuth.agent.checks.short import UNKNOWN
from sleuth.agent.loop.parts import Part
from sleuth.agent.loop.verify import Verified
from sleuth.lexicon import YES_NO_QUESTION
from sleuth.prompts.signatures import CitedSentence, render_sentences
from sleuth.schema import Hit

PHRASE_WORDS = 4  # a part's short answer longer than this is a cut sentence, not a phrase to list
_ANY = re.compile(r"\b(?:either|any|one of|at least one)\b", re.I)


def compose(question: str, parts: list[Part], answers: list[Verified | None]) -> tuple[Verified, list[Hit]]:
    """The parts' answers as one: text, citations over the evidence of every part (returned with it)."""
    evidence: list[Hit] = []
    sentences: list[CitedSentence] = []
    unanswered: list[str] = []
    left_out: list[str] = []
    for part, answer in zip(parts, answers, strict=True):
        if answer is None or not answer.cited:
            if part.label.endswith("?") and evidence_holds(part.question, part.evidence):
                left_out.append(part.label.rstrip("?"))  # its passages hold it: the draft's miss, not "not found"
            else:
                unanswered.append(part.label)
            continue
        numbers = {}
        for n, hit in enumerate(part.evidence, 1):
            if hit.chunk_id not in {h.chunk_id for h in evidence}:
                evidence.append(hit)
            numbers[n] = next(i for i, h in enumerate(evidence, 1) if h.chunk_id == hit.chunk_id)
        sentences += [CitedSentence(text=s.text, sources=[numbers[n] for n in s.sources]) for s in answer.cited]
    sentences = distinct(sentences)  # two parts on one paper may draft the same sentence from its passage
    text, citations, _ = resolve_citations(render_sentences(sentences), evidence, spans_of(sentences, evidence))
    works = [label for label in unanswered if not label.endswith("?")]
    asked = [label.rstrip("?") for label in unanswered if label.endswith("?")]  # a sub-question or a step
    if works and sentences:
        text += f" The passages found say nothing of this for {_listed(works)}."
    if left_out and sentences:
        text += f" This answer leaves out: {'; '.join(left_out)}."
    if asked and sentences:
        text += f" The passages found do not answer: {'; '.join(asked)}."
    said = [s.text for a in answers if a is not None for s in a.cited]
    lost = sum(a.lost for a in answers if a is not None)
    composed = Verified(text, citations, "", lost, len(sentences), said, cited=sentences)
    composed.short = short_of(question, parts, answers)
    return composed, evidence


def short_of(question: str, parts: list[Part], answers: list[Verified | None]) -> str:
    """The composed short answer: yes/no over the parts for a yes/no question, else each part's own, labelled."""
    shorts = [a.short.strip() if a is not None else "" for a in answers]
    if YES_NO_QUESTION.match(question.strip()):
        verdicts = [s.lower() for s in shorts if s.lower() in ("yes", "no")]
        if len(verdicts) == len(parts):
            agree = any if _ANY.search(question) else all
            return "yes" if agree(v == "yes" for v in verdicts) else "no"
    known = [f"{part.label}: {s}" for part, s in zip(parts, shorts, strict=True) if _phrase(s)]
    return "; ".join(known) if len(known) == len(parts) else UNKNOWN  # sentences, or a part unanswered: none


def _phrase(short: str) -> bool:
    """A short answer that reads as a phrase beside a label (a name, a number), not a cut sentence."""
    return bool(short) and short.lower() != UNKNOWN and len(short.split()) <= PHRASE_WORDS


def _listed(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + f" or {labels[-1]}"


__all__ = ["compose", "short_of"]
