"""A remote LM's answer, streamed: the text of each chunk the server sends goes to the call's token sink.

The embedded engine feeds the sink itself (`agent/llm/llama_engine.py`). For a LiteLLM model, DSPy 3.4 streams when its
`send_stream` setting holds an anyio memory stream: the LM asks the server for `stream=True` and sends each chunk
into that stream from an anyio worker thread. `streamed(call, sink)` sets that up around one synchronous DSPy call:
an event loop of its own in this thread, the call in an anyio worker thread, and every chunk's text handed to
`sink` as it arrives. DSPy does not retry a call once it has streamed text, so the sink never sees a piece twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def streamed(call: Callable[[], T], sink: Callable[[str], None]) -> T:
    """`call()` with DSPy's streaming on; each text delta goes to `sink`. Errors are the call's own."""
    import anyio
    from dspy.dsp.utils.settings import thread_local_overrides

    overrides = dict(thread_local_overrides.get())
    result: dict[str, Any] = {}

    async def main() -> None:
        send, receive = anyio.create_memory_object_stream(256)

        async def produce() -> None:
            async with send:

                def work() -> T:
                    token = thread_local_overrides.set({**overrides, "send_stream": send})
                    try:
                        return call()
                    finally:
                        thread_local_overrides.reset(token)

                result["value"] = await anyio.to_thread.run_sync(work)

        async with anyio.create_task_group() as group:
            group.start_soon(produce)
            async with receive:
                async for chunk in receive:
                    if text := _text_of(chunk):
                        sink(text)

    try:
        anyio.run(main)
    except BaseExceptionGroup as group:  # the task group wraps the call's exception: hand back the call's own
        raise group.exceptions[0] if len(group.exceptions) == 1 else group from None
    return result["value"]


def _text_of(chunk: Any) -> str:
    try:
        return chunk.choices[0].delta.content or ""
    except (AttributeError, IndexError, TypeError):
        return ""


__all__ = ["streamed"]
