"""Reuse: answer from memory when a recent run asked the same thing of the unchanged collection.

Identical questions reuse at once. A similar one is reused only if the LM judges the two the same question (one
short call): near misses such as "directors" vs "producers" score 0.92 cosine, so similarity alone is not trusted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import dspy

from sleuth.agent.loop.trace import Trace
from sleuth.prompts.signatures import SameQuestion

if TYPE_CHECKING:
    from sleuth.memory.recall import Recollection


class Reuse(dspy.Module):
    def __init__(self) -> None:
        super().__init__()
        self.same_question = dspy.Predict(SameQuestion)

    def forward(self, trace: Trace, question: str, memory: Recollection) -> bool:
        """True if memory's candidate answer is to be returned; otherwise memory forgets the candidate."""
        from sleuth.memory.recall import is_identical

        assert memory.reuse is not None
        past = memory.reuse
        with trace.stage("recall") as stage:  # an unsure judge (a failed call) means: do the research
            stage.note(run_id=past.run_id, question=past.question, similarity=past.similarity)
            same = is_identical(question, past.question, past.similarity)
            if not same and trace.budget.allows_llm_call(reserve=1, optional=True):
                prediction = stage.attempt(self.same_question, earlier=past.question, new=question)
                same = prediction is not None and prediction.same is True
            stage.note(reused=same)
        if not same:
            memory.reuse = memory.reused_answer = None
        return same
