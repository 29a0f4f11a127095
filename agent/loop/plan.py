"""Plan: sub-questions for a question that asks for several things, and (in the full loop) search queries for each.

A very similar past run's plan replaces the planning call (memory). The planner may return the question unchanged;
a failing LM leaves the question as its own only sub-question, and the run then leans on LLM-free retrieval.
A 1.5B planner also writes statements among its sub-questions ("The Pterocarya is larger than the Cotula."): they
are searched as queries, but they are no part of the question the answer must cover (or say it does not).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import dspy

from sleuth.agent.loop.trace import Trace
from sleuth.prompts.signatures import PlanResearch, RewriteQueries
from sleuth.settings import AgentSettings

if TYPE_CHECKING:
    from sleuth.memory.recall import Recollection


@dataclass
class Planned:
    """The parts of the question (sub-questions) and the searches written for them."""

    sub_questions: list[str] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)


class Plan(dspy.Module):
    def __init__(self, settings: AgentSettings) -> None:
        super().__init__()
        self.settings = settings
        self.plan = dspy.Predict(PlanResearch)
        self.rewrite = dspy.Predict(RewriteQueries)

    def forward(
        self, trace: Trace, question: str, memory: Recollection | None = None, rewrite: bool = True, why: str = ""
    ) -> Planned:
        """Both lists stay empty when neither memory nor the LM can plan within the budget."""
        if memory and memory.plan:
            run_id, subs, queries = memory.plan
            subs = subs[: self.settings.max_sub_questions]
            with trace.stage("plan") as stage:
                stage.note(sub_questions=subs, queries=queries, from_memory=run_id)
            return Planned(subs, queries)
        subs, statements = self._decompose(trace, question, why)
        queries = self._rewrite(trace, question, subs) if rewrite and subs else []
        return Planned(subs, [*statements, *queries])

    def _decompose(self, trace: Trace, question: str, why: str) -> tuple[list[str], list[str]]:
        """(sub-questions, statements the planner wrote instead of questions)."""
        with trace.stage("plan", failing="planning", fatal=True) as stage:
            if not stage.affords(reserve=1, prompt_chars=len(question), optional=True):
                stage.note(skipped="the budget keeps its time for the answer", reason=why)
                return [], []
            prediction = stage.call(self.plan, question=question)
            written = clean_list(prediction.sub_questions)[: self.settings.max_sub_questions]
            subs = [s for s in written if s.endswith("?")]
            statements = [s for s in written if s not in subs]
            stage.note(sub_questions=subs, reason=why)
            if statements:
                stage.note(searched_not_parts=statements)
            return subs, statements
        return [], []  # the LM failed: LLM-free multi-hop search of the question itself

    def _rewrite(self, trace: Trace, question: str, subs: list[str]) -> list[str]:
        with trace.stage("rewrite", failing="rewriting queries") as stage:
            chars = len(question) + sum(map(len, subs))
            if trace.lm_failed or not stage.affords(reserve=1, prompt_chars=chars, optional=True):
                stage.skip()
                return []
            prediction = stage.call(self.rewrite, question=question, sub_questions=subs)
            queries = clean_list(prediction.queries)[: 2 * len(subs) + 1]
            stage.note(queries=queries)
            return queries
        return []  # the sub-questions themselves are still searched


def clean_list(values: Any) -> list[str]:
    if isinstance(values, str):
        values = [values]
    seen: dict[str, None] = {}
    for value in values or []:
        text = " ".join(str(value).split())
        if text:
            seen.setdefault(text, None)
    return list(seen)
