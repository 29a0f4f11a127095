"""Batches fanned out over Ray: each actor answers with its own agent, the driver alone writes the output.

`run_batch(..., ray=ADDRESS)` hands its pending questions here. Every `AskWorker` actor builds a
`ResearchAgent` from the batch's settings, so it holds its own embedder and LM (or client of the LM endpoint) and
searches the shared index: a Qdrant server when `index.url` is set, otherwise the embedded collection, which one
`IndexHolder` actor opens and serves to the others (`tools/index/remote.py`). Answers come back to the driver as
they finish and are written there, one line each, exactly as the local batch writes them, so resume and the
progress bar are unchanged.

A worker that dies (killed, out of memory, its node gone) loses only the questions it had in flight: they go back
to the front of the queue for the other workers, and a new worker takes its place. A question that has been in
flight on `MAX_TRIES` workers that all died gets an error line instead of killing more of them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from sleuth.agent.answering import answer_one
from sleuth.errors import ConfigError
from sleuth.schema import Answer
from sleuth.settings import Settings

IN_FLIGHT_PER_WORKER = 2
MAX_TRIES = 3


def _free_cpus(ray: Any, wanted: int, wait: float) -> int:
    """The cluster's free CPUs, waiting up to `wait` s for actors just ended (an earlier ingest's pools, an earlier
    batch's workers) to give theirs back; no wait for more CPUs than the cluster has."""
    import time

    wanted = min(wanted, int(ray.cluster_resources().get("CPU", 0)))
    deadline = time.monotonic() + wait
    while True:
        free = int(ray.available_resources().get("CPU", 0))
        if free >= wanted or time.monotonic() > deadline:
            return free
        time.sleep(0.2)


class AskWorker:
    """A Ray actor holding one agent."""

    def __init__(self, settings: Settings, holder: Any = None) -> None:
        from sleuth.agent.api import ResearchAgent
        from sleuth.tools.index.remote import RemoteIndex

        index = RemoteIndex(holder, settings.index.collection) if holder is not None else None
        self.agent = ResearchAgent(settings, index=index)

    def answer(self, qid: str, question: str, no_answer: bool, report: bool = False) -> Answer:
        return answer_one(self.agent, qid, question, no_answer, report)


class WorkerPool:
    """The batch's actors, replaced as they die; `holder` serves the embedded index when there is no server."""

    def __init__(self, ray: Any, settings: Settings, workers: int) -> None:
        from sleuth.tools.index.remote import IndexHolder

        self.ray, self.settings = ray, settings
        self.holder = None if settings.index.url else ray.remote(IndexHolder).options(num_cpus=0).remote(settings)
        self.actor = ray.remote(AskWorker).options(num_cpus=1, max_restarts=0)
        self.workers = [self.start() for _ in range(max(1, workers))]
        self.replacements = 2 * len(self.workers)  # dead workers replaced before the batch gives up on new ones

    def start(self) -> Any:
        return self.actor.remote(self.settings, self.holder)

    def replace(self, dead: Any) -> None:
        if dead in self.workers:
            self.workers.remove(dead)
            if self.replacements > 0:
                self.replacements -= 1
                self.workers.append(self.start())

    def close(self) -> None:
        for worker in self.workers:
            self.ray.kill(worker)
        if self.holder is not None:
            self.ray.get(self.holder.close.remote())  # the embedded shard is flushed and its lock released
            self.ray.kill(self.holder)


def answers_on_ray(
    settings: Settings,
    pending: list[tuple[str, str]],
    no_answer: bool,
    *,
    address: str,
    workers: int,
    say: Callable[[str], None] | None = None,
    report: bool = False,
) -> Iterator[Answer]:
    """Each pending question's Answer (a Report with `report`) as a worker finishes it (not in input order); `say`
    hears of fewer workers than asked for."""
    from sleuth.tools.ray_ingest import release_pools, start_ray

    if settings.index.url == ":memory:":
        raise ConfigError(
            "An in-memory index (index.url = ':memory:') lives in one process: Ray workers cannot share it.",
            "Use the embedded index (no index.url) or a Qdrant server's URL.",
        )
    ray = start_ray(address, workers)  # first: it says how to install Ray when it is missing
    from ray.exceptions import RayActorError

    release_pools(ray)  # actors an earlier ingest of this process kept would hold the CPUs the workers need
    free = _free_cpus(ray, workers, wait=10.0)
    if free < 1:
        raise ConfigError("The Ray cluster has no free CPU for a batch worker.", "Free the cluster, or add nodes.")
    if free < workers and say:  # a worker that can never be scheduled would hold its questions forever
        say(f"Ray: {free} of the {workers} workers asked for (the cluster has {free} free CPUs).")
    workers = min(workers, free)
    pool = WorkerPool(ray, settings, workers)
    queue = deque(pending)
    tries: dict[str, int] = {}
    flying: dict[Any, tuple[Any, tuple[str, str]]] = {}  # an answer's future -> (its worker, its question)
    try:
        while queue or flying:
            for worker in list(pool.workers):
                load = sum(1 for w, _ in flying.values() if w is worker)
                while queue and load < IN_FLIGHT_PER_WORKER:
                    item = queue.popleft()
                    tries[item[0]] = tries.get(item[0], 0) + 1
                    flying[worker.answer.remote(item[0], item[1], no_answer, report)] = (worker, item)
                    load += 1
            if not flying:  # every worker is gone and none may be started: what is left cannot be answered
                for qid, question in queue:
                    yield Answer(id=qid, question=question, error="every Ray worker died; run the batch again")
                return
            ready, _ = ray.wait(list(flying), num_returns=1)
            worker, (qid, question) = flying.pop(ready[0])
            try:
                yield ray.get(ready[0])
            except RayActorError as exc:
                pool.replace(worker)
                if tries[qid] >= MAX_TRIES:
                    cause = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
                    reason = f"the Ray worker answering it died {tries[qid]} times ({cause})"
                    yield Answer(id=qid, question=question, error=reason)
                else:
                    queue.appendleft((qid, question))
    finally:
        pool.close()


__all__ = ["AskWorker", "answers_on_ray"]
