"""The short answer named in a follow-up turn, when the draft wrote a sentence where a phrase was asked for.

The draft writes its sentences and, in the same reply, "the answer in a few words"; a 1.5B model writes a sentence
there more often than not ("Nigeria is named after the Niger River."), and cutting it without an LM
(agent/checks/short.py) keeps the wrong side as often as the right one. Asked again in one more turn of the same
conversation (the draft's prompt, its reply, then "the answer in a few words, nothing else"), the same model names
the phrase; the engine has just evaluated that whole prompt, so only the new turn's ~90 tokens are (a separate
prompt of the question and the sentences, ~340 tokens, was mostly evaluated anew after each draft in a first run of
it, stopped after 15 questions). The call is spent only where it can pay: the question asks for a fact (not how or
why, where the sentences are the answer: `agent/loop/shape.py`), and the drafted short answer is longer than three
words, not already a yes or no to a yes/no question or one of the two options a question offers. The phrase is
tidied like the draft's own, and one the answer's sentences and cited passages do not bear out, or "unknown", leaves
the draft's in place.
"""

from __future__ import annotations

from typing import Any

import dspy

from sleuth.agent.checks.short import UNKNOWN, is_phrase, said_in, tidy_short_answer
from sleuth.agent.loop.shape import asks_for_explanation
from sleuth.agent.loop.trace import Trace
from sleuth.agent.loop.verify import Verified
from sleuth.prompts.bounded import PHRASE_CHARS, whole_words
from sleuth.prompts.signatures import NAME_THE_ANSWER
from sleuth.schema import Usage

PHRASE_TOKENS = 24  # a phrase of PHRASE_CHARS characters, with room for a closing quote


class ShortAnswer(dspy.Module):
    def forward(self, trace: Trace, question: str, verified: Verified, stated: bool = False) -> str:
        """The short answer of `verified` (a checked draft): its own, tidied, unless the draft wrote a sentence
        there and one follow-up turn of the draft's conversation names a phrase its sentences bear out. With
        `stated` (a step of a chain, whose answer the next step is built on), a phrase the sentences do not state
        ("1997" beside "the British took Hong Kong in 1842") is asked for again too."""
        tidied, drafted = verified.short, verified.drafted
        if not verified.said or not verified.exchange:
            return tidied
        unstated = stated and not said_in(tidied, verified.said)
        if not unstated and (asks_for_explanation(question) or is_phrase(drafted, tidied, question)):
            return tidied
        turn = NAME_THE_ANSWER.format(question=question)
        budget = trace.budget
        if not budget.allows_llm_call(prompt_chars=len(turn)) or budget.left < budget.expected_call_seconds(len(turn)):
            return tidied
        with trace.stage("short", failing="naming the short answer") as stage:
            text = stage.request(lambda: _follow_up(dspy.settings.lm, verified.exchange, turn), len(turn))
            named = tidy_short_answer(whole_words(text[:PHRASE_CHARS]), question, verified.said, verified.support)
            short = tidied if named.lower() == UNKNOWN else named
            stage.note(drafted=drafted, named=named, short_answer=short)
            return short
        return tidied  # the draft's short answer stands; the answer itself is already written


def _follow_up(lm: Any, exchange: list[dict[str, str]], turn: str) -> tuple[str, Usage]:
    """One more user turn after the draft's exchange; the reply's first line and what the call cost."""
    from dspy.lm15 import Config, Message, Request

    system = next((m["content"] for m in exchange if m["role"] == "system"), None)
    turns = [m for m in exchange if m["role"] != "system"]
    said = [(Message.assistant if m["role"] == "assistant" else Message.user)(m["content"]) for m in turns]
    temperature = (getattr(lm, "kwargs", None) or {}).get("temperature")
    request = Request(
        model=str(lm.model),
        system=system,
        messages=(*said, Message.user(turn)),
        config=Config(max_tokens=PHRASE_TOKENS, temperature=temperature),
    )
    response = lm(request)
    text = (response.message.text or "").strip().splitlines()
    spent = response.usage
    usage = Usage(
        llm_calls=1,
        input_tokens=spent.input_tokens or 0,
        output_tokens=spent.output_tokens or 0,
        cached_tokens=spent.cache_read_tokens or 0,
    )
    return (text[0].strip(" \"'`") if text else ""), usage


__all__ = ["ShortAnswer"]
