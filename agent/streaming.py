"""`ResearchAgent.stream`: a blocking `ask` run in a worker thread, its steps and tokens handed to async code."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from sleuth.schema import Answer, AnswerToken, Step

Item = Step | AnswerToken | Answer


async def streamed(ask: Callable[..., Answer], question: str) -> AsyncIterator[Item]:
    """Each Step and AnswerToken `ask` reports as it runs, then its Answer; an exception it raises is raised here."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Item | BaseException] = asyncio.Queue()

    def put(item: Step | AnswerToken) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, item)

    async def run() -> None:
        try:
            queue.put_nowait(await asyncio.to_thread(ask, question, on_step=put, on_token=put))
        except BaseException as exc:
            queue.put_nowait(exc)

    task: asyncio.Task[Any] = asyncio.create_task(run())
    while True:
        item = await queue.get()
        if isinstance(item, BaseException):
            raise item
        yield item
        if isinstance(item, Answer):
            break
    await task
