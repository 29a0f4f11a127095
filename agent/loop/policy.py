"""The policy every stage of the loop follows, in one place (as dspy's callbacks wrap every module): a stage is
timed from its start, asks the budget before an LM call (`Stage.affords`), makes its calls through `Stage.call`
(charged to the budget, retried once with the other adapter on malformed output), ends when a call fails (the
failure said in the run's errors when the stage names what failed, the LM marked failed when that is fatal), and
leaves one step in the trace with its LM calls and tokens. A stage file then holds only its own logic:

    with trace.stage("plan", failing="planning", fatal=True) as stage:
        if not stage.affords(prompt_chars=len(question), optional=True):
            return stage.skipped(...)
        prediction = stage.call(self.plan, question=question)
        stage.note(sub_questions=...)
        return ...
    return ...  # reached only when the call failed

`call_lm` is the only caller of a predictor; transport errors are retried by `dspy.LM` itself, and a remote LM gets
no longer than the question's budget (`within_budget`).
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import dspy

from sleuth.agent.llm.adapters import is_embedded, is_parse_error, other_adapter, tokens_of, usage_of
from sleuth.agent.loop.trace import Trace, first_line
from sleuth.errors import LMError
from sleuth.schema import Usage


class StageFailed(Exception):
    """A stage's LM call failed: the stage ends, and its policy decides what the run makes of it."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


class Stage:
    """One stage's step while it runs: its start, LM calls, tokens and details; recorded when the stage ends."""

    def __init__(self, trace: Trace, kind: str, failing: str = "", fatal: bool = False) -> None:
        self.trace = trace
        self.kind = kind
        self.failing = failing
        self.fatal = fatal
        self.started = time.perf_counter()
        self.calls = 0
        self.usage = Usage()
        self.detail: dict[str, Any] = {}
        self.recorded = True
        self.failure: Exception | None = None

    def affords(self, prompt_chars: int = 0, reserve: int = 0, optional: bool = False) -> bool:
        """True if one more LM call of this size fits the budget (an optional one leaving the answer its time)."""
        return self.trace.budget.allows_llm_call(reserve=reserve, prompt_chars=prompt_chars, optional=optional)

    def call(
        self,
        predictor: Any,
        *,
        retry: bool = True,
        salvageable: Callable[[Exception], bool] | None = None,
        **inputs: Any,
    ) -> dspy.Prediction:
        """The predictor's answer; a call that fails raises StageFailed (the user's cancel raises Cancelled)."""
        self.calls += 1
        try:
            prediction, usage = call_lm(predictor, self.trace, retry=retry, salvageable=salvageable, **inputs)
        except Exception as exc:
            self.trace.check()  # a generation stopped by the user is a cancellation, not an LM failure
            raise StageFailed(exc) from exc
        self.usage.add(usage)
        return prediction

    def request(self, send: Callable[[], tuple[str, Usage]], prompt_chars: int) -> str:
        """A call that is not a predictor's (one more turn of an earlier conversation): `send()` gives the reply and
        its cost; it is charged, and kept within the question's budget, as `call` is."""
        self.calls += 1
        started = time.perf_counter()
        try:
            text, usage = within_budget(self.trace, send)
        except Exception as exc:
            self.trace.budget.charge_call(Usage(llm_calls=1), time.perf_counter() - started, prompt_chars)
            self.trace.check()
            raise StageFailed(exc) from exc
        self.trace.budget.charge_call(usage, time.perf_counter() - started, prompt_chars)
        self.usage.add(usage)
        return text

    def attempt(self, predictor: Any, **inputs: Any) -> dspy.Prediction | None:
        """`call`, for a stage that goes on without the answer: a failed call is handled by the policy (said,
        marked, noted) and gives None; the stage continues."""
        try:
            return self.call(predictor, **inputs)
        except StageFailed as failed:
            self.failed(failed.cause)
            return None

    def failed(self, cause: Exception) -> None:
        """What the policy makes of a failed call: the run's errors say it, a fatal one marks the LM failed."""
        self.failure = cause
        if self.failing:
            self.trace.fail(self.failing, cause)
        if self.fatal:
            self.trace.lm_failed = True
        self.detail.setdefault("failed", f"{type(cause).__name__}: {first_line(cause)}")

    def note(self, **detail: Any) -> None:
        self.detail.update(detail)

    def skip(self) -> None:
        """End without a step (the stage did nothing worth showing)."""
        self.recorded = False

    def __enter__(self) -> Stage:
        self.trace.check()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> bool:
        if exc is not None and not isinstance(exc, StageFailed):
            return False  # a cancellation or a bug: not the stage's to handle
        if isinstance(exc, StageFailed):
            self.failed(exc.cause)
        if self.recorded:
            spent = self.usage.model_dump(exclude={"llm_calls"}) if self.usage.llm_calls else {}
            self.trace.record(self.kind, self.started, llm_calls=self.calls, **self.detail, **spent)
        return True


def call_lm(
    predictor: Any,
    trace: Trace,
    *,
    retry: bool = True,
    salvageable: Callable[[Exception], bool] | None = None,
    **inputs: Any,
) -> tuple[dspy.Prediction, Usage]:
    """One LM call, charged to the run's budget; malformed output is retried once with the other adapter
    (JSON <-> chat) unless `retry` is off or the caller can use what was written (`salvageable`: a draft cut off
    at the token limit keeps its complete sentences instead of paying for a second call). This is the only place
    an LM call is retried for its output; transport errors are retried by the LM client. What still fails is
    raised, charged."""
    adapter = None
    while True:
        trace.check()
        started = time.perf_counter()
        lm = dspy.settings.lm
        calls_before = len(getattr(lm, "history", None) or [])
        try:
            with dspy.context(track_usage=True, **({"adapter": adapter} if adapter else {})):
                prediction = within_budget(trace, lambda: predictor(**inputs))
        except Exception as exc:
            history = getattr(lm, "history", None) or []
            spent = Usage(llm_calls=1)
            if len(history) > calls_before:  # an answer the adapter could not parse was still written, and paid for
                spent.add(tokens_of(history[-1].get("usage") or {}))
            exc.usage = spent  # type: ignore[attr-defined]
            trace.budget.charge_call(spent, time.perf_counter() - started, _chars(inputs))
            again = retry and adapter is None and trace.budget.allows_llm_call(prompt_chars=_chars(inputs))
            if again and is_parse_error(exc) and not (salvageable and salvageable(exc)):
                adapter = other_adapter()
                continue
            raise
        usage = usage_of(prediction)
        trace.budget.charge_call(usage, time.perf_counter() - started, _chars(inputs))
        return prediction, usage


def within_budget(trace: Trace, call: Callable[[], Any]) -> Any:
    """`call()`, but a remote LM gets no longer than the run's budget: its client's timeout and retries (a 429's
    Retry-After, a server that hangs) could otherwise outlast the question by minutes. The call runs in a worker
    thread; past the deadline, or when the user cancels, it is left to finish on its own and the run goes on without
    it. The embedded engine stops itself at its deadline and is called directly. A call made with a token sink
    (the answer's) streams from the server into it (`agent/llm/remote_stream.py`)."""
    if is_embedded(dspy.settings.lm):
        return call()
    from sleuth.agent.llm.generation import TOKEN_SINK
    from sleuth.agent.llm.remote_stream import streamed

    if sink := TOKEN_SINK.get():
        plain, call = call, lambda: streamed(plain, sink)
    context = contextvars.copy_context()
    outcome: dict[str, Any] = {}
    finished = threading.Event()

    def work() -> None:
        try:
            outcome["value"] = context.run(call)
        except BaseException as exc:  # handed to the waiting run
            outcome["error"] = exc
        finally:
            finished.set()

    threading.Thread(target=work, name="sleuth-lm-call", daemon=True).start()
    deadline = trace.budget.answer_deadline()
    while not finished.wait(0.05):
        trace.check()
        if time.perf_counter() > deadline:
            raise LMError(
                f"the LM server did not answer within the question's budget ({trace.budget.spent()})",
                "Check the server (sleuth doctor), or raise agent.max_seconds.",
            )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def failed_usage(exc: Exception) -> Usage:
    """What a call that raised still cost (`call_lm` records it on the exception)."""
    return getattr(exc, "usage", None) or Usage(llm_calls=1)


def _chars(inputs: dict[str, Any]) -> int:
    return sum(len(str(v)) for v in inputs.values())


__all__ = ["Stage", "StageFailed", "call_lm", "failed_usage", "within_budget"]
