"""The short answer asked for on its own, when the draft wrote a sentence where a phrase was asked for.

The draft writes its sentences and, in the same reply, "the answer in a few words"; a 1.5B model writes a sentence
there more often than not ("Nigeria is named after the Niger River."), and cutting it without an LM (agent/short.py)
keeps the wrong side as often as the right one. Asked alone, with the question and the answer's own verified
sentences (a prompt of some 150 tokens, about 2 s here), the same model names the phrase. On the stored adaptive
answers of HotpotQA train100 (which chose this gate) the short answer's F1 went from 0.25 to 0.39 and EM from 0.13
to 0.32 (`evals/short_study.py`); on MuSiQue train100 from 0.10 to 0.13, within noise. The call is spent only where it
can pay: the question asks for a fact (not how or why, where the sentences are the answer: `agent/shape.py`), and
the drafted short answer is longer than three words, not already a yes or no to a yes/no question or one of the two
options a question offers. A phrase the statements do not bear out, or "unknown", leaves the tidied
draft's answer in place.
"""

from __future__ import annotations

import time

import dspy

from sleuth.agent.run import Run, call_lm
from sleuth.agent.shape import asks_for_explanation
from sleuth.agent.short import UNKNOWN, is_phrase, tidy_short_answer
from sleuth.prompts.bounded import whole_words
from sleuth.prompts.signatures import AnswerPhrase

PROMPT_CHARS = 600  # the Signature's instructions, as the budget counts characters of a prompt


class ShortAnswer(dspy.Module):
    def __init__(self) -> None:
        super().__init__()
        self.ask = dspy.Predict(AnswerPhrase)

    def forward(self, run: Run, drafted: str, tidied: str, said: list[str], support: str) -> str:
        """The short answer: `tidied` (the draft's, cut without an LM) unless the draft wrote a sentence there
        (`drafted`), the answer has verified sentences (`said`) and the budget allows a call; then the phrase the
        LM names from those sentences, tidied and checked against them and the cited passages (`support`)."""
        if not said or asks_for_explanation(run.question) or is_phrase(drafted, tidied, run.question):
            return tidied
        started = time.perf_counter()
        statements = " ".join(said)
        chars = PROMPT_CHARS + len(statements) + len(run.question)
        if not run.budget.allows_llm_call(prompt_chars=chars) or run.budget.left < run.budget.expected_call_seconds(
            chars
        ):
            return tidied
        try:
            prediction, _ = call_lm(self.ask, run, retry=False, question=run.question, statements=statements)
        except Exception as exc:  # the tidied short answer stands; the answer itself is already written
            run.fail("asking for the short answer", exc)
            return tidied
        named = tidy_short_answer(whole_words(str(prediction.short_answer or "")), run.question, said, support)
        short = tidied if named.lower() == UNKNOWN else named
        run.record("short", started, llm_calls=1, drafted=drafted, named=named, short_answer=short)
        return short


__all__ = ["ShortAnswer"]
