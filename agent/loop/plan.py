"""Plan: sub-questions for a question that asks for several things, and (in the full loop) search queries for each.

A very similar past run's plan replaces the planning call (memory). The planner may return the question unchanged;
a failing LM leaves the question as its own only sub-question, and the run then leans on LLM-free retrieval.
A 1.5B planner also writes statements among its sub-questions ("The Pterocarya is larger than the Cotula."): they
are searched as queries, but they are no part of the question the answer must cover (or say it does not).
"""

from __future__ import annotations

import time
from typing import Any

import dspy

from sleuth.agent.loop.run import Run, call_lm, tokens
from sleuth.prompts.signatures import PlanResearch, RewriteQueries
from sleuth.settings import AgentSettings


class Plan(dspy.Module):
    def __init__(self, settings: AgentSettings) -> None:
        super().__init__()
        self.settings = settings
        self.plan = dspy.Predict(PlanResearch)
        self.rewrite = dspy.Predict(RewriteQueries)

    def forward(self, run: Run, rewrite: bool = True, why: str = "") -> tuple[list[str], list[str]]:
        """(sub-questions, queries); both stay empty when neither memory nor the LM can plan within the budget."""
        memory = run.memory
        if memory and memory.plan:
            run_id, subs, queries = memory.plan
            subs = subs[: self.settings.max_sub_questions]
            run.record("plan", time.perf_counter(), sub_questions=subs, queries=queries, from_memory=run_id)
            return subs, queries
        subs, statements = self._decompose(run, why)
        queries = self._rewrite(run, subs) if rewrite and subs else []
        return subs, [*statements, *queries]

    def _decompose(self, run: Run, why: str) -> tuple[list[str], list[str]]:
        """(sub-questions, statements the planner wrote instead of questions)."""
        started = time.perf_counter()
        if not run.budget.allows_llm_call(reserve=1, prompt_chars=len(run.question), optional=True):
            run.record("plan", started, skipped="the budget keeps its time for the answer", reason=why)
            return [], []
        try:
            prediction, usage = call_lm(self.plan, run, question=run.question)
        except Exception as exc:  # a failing LM degrades to LLM-free multi-hop search of the question itself
            run.fail("planning", exc)
            run.lm_failed = True
            return [], []
        written = clean_list(prediction.sub_questions)[: self.settings.max_sub_questions]
        subs = [s for s in written if s.endswith("?")]
        statements = [s for s in written if s not in subs]
        extra = {"searched_not_parts": statements} if statements else {}
        run.record("plan", started, llm_calls=1, sub_questions=subs, reason=why, **extra, **tokens(usage))
        return subs, statements

    def _rewrite(self, run: Run, subs: list[str]) -> list[str]:
        started = time.perf_counter()
        chars = len(run.question) + sum(map(len, subs))
        if run.lm_failed or not run.budget.allows_llm_call(reserve=1, prompt_chars=chars, optional=True):
            return []
        try:
            prediction, usage = call_lm(self.rewrite, run, question=run.question, sub_questions=subs)
        except Exception as exc:  # the sub-questions themselves are still searched
            run.fail("rewriting queries", exc)
            return []
        queries = clean_list(prediction.queries)[: 2 * len(subs) + 1]
        run.record("rewrite", started, llm_calls=1, queries=queries, **tokens(usage))
        return queries


def clean_list(values: Any) -> list[str]:
    if isinstance(values, str):
        values = [values]
    seen: dict[str, None] = {}
    for value in values or []:
        text = " ".join(str(value).split())
        if text:
            seen.setdefault(text, None)
    return list(seen)
