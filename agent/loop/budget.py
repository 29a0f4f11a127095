"""What one question may spend: LM calls, tokens, steps and seconds, checked before every step so none is exceeded.

A call is allowed only if its worst case still fits: the prompt's tokens estimated from its characters (about
four per token in English; three is used, to err high), the most tokens the LM may write, and its expected seconds.
Time is budgeted like calls: an optional stage (a plan, a judgement, another round) runs only if it leaves the
answer call its reserved share of `max_seconds`, and the answer call itself is given a deadline, so a slow LM
costs depth, never the answer.
"""

from __future__ import annotations

import time

from sleuth.schema import Usage
from sleuth.settings import AgentSettings

PROMPT_OVERHEAD_TOKENS = 600  # a Signature's instructions and output schema, as an adapter formats them
CHARS_PER_TOKEN = 3  # errs high: English runs about four characters to a token
FINISH_SECONDS = 2.0  # kept after the answer call for verification and citation resolution


class Budget:
    def __init__(self, settings: AgentSettings, max_output_tokens: int = 256) -> None:
        self.max_llm_calls = settings.max_llm_calls
        self.max_tokens = settings.max_tokens
        self.max_steps = settings.max_steps
        self.max_seconds = settings.max_seconds
        self.answer_share = settings.answer_seconds_share
        self.max_output_tokens = max_output_tokens
        self.started = time.perf_counter()
        self.usage = Usage()
        self.steps = 0
        self.tokens = 0  # tokens counted against the budget: as reported, or the estimate where none was
        self.call_seconds: list[float] = []

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    @property
    def left(self) -> float:
        return self.max_seconds - self.elapsed

    def call_tokens(self, prompt_chars: int = 0) -> int:
        """The most tokens one call with a prompt of `prompt_chars` characters may use."""
        return prompt_chars // CHARS_PER_TOKEN + PROMPT_OVERHEAD_TOKENS + self.max_output_tokens

    def expected_call_seconds(self, prompt_chars: int = 0) -> float:
        """This run's average call so far; before the first call, the embedded model's measured speed."""
        if self.call_seconds:
            return sum(self.call_seconds) / len(self.call_seconds)
        from sleuth.agent.llm.generation import RATES

        return RATES.seconds(prompt_chars // CHARS_PER_TOKEN + PROMPT_OVERHEAD_TOKENS, self.max_output_tokens // 2)

    def answer_reserve(self, prompt_chars: int = 0) -> float:
        """Seconds kept for the answer call: its share of the budget, or its expected time if that is longer."""
        return max(self.answer_share * self.max_seconds, self.expected_call_seconds(prompt_chars)) + FINISH_SECONDS

    def allows_llm_call(self, reserve: int = 0, prompt_chars: int = 0, optional: bool = False) -> bool:
        """True if one more LM call of this size fits, keeping `reserve` calls for the steps that must follow.
        An `optional` call (not the answer) must also leave the answer call its reserved time."""
        calls = 1 + reserve
        if optional:
            in_time = self.elapsed + self.expected_call_seconds(prompt_chars) + self.answer_reserve() < self.max_seconds
        else:  # the answer call runs whenever time is left: its deadline cuts it short if need be
            in_time = self.elapsed < self.max_seconds - FINISH_SECONDS
        return (
            self.usage.llm_calls + calls <= self.max_llm_calls
            and self.tokens + self.call_tokens(prompt_chars) + reserve * self.call_tokens() <= self.max_tokens
            and self.steps + calls <= self.max_steps
            and in_time
        )

    def allows_tool_call(self, reserve: int = 0) -> bool:
        """True if one more tool call fits, keeping `reserve` LM calls for what follows."""
        return self.steps + 1 + reserve <= self.max_steps and self.elapsed < self.max_seconds

    def answer_deadline(self) -> float:
        """When the answer call must stop generating (a perf_counter time), leaving time to verify and cite."""
        return self.started + self.max_seconds - FINISH_SECONDS

    def charge_call(self, usage: Usage, seconds: float, prompt_chars: int = 0) -> None:
        self.usage.add(usage)
        reported = usage.input_tokens + usage.output_tokens
        self.tokens += reported or self.call_tokens(prompt_chars)
        self.steps += 1
        self.call_seconds.append(seconds)

    def charge_tool(self) -> None:
        self.steps += 1

    def remaining_calls(self) -> int:
        return max(0, min(self.max_llm_calls - self.usage.llm_calls, self.max_steps - self.steps))

    def spent(self) -> str:
        return (
            f"{self.usage.llm_calls}/{self.max_llm_calls} LM calls, "
            f"{self.tokens}/{self.max_tokens} tokens, "
            f"{self.steps}/{self.max_steps} steps, {self.elapsed:.0f}/{self.max_seconds:.0f} s"
        )
