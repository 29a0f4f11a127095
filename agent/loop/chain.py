"""Questions answered in steps: "What is the seat of the county where X is located?" is "Which county is X in?"
then "What is the seat of #1?". A small model reading both steps' passages at once stops at the first entity it
recognises (the county) and names it as the answer; asked one step at a time, each over its own evidence, with
the earlier answer written into the next step's question and its search, it names the last.

`looks_chained` is the LLM-free cue that a question may be a chain (a relative clause, a possessive, "the X of Y");
`Chain` asks the LM once to split it into steps (later steps name earlier answers as #1, #2); a split without such
a reference is no chain, and the question is answered as before. `resolved` writes the answers into a step.
"""

from __future__ import annotations

import re

import dspy

from sleuth.agent.loop.plan import clean_list
from sleuth.agent.loop.trace import Trace
from sleuth.lexicon import content_words
from sleuth.prompts.signatures import ChainQuestion
from sleuth.settings import AgentSettings

MAX_HOPS = 4
_RELATIVE = re.compile(r"\S\s+(?:where|which|that|who|whose|whom)\s+\S", re.I)
_POSSESSIVE = re.compile(r"\w(?:'s|s')\s+[a-z]")
_OF_SOMETHING = re.compile(r"\bthe\s+[a-z]+(?:\s+[a-z]+)?\s+(?:of|for|in|by)\s+(?:the\s+)?[A-Z0-9\"“]")
_REFERENCE = re.compile(r"#(\d)")


def looks_chained(question: str) -> bool:
    """True if the question may need one fact to find another: it names something by a relation to something
    else ("the county where X is", "X's performer", "the author of X")."""
    text = " ".join(question.split())
    return bool(_RELATIVE.search(text) or _POSSESSIVE.search(text) or _OF_SOMETHING.search(text))


class Chain(dspy.Module):
    def __init__(self, settings: AgentSettings) -> None:
        super().__init__()
        self.settings = settings
        self.split = dspy.Predict(ChainQuestion)

    def forward(self, trace: Trace, question: str) -> list[str]:
        """The question's steps, in order, when it is a chain of at least two; [] otherwise."""
        with trace.stage("steps", failing="splitting the question into steps") as stage:
            if not stage.affords(reserve=2, prompt_chars=len(question), optional=True):
                stage.skip()
                return []
            prediction = stage.call(self.split, question=question)
            steps = [s for s in clean_list(prediction.steps) if s.strip(" ?.") and not restated(s, question)]
            steps = steps[:MAX_HOPS]
            chained = is_chain(steps)
            stage.note(steps=steps, chained=chained)
            return steps if chained else []
        return []


def restated(step: str, question: str) -> bool:
    """True for a "step" that is the whole question again (a small model's habit before the real steps)."""
    said, asked = content_words(step), content_words(question)
    return bool(asked) and len(said & asked) >= 0.9 * len(asked)


def is_chain(steps: list[str]) -> bool:
    """At least two steps, and every step after the first names an earlier answer (#k, k before it)."""
    if len(steps) < 2:
        return False
    for at, step in enumerate(steps[1:], 2):
        refs = [int(n) for n in _REFERENCE.findall(step)]
        if not refs or any(not 1 <= n < at for n in refs):
            return False
    return True


def resolved(step: str, answers: dict[int, str]) -> str:
    """The step with each #k replaced by the answer of step k."""
    return " ".join(_REFERENCE.sub(lambda m: answers.get(int(m.group(1)), m.group(0)), step).split())


__all__ = ["Chain", "is_chain", "looks_chained", "resolved"]
