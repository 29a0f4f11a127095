"""Follow-ups: "and what about pairwise?" becomes a question that stands alone before anything is searched.

Only a question that looks like a follow-up (it opens with "and", "what about", "also"..., or leans on a pronoun
with no name of its own) costs an LM call; any other question of a conversation is researched as asked.
"""

from __future__ import annotations

import re
import time

import dspy

from sleuth.agent.loop.run import Run, call_lm, first_line, tokens
from sleuth.prompts.signatures import StandaloneQuestion

_OPENERS = re.compile(r"^(and|but|also|so|then|what about|how about|and what|and how|why not|what else)\b", re.I)
_PRONOUNS = re.compile(r"\b(it|its|they|them|their|this|that|these|those|he|she|his|her|the former|the latter)\b", re.I)
_NAME = re.compile(r"(?<!^)(?<![.?!] )\b[A-Z][A-Za-z0-9-]{2,}")
MAX_FOLLOW_UP_WORDS = 14


def looks_like_follow_up(question: str) -> bool:
    """True for a question that needs the conversation to be understood."""
    text = " ".join(question.split())
    if _OPENERS.search(text):
        return True
    return len(text.split()) <= MAX_FOLLOW_UP_WORDS and bool(_PRONOUNS.search(text)) and not _NAME.search(text)


class Contextualise(dspy.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rewrite = dspy.Predict(StandaloneQuestion)

    def forward(self, run: Run, previous: tuple[str, str]) -> str:
        """The run's question as it stands alone (the question itself when it needs no context or the LM fails)."""
        if not looks_like_follow_up(run.question) or not run.budget.allows_llm_call(reserve=1, optional=True):
            return run.question
        started = time.perf_counter()
        earlier, answer = previous
        try:
            prediction, usage = call_lm(
                self.rewrite, run, previous_question=earlier, previous_answer=answer[:600], question=run.question
            )
        except Exception as exc:  # the follow-up is researched as asked
            run.record("followup", started, llm_calls=1, failed=f"{type(exc).__name__}: {first_line(exc)}")
            return run.question
        standalone = " ".join(str(prediction.standalone or "").split()) or run.question
        run.record("followup", started, llm_calls=1, asked=run.question, standalone=standalone, **tokens(usage))
        return standalone
