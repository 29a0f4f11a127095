"""Follow-ups: "and what about pairwise?" becomes a question that stands alone before anything is searched.

Only a question that looks like a follow-up (it opens with "and", "what about", "also"..., or leans on a pronoun
with no name of its own) costs an LM call; any other question of a conversation is researched as asked.
"""

from __future__ import annotations

import re

import dspy

from sleuth.agent.loop.trace import Trace
from sleuth.lexicon import NAME_INSIDE
from sleuth.prompts.signatures import StandaloneQuestion

_OPENERS = re.compile(r"^(and|but|also|so|then|what about|how about|and what|and how|why not|what else)\b", re.I)
_PRONOUNS = re.compile(r"\b(it|its|they|them|their|this|that|these|those|he|she|his|her|the former|the latter)\b", re.I)
MAX_FOLLOW_UP_WORDS = 14


def looks_like_follow_up(question: str) -> bool:
    """True for a question that needs the conversation to be understood."""
    text = " ".join(question.split())
    if _OPENERS.search(text):
        return True
    return len(text.split()) <= MAX_FOLLOW_UP_WORDS and bool(_PRONOUNS.search(text)) and not NAME_INSIDE.search(text)


class Contextualise(dspy.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rewrite = dspy.Predict(StandaloneQuestion)

    def forward(self, trace: Trace, question: str, previous: tuple[str, str]) -> str:
        """The question as it stands alone (the question itself when it needs no context or the LM fails)."""
        if not looks_like_follow_up(question) or not trace.budget.allows_llm_call(reserve=1, optional=True):
            return question
        earlier, answer = previous
        with trace.stage("followup") as stage:  # a failure: the follow-up is researched as asked
            prediction = stage.call(
                self.rewrite, previous_question=earlier, previous_answer=answer[:600], question=question
            )
            standalone = " ".join(str(prediction.standalone or "").split()) or question
            stage.note(asked=question, standalone=standalone)
            return standalone
        return question
