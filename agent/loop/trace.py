"""What every stage of one question's research shares, and nothing else: what may still be spent (the budget), what
was done (steps and searches, as the Answer reports them), what went wrong (errors, and whether the LM failed), the
user's cancel and the sink the answer's tokens stream to. The stages' own inputs and outputs are explicit arguments
and return values (agent/loop/program.py composes them); the policy every stage follows is `Trace.stage`
(agent/loop/policy.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sleuth.agent.loop.budget import Budget
from sleuth.errors import Cancelled
from sleuth.schema import AnswerToken, Hit, Search, Step

if TYPE_CHECKING:
    from sleuth.agent.loop.policy import Stage

StepSink = Callable[[Step], None]
TokenSink = Callable[[AnswerToken], None]


@dataclass
class Trace:
    budget: Budget
    emit: StepSink | None = None
    on_token: TokenSink | None = None
    cancel: threading.Event | None = None
    steps: list[Step] = field(default_factory=list)
    searches: list[Search] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lm_failed: bool = False
    drafts: int = 0  # drafts written so far: each streams its tokens under its own number

    @property
    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def check(self) -> None:
        """Raises Cancelled once the user stopped the question: each stage ends at its next step."""
        if self.cancelled:
            raise Cancelled("The question was cancelled.", "Ask again when you are ready; nothing was stored.")

    def record(self, kind: str, started: float, llm_calls: int = 0, **detail: Any) -> None:
        self.check()
        step = Step(kind=kind, detail=detail, seconds=time.perf_counter() - started, llm_calls=llm_calls)
        self.steps.append(step)
        if self.emit:
            self.emit(step)

    def fail(self, what: str, exc: BaseException) -> None:
        self.errors.append(f"{what} failed ({type(exc).__name__}: {first_line(exc)})")

    def searched(self, query: str, source: str, hits: list[Hit]) -> list[Hit]:
        """`hits`, after noting the search that found them (its query, why it ran, its first ten documents)."""
        self.searches.append(Search(query=query, source=source, docs=unique_docs(hits)[:10]))
        return hits

    @contextmanager
    def stage(self, kind: str, failing: str = "", fatal: bool = False) -> Iterator[Stage]:
        """One stage's step, under the policy of agent/loop/policy.py: timed from here, its LM calls made through
        `Stage.call` and charged to the budget, a failed call ending the stage (said in `errors` as `failing`, and
        marking the LM failed when `fatal`), and the step recorded once at the end unless the stage skips it."""
        from sleuth.agent.loop.policy import Stage

        with Stage(self, kind, failing, fatal) as stage:
            yield stage


def first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def unique_docs(hits: list[Hit]) -> list[str]:
    return list(dict.fromkeys(h.doc_id for h in hits))


__all__ = ["StepSink", "TokenSink", "Trace", "first_line", "unique_docs"]
