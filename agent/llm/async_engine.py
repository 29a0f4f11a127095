"""The async face of the embedded engine: DSPy's `acall` and async streaming over the sync llama.cpp engine."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sleuth.agent.llm.llama_engine import LlamaCppEngine


class AsyncLlamaCppEngine:
    """The async face of a LlamaCppEngine: generation runs in a worker thread, tokens arrive as events."""

    def __init__(self, sync: LlamaCppEngine) -> None:
        self.sync = sync

    @property
    def supports_response_schema(self) -> bool:
        return True

    async def complete(self, request: Any) -> Any:
        return await asyncio.to_thread(self.sync.complete, request)

    async def stream(self, request: Any) -> AsyncIterator[Any]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        done = object()

        def produce() -> None:
            try:
                for event in self.sync.stream(request):
                    loop.call_soon_threadsafe(queue.put_nowait, event)
            except BaseException as exc:  # handed to the consumer, which re-raises it
                loop.call_soon_threadsafe(queue.put_nowait, exc)
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, done)

        worker = threading.Thread(target=produce, daemon=True)
        worker.start()
        while (item := await queue.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item

    async def aclose(self) -> None:
        pass
