"""Record the embedded LM's replies and answer a repeated request from the record.

A change past the LM (attribution, verification, the short answer, a new call after the draft) leaves every earlier
prompt as it was, so a benchmark re-run after it needs none of the calls it already made: each request the record
holds (same messages, same generation options, same model) is answered from it, and only new prompts reach the
model. Greedy decoding makes the recorded reply the one the model would write again. What a replayed answer costs
in seconds is not measured; its prompt-token figures are the recorded ones. Rows say how many calls were replayed.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sleuth.agent.llm.generation import DEADLINE, STOP, TOKEN_SINK
from sleuth.agent.llm.llama_engine import LlamaCppEngine
from sleuth.agent.llm.requests import generation_kwargs, messages_of


class Record:
    """The replies of one model, by request, kept in a JSONL file that grows as new requests are answered."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.replies: dict[str, dict[str, Any]] = {}
        if path.exists():
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                    self.replies[entry["key"]] = entry
                except (ValueError, KeyError) as exc:
                    raise ValueError(
                        f"{path}, line {number}, is not a recorded reply ({exc}). Pass --replay a file this option "
                        "wrote, or a new path to start a record."
                    ) from exc
        self.replayed = 0
        self._lock = threading.Lock()

    @staticmethod
    def key(engine: LlamaCppEngine, request: Any) -> str:
        what = [engine.model_path.name, messages_of(request), generation_kwargs(request)]
        return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()

    def add(self, key: str, response: Any) -> None:
        usage = response.usage
        entry = {
            "key": key,
            "text": response.message.text or "",
            "finish": response.finish_reason,
            "model": response.model,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cache_read_tokens": usage.cache_read_tokens,
        }
        with self._lock:
            self.replies[key] = entry
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry, ensure_ascii=False) + "\n")


def _response(entry: dict[str, Any]) -> Any:
    from dspy.lm15 import Message, Response, TextPart, Usage

    return Response(
        id=None,
        model=entry["model"],
        message=Message.assistant([TextPart(entry["text"])]),
        finish_reason=entry["finish"],
        usage=Usage(
            input_tokens=entry["input_tokens"],
            output_tokens=entry["output_tokens"],
            cache_read_tokens=entry["cache_read_tokens"],
        ),
    )


@contextmanager
def replaying(path: Path) -> Iterator[Record]:
    """While open, every LlamaCppEngine answers a request `path` holds from it (its text handed to the token sink
    whole, as a stream would have) and records the replies it computes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    record = Record(path)
    original = LlamaCppEngine.complete

    def complete(engine: LlamaCppEngine, request: Any) -> Any:
        key = Record.key(engine, request)
        entry = record.replies.get(key)
        if entry is None:
            response = original(engine, request)
            deadline, stop = DEADLINE.get(), STOP.get()
            timed_out = deadline is not None and time.perf_counter() > deadline
            if not timed_out and not (stop is not None and stop()):  # a reply the clock cut off is not kept
                record.add(key, response)
            return response
        sink = TOKEN_SINK.get()
        if sink is not None and entry["text"]:
            sink(entry["text"])
        record.replayed += 1
        return _response(entry)

    LlamaCppEngine.complete = complete  # type: ignore[method-assign]
    try:
        yield record
    finally:
        LlamaCppEngine.complete = original  # type: ignore[method-assign]


__all__ = ["Record", "replaying"]
