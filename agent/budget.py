"""What one question may spend: LM calls, tokens, steps and seconds, checked before every step so none is exceeded.

A call is allowed only if its worst case still fits: the prompt's tokens estimated from its characters (about
four per token in English; three is used, to err high), the most tokens the LM may write, and as many seconds as
the run's calls took on average. `reserve` keeps room for the steps that must follow (writing the answer).
"""

from __future__ import annotations

import time

from sleuth.schema import Usage
from sleuth.settings import AgentSettings

PROMPT_OVERHEAD_TOKENS = 600  # a Signature's instructions and output schema, as an adapter formats them


class Budget:
    def __init__(self, settings: AgentSettings, max_output_tokens: int = 256) -> None:
        self.max_llm_calls = settings.max_llm_calls
        self.max_tokens = settings.max_tokens
        self.max_steps = settings.max_steps
        self.max_seconds = settings.max_seconds
        self.max_output_tokens = max_output_tokens
        self.started = time.perf_counter()
        self.usage = Usage()
        self.steps = 0
        self.tokens = 0  # tokens counted against the budget: as reported, or the estimate where none was
        self.call_seconds: list[float] = []

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def call_tokens(self, prompt_chars: int = 0) -> int:
        """The most tokens one call with a prompt of `prompt_chars` characters may use."""
        return prompt_chars // 3 + PROMPT_OVERHEAD_TOKENS + self.max_output_tokens

    def expected_call_seconds(self) -> float:
        return sum(self.call_seconds) / len(self.call_seconds) if self.call_seconds else 0.0

    def allows_llm_call(self, reserve: int = 0, prompt_chars: int = 0) -> bool:
        """True if one more LM call of this size fits, keeping `reserve` calls for the steps that must follow."""
        calls = 1 + reserve
        return (
            self.usage.llm_calls + calls <= self.max_llm_calls
            and self.tokens + self.call_tokens(prompt_chars) + reserve * self.call_tokens() <= self.max_tokens
            and self.steps + calls <= self.max_steps
            and self.elapsed + calls * self.expected_call_seconds() < self.max_seconds
        )

    def allows_tool_call(self, reserve: int = 0) -> bool:
        """True if one more tool call fits, keeping `reserve` LM calls for what follows."""
        return self.steps + 1 + reserve <= self.max_steps and self.elapsed < self.max_seconds

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
