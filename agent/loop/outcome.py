"""What a run returns: the Answer, from what it verified and found, or a past run's answer reused."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sleuth.agent.loop.report import Written
from sleuth.agent.loop.research import Research
from sleuth.agent.loop.trace import Trace, unique_docs
from sleuth.agent.loop.verify import NOT_FOUND, Verified, extractive_answer
from sleuth.schema import Answer, Report
from sleuth.tools.embedder import Embedder

if TYPE_CHECKING:
    from sleuth.memory.recall import Recollection


def answer_of(trace: Trace, embedder: Embedder, research: Research, verified: Verified | None, question: str) -> Answer:
    """The Answer of a run: the verified answer (or, when the LM failed and evidence exists, the evidence's key
    sentences, each cited; else: not found) with everything the run found and did."""
    trace.check()
    if verified is None and research.evidence and (trace.lm_failed or trace.errors):
        why = trace.errors[-1] if trace.errors else "the LM wrote no answer"
        verified, research.evidence = extractive_answer(trace, embedder, research.question, research.evidence, why)
    if verified is None or not verified.citations:
        text, citations, short = NOT_FOUND, [], "unknown"
    else:
        text, citations, short = verified.text, verified.citations, verified.short
    memory = research.memory
    return Answer(
        question=question,
        answer=text,
        short_answer=short,
        citations=citations,
        retrieved=unique_docs(research.pool),
        sub_questions=research.sub_questions,
        queries=research.queries,
        searches=trace.searches,
        evidence=research.seen({c.chunk_id for c in citations}),
        path=research.path,
        standalone=research.question if research.question != question else "",
        steps=trace.steps,
        usage=trace.budget.usage,
        error="; ".join(dict.fromkeys(trace.errors)) or None,  # the same failure twice is said once
        memory=memory.report(reused=False, plan_used=bool(memory.plan)) if memory else None,
    )


def report_of(trace: Trace, written: Written, question: str) -> Report:
    """The Report of a run: its overview and sections as one text under `## title` lines, and its citations."""
    parts = [written.overview, *(f"## {s.title}\n{s.text}" for s in written.sections)]
    text = "\n\n".join(p for p in parts if p.strip()) or NOT_FOUND
    return Report(
        question=question,
        answer=text,
        overview=written.overview,
        sections=written.sections,
        citations=written.citations,
        retrieved=unique_docs(written.pool),
        searches=trace.searches,
        evidence=Research(question, pool=written.pool, evidence=written.read).seen(
            {c.chunk_id for c in written.citations}
        ),
        path="report",
        steps=trace.steps,
        usage=trace.budget.usage,
        error="; ".join(dict.fromkeys(trace.errors)) or None,
    )


def reused_answer(trace: Trace, memory: Recollection, question: str) -> Answer:
    """A past run's answer, given again: the collection has not changed since, and the question is the same."""
    past = memory.reused_answer
    assert past is not None
    return Answer(
        question=question,
        answer=past.answer,
        short_answer=past.short_answer,
        citations=past.citations,
        retrieved=past.retrieved,
        sub_questions=past.sub_questions,
        steps=trace.steps,
        usage=trace.budget.usage,
        path="memory",
        model=past.model,  # who wrote it: the run it is reused from
        memory=memory.report(reused=True, plan_used=False),
    )
