"""The state of one question's research, which every stage reads and extends, and the one place LM calls are made.

`Run` holds what was spent (the budget), found (pool and evidence, with how each passage ranked) and recorded
(steps, searches, errors); memory later reads its typed fields, never the display details of a step.
`call_lm` is the only caller of a predictor: it checks nothing (stages check the budget first, since only they
know whether a call is optional), charges the call, switches adapter once on malformed output, and reports
prompt tokens reused from the engine's cache. Transient provider errors are retried by `dspy.LM` itself.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import dspy

from sleuth.agent.loop.budget import Budget
from sleuth.errors import Cancelled, LMError
from sleuth.prompts.signatures import CitedSentence
from sleuth.schema import AnswerToken, Hit, Search, Seen, Step, Usage

if TYPE_CHECKING:
    from sleuth.memory.recall import Recollection
    from sleuth.tools.passages import ResearchTools

StepSink = Callable[[Step], None]
TokenSink = Callable[[AnswerToken], None]
RANKED_LOGGED = 20  # pool candidates recorded per run as evidence seen


@dataclass
class Draft:
    """One answer the LM wrote: cited sentences, the answer in a few words, and what it says is missing."""

    sentences: list[CitedSentence]
    short_answer: str = ""
    missing: str = ""
    exchange: list[dict[str, str]] = field(default_factory=list)  # the call's messages and the LM's reply


@dataclass
class Run:
    question: str
    budget: Budget
    tools: ResearchTools
    emit: StepSink | None = None
    on_token: TokenSink | None = None
    memory: Recollection | None = None
    path: str = "fast"
    steps: list[Step] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sub_questions: list[str] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    searches: list[Search] = field(default_factory=list)
    pool: list[Hit] = field(default_factory=list)
    covering: dict[str, Hit | None] = field(default_factory=dict)  # each sub-question's best passage
    evidence: list[Hit] = field(default_factory=list)
    drafts: int = 0
    lm_failed: bool = False
    cancel: threading.Event | None = None

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

    def fail(self, what: str, exc: Exception) -> None:
        self.errors.append(f"{what} failed ({type(exc).__name__}: {first_line(exc)})")

    def searched(self, query: str, source: str, hits: list[Hit]) -> list[Hit]:
        self.searches.append(Search(query=query, source=source, docs=unique_docs(hits)[:10]))
        return hits

    @property
    def avoided(self) -> set[str]:
        return self.memory.avoid_docs if self.memory else set()

    def add_evidence(self, hits: list[Hit], limit: int) -> list[Hit]:
        """Adds up to `limit` passages not yet in the evidence (and not from avoided sources); returns them."""
        have = {h.chunk_id for h in self.evidence}
        new = [h for h in hits if h.chunk_id not in have and h.doc_id not in self.avoided][:limit]
        self.evidence.extend(new)
        return new

    def seen(self, cited: set[str]) -> list[Seen]:
        """The best pool candidates and every evidence passage, each with its pool rank, kept and cited."""
        kept = {h.chunk_id for h in self.evidence}
        ranks = {h.chunk_id: rank for rank, h in enumerate(self.pool)}
        rows = {h.chunk_id: h for h in [*self.pool[:RANKED_LOGGED], *self.evidence]}
        return [
            Seen(
                chunk_id=h.chunk_id,
                doc_id=h.doc_id,
                title=h.chunk.title,
                rank=ranks.get(h.chunk_id, len(self.pool)),
                score=round(h.score, 6),
                kept=h.chunk_id in kept,
                cited=h.chunk_id in cited,
            )
            for h in rows.values()
        ]


def call_lm(
    predictor: Any,
    run: Run,
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
        run.check()
        started = time.perf_counter()
        lm = dspy.settings.lm
        calls_before = len(getattr(lm, "history", None) or [])
        try:
            with dspy.context(track_usage=True, **({"adapter": adapter} if adapter else {})):
                prediction = within_budget(run, lambda: predictor(**inputs))
        except Exception as exc:
            history = getattr(lm, "history", None) or []
            spent = Usage(llm_calls=1)
            if len(history) > calls_before:  # an answer the adapter could not parse was still written, and paid for
                spent.add(_tokens_of(history[-1].get("usage") or {}))
            exc.usage = spent  # type: ignore[attr-defined]
            run.budget.charge_call(spent, time.perf_counter() - started, _chars(inputs))
            again = retry and adapter is None and run.budget.allows_llm_call(prompt_chars=_chars(inputs))
            if again and _is_parse_error(exc) and not (salvageable and salvageable(exc)):
                adapter = _other_adapter()
                continue
            raise
        usage = usage_of(prediction)
        run.budget.charge_call(usage, time.perf_counter() - started, _chars(inputs))
        return prediction, usage


def within_budget(run: Run, call: Callable[[], Any]) -> Any:
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
    deadline = run.budget.answer_deadline()
    while not finished.wait(0.05):
        run.check()
        if time.perf_counter() > deadline:
            raise LMError(
                f"the LM server did not answer within the question's budget ({run.budget.spent()})",
                "Check the server (sleuth doctor), or raise agent.max_seconds.",
            )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def usage_of(prediction: dspy.Prediction) -> Usage:
    usage = Usage(llm_calls=1)
    for stats in (prediction.get_lm_usage() or {}).values():
        usage.add(_tokens_of(stats))
    return usage


def failed_usage(exc: Exception) -> Usage:
    """What a call that raised still cost (`call_lm` records it on the exception)."""
    return getattr(exc, "usage", None) or Usage(llm_calls=1)


def _tokens_of(stats: dict[str, Any]) -> Usage:
    """The tokens of one LM response's usage record (OpenAI's names or DSPy's), no call counted."""
    details = stats.get("prompt_tokens_details") or {}
    return Usage(
        input_tokens=int(stats.get("prompt_tokens") or stats.get("input_tokens") or 0),
        output_tokens=int(stats.get("completion_tokens") or stats.get("output_tokens") or 0),
        cached_tokens=int((details.get("cached_tokens") if isinstance(details, dict) else 0) or 0),
    )


def tokens(usage: Usage) -> dict[str, int]:
    """A step's token fields."""
    return usage.model_dump(exclude={"llm_calls"})


def _is_parse_error(exc: Exception) -> bool:
    from dspy.utils.exceptions import AdapterParseError

    return isinstance(exc, AdapterParseError)


def _other_adapter() -> Any:
    current = dspy.settings.adapter
    return chat_adapter() if isinstance(current, dspy.JSONAdapter) else dspy.JSONAdapter()


def is_embedded(lm: Any) -> bool:
    """True for the llama.cpp engine in this process (and the scripted LM that stands in for it)."""
    return str(getattr(lm, "model", "")).startswith("local/")


def adapter_for(lm: Any) -> Any:
    """JSON with the schema as a grammar for the embedded model, or sent to a server that enforces it
    (`models.structured_output`); DSPy's chat format for the rest."""
    from sleuth.agent.llm.server_lm import SchemaLM

    return dspy.JSONAdapter() if is_embedded(lm) or isinstance(lm, SchemaLM) else chat_adapter()


def chat_adapter() -> Any:
    """DSPy's chat format without its own hidden JSON retry: `call_lm` decides when a second call is worth it."""
    return dspy.ChatAdapter(use_json_adapter_fallback=False)


def _chars(inputs: dict[str, Any]) -> int:
    return sum(len(str(v)) for v in inputs.values())


def first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def unique_docs(hits: list[Hit]) -> list[str]:
    return list(dict.fromkeys(h.doc_id for h in hits))


def diverse(hits: list[Hit], k: int, per_doc: int = 2) -> list[Hit]:
    """The best `k` hits, at most `per_doc` from any one document, so one long paper cannot crowd out the rest."""
    taken: list[Hit] = []
    counts: dict[str, int] = {}
    for hit in hits:
        if counts.get(hit.doc_id, 0) < per_doc:
            taken.append(hit)
            counts[hit.doc_id] = counts.get(hit.doc_id, 0) + 1
        if len(taken) == k:
            break
    return taken
