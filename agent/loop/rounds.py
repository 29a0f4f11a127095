"""When another draft round pays, and what an answer says about what it could not answer: LLM-free rules over the
draft, its verification and the question's parts.
"""

from __future__ import annotations

from sleuth.agent.checks.sentences import evidence_holds
from sleuth.agent.loop.draft import Draft
from sleuth.agent.loop.verify import Verified
from sleuth.lexicon import NO_GAP, Tokens, content_words, names_of
from sleuth.prompts.signatures import AnswerWithCitations
from sleuth.schema import Citation, Hit

MIN_SENTENCES = 1  # an answer left with fewer supported sentences than this after verification is worth a round
_NOT_A_GAP = content_words(  # words of the instructions and of "the passages do not say" phrasings
    AnswerWithCitations.instructions
    + " what asks that does provide information mention mentioned specify specified says state states given "
    "needs about question passages passage answer nothing missing none provided there this these detail details"
)


def meaningful(gap: str, question: str = "") -> bool:
    """A gap worth a search: not "none" or the like, and not the field's own description echoed back (a small LM
    writes "What the question asks that the passages do not say")."""
    new = content_words(gap) - _NOT_A_GAP - content_words(question)  # the question echoed back names no gap
    return gap.strip(" .").lower() not in NO_GAP and len(gap.split()) >= 2 and bool(new)


def gap_of(draft: Draft, question: str) -> str:
    return draft.missing if meaningful(draft.missing, question) else ""


def needs_another_round(draft: Draft, verified: Verified, question: str) -> str:
    """Why one more round would pay, or "" if it would not. A small LM names something "missing" in almost every
    draft, and a second draft over more passages answered worse more often than better on the benchmark's first
    questions (and on HotpotQA and MuSiQue questions 61-63, which chose these rules), so a gap counts only when the
    draft found no short answer, and lost sentences only when none is left."""
    if not verified.knows_answer and meaningful(draft.missing, question):
        return f"the draft found no short answer and names a gap: {draft.missing}"
    if verified.lost and verified.sentences < MIN_SENTENCES:
        return f"verification removed {verified.lost} sentence(s) no passage supports, leaving none"
    return ""


def say_what_is_missing(verified: Verified, draft: Draft, question: str, parts: list[str], evidence: list[Hit]) -> None:
    """The answer says plainly what the collection did not answer: the part of a multi-part question no cited
    passage covers, or, when the short answer is unknown, what the draft named as missing; only when no passage of
    the evidence holds it either (then it is the draft's miss, and "not found" would be untrue)."""
    if not verified.citations:
        return
    uncovered = uncovered_parts(parts, verified.citations)
    holds = {p: evidence_holds(p, evidence) for p in uncovered}
    lacking = [p.rstrip("?") for p in uncovered if not holds[p]]
    held = [p.rstrip("?") for p in uncovered if holds[p]]
    if held:  # the passages hold it and the draft left it out: said, but not as "not found"
        verified.text += f" This answer leaves out: {'; '.join(held)}."
    if lacking:
        verified.text += f" The cited passages do not answer: {'; '.join(lacking)}."
    if uncovered:
        return
    elif (
        meaningful(draft.missing, question)
        and not verified.knows_answer
        and not evidence_holds(draft.missing, evidence)
    ):
        verified.text += f" The collection does not say: {draft.missing.rstrip('.')}."


def uncovered_parts(parts: list[str], citations: list[Citation]) -> list[str]:
    """The parts (sub-questions) no cited passage covers: none names what the part names ("BM25"), or, for a part
    that names nothing, none holds half of its own words (those the other parts do not share)."""
    if len(parts) < 2:
        return []
    words = [{w.rstrip("s") for w in content_words(part)} for part in parts]
    cited = [f"{c.title} {c.text}" for c in citations]
    passages = [Tokens(text) for text in cited]
    stems = [{w.rstrip("s") for w in content_words(text)} for text in cited]
    missing = []
    for i, part in enumerate(parts):
        names = names_of(part)
        own = words[i] - set().union(*(w for j, w in enumerate(words) if j != i))
        if names:
            covered = any(p.has_all(names) for p in passages)
        else:
            covered = not own or any(len(own & passage) >= len(own) / 2 for passage in stems)
        if not covered:
            missing.append(part)
    return missing
