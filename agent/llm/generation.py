"""What the calls made inside a block of code share with the embedded engine: where streamed tokens go, when
to stop, the deadline (`generation()`), and the model's measured speed (`RATES`, read by the budget)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

TOKEN_SINK: ContextVar[Callable[[str], None] | None] = ContextVar("sleuth_token_sink", default=None)
DEADLINE: ContextVar[float | None] = ContextVar("sleuth_deadline", default=None)  # a time.perf_counter() value
STOP: ContextVar[Callable[[], bool] | None] = ContextVar("sleuth_stop", default=None)


@contextmanager
def generation(
    sink: Callable[[str], None] | None = None,
    deadline: float | None = None,
    stop: Callable[[], bool] | None = None,
) -> Iterator[None]:
    """Within this block the embedded engine hands each generated piece of text to `sink` and stops generating
    at `deadline`, or as soon as `stop()` is true (what it wrote so far is returned, marked as cut off)."""
    tokens, limit, halt = TOKEN_SINK.set(sink), DEADLINE.set(deadline), STOP.set(stop)
    try:
        yield
    finally:
        TOKEN_SINK.reset(tokens)
        DEADLINE.reset(limit)
        STOP.reset(halt)


class _Rates:
    """Prompt-evaluation and generation speed of the embedded model, as measured in this process."""

    def __init__(self, prompt: float = 60.0, generation: float = 15.0) -> None:
        self.prompt = prompt  # tokens per second; defaults from this project's 2-core measurements
        self.generation = generation

    def observe(self, n_prompt: int, prompt_ms: float, n_generated: int, generation_ms: float) -> None:
        if n_prompt >= 32 and prompt_ms > 0:
            self.prompt = 0.5 * self.prompt + 0.5 * (1000 * n_prompt / prompt_ms)
        if n_generated >= 8 and generation_ms > 0:
            self.generation = 0.5 * self.generation + 0.5 * (1000 * n_generated / generation_ms)

    def seconds(self, prompt_tokens: int, output_tokens: int) -> float:
        return prompt_tokens / self.prompt + output_tokens / self.generation


RATES = _Rates()


__all__ = ["DEADLINE", "RATES", "STOP", "TOKEN_SINK", "generation"]
