"""Reuse: answer from memory when a recent run asked the same thing of the unchanged collection.

Identical questions reuse at once. A similar one is reused only if the LM judges the two the same question (one
short call): near misses such as "directors" vs "producers" score 0.92 cosine, so similarity alone is not trusted.
"""

from __future__ import annotations

import time
from typing import Any

import dspy

from sleuth.agent.loop.run import Run, call_lm, first_line, tokens
from sleuth.prompts.signatures import SameQuestion


class Reuse(dspy.Module):
    def __init__(self) -> None:
        super().__init__()
        self.same_question = dspy.Predict(SameQuestion)

    def forward(self, run: Run) -> bool:
        """True if memory's candidate answer is to be returned; otherwise memory forgets the candidate."""
        from sleuth.memory.recall import is_identical

        memory = run.memory
        assert memory is not None and memory.reuse is not None
        past = memory.reuse
        started = time.perf_counter()
        detail: dict[str, Any] = {"run_id": past.run_id, "question": past.question, "similarity": past.similarity}
        same, calls = is_identical(run.question, past.question, past.similarity), 0
        if not same and run.budget.allows_llm_call(reserve=1, optional=True):
            calls = 1
            try:
                prediction, usage = call_lm(self.same_question, run, earlier=past.question, new=run.question)
                same = prediction.same is True
                detail.update(tokens(usage))
            except Exception as exc:  # an unsure judge means: do the research
                detail["judge_error"] = f"{type(exc).__name__}: {first_line(exc)}"
        run.record("recall", started, llm_calls=calls, **detail, reused=same)
        if not same:
            memory.reuse = memory.reused_answer = None
        return same
