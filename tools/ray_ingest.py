"""Ingest fanned out over Ray: chunking and embedding on actors, one writer.

The local ingest (`tools/ingest.py`) reads, embeds and writes on three threads of one process. Here the same run
sends each batch of new or changed documents to a pool of Ray actors, each holding its own embedder and chunker
(one per core or GPU it is given), keeps two batches per actor in flight, and takes the results back in order:
the driver alone asks the index what is already there and upserts, in batches, through the same writer thread. So
everything the local ingest promises holds unchanged: unchanged documents are skipped before any work, a killed
run resumes with nothing lost or duplicated, bad files are listed with their reason, and the chunk ids are the
local ingest's (the chunker is the same code). An actor that dies is restarted and its batch retried
(`max_restarts`, `max_task_retries`).

    ingestor = RayIngestor(index, embedder, chunker, settings, address=None, workers=2)  # a local Ray cluster
    ingestor.ingest_paths([Path("papers/")])
"""

from __future__ import annotations

from typing import Any

from sleuth.errors import ConfigError
from sleuth.schema import Document
from sleuth.tools.chunking import Chunker
from sleuth.tools.embedder import Embedder
from sleuth.tools.index.base import VectorIndex
from sleuth.tools.ingest import Ingestor, IngestReport, _Writer

IN_FLIGHT_PER_WORKER = 2


class EmbedWorker:
    """A Ray actor: chunks and embeds the documents it is sent, with its own copy of the models."""

    def __init__(self, embedder: str, precision: str, device: str, chunk_tokens: int, overlap: int) -> None:
        from sleuth.tools.chunking import Chunker
        from sleuth.tools.embedder import Embedder

        self.embedder = Embedder(embedder, precision=precision, device=device)
        self.chunker = Chunker(chunk_tokens, overlap, self.embedder.tokenize)

    def process(self, docs: list[Document]) -> tuple[list[Any], Any]:
        from sleuth.tools.chunking import passage_text

        chunks = [c for doc in docs for c in self.chunker.split(doc)]
        return chunks, self.embedder.embed([passage_text(c) for c in chunks])


def start_ray(address: str | None, workers: int) -> Any:
    """Joins the cluster at `address` (`auto`: the one this machine belongs to), or starts a local one (`local` or
    None)."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError("Ray is not installed.", 'Install it: pip install "sleuth[scale]" (or ray).') from exc
    if not ray.is_initialized():
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if address and address != "local":
            ray.init(address=address, **options)
        else:
            ray.init(num_cpus=workers, **options)
    return ray


_POOLS: dict[tuple[Any, ...], list[Any]] = {}


def _pool(ray: Any, spec: tuple[Any, ...], workers: int, gpus: float) -> list[Any]:
    """The actors for these models, started once per process (loading the models is most of an actor's start-up)
    and reused by every later ingest; they end with the Ray session."""
    key = (ray.get_runtime_context().get_job_id(), spec, workers, gpus)
    if key not in _POOLS:
        actor = ray.remote(EmbedWorker).options(num_cpus=1, num_gpus=gpus, max_restarts=2, max_task_retries=2)
        _POOLS[key] = [actor.remote(*spec) for _ in range(workers)]
    return _POOLS[key]


def release_pools(ray: Any) -> int:
    """Ends the pooled ingest actors, so the CPUs they hold serve other work (a batch) on the same cluster; returns
    how many were ended."""
    ended = 0
    for actors in _POOLS.values():
        for actor in actors:
            ray.kill(actor)
            ended += 1
    _POOLS.clear()
    return ended


class RayIngestor(Ingestor):
    def __init__(
        self,
        index: VectorIndex,
        embedder: Embedder,
        chunker: Chunker,
        *,
        batch_size: int = 64,
        precision: str = "auto",
        device: str = "cpu",
        address: str | None = None,
        workers: int = 2,
    ) -> None:
        super().__init__(index, embedder, chunker, batch_size)
        self.ray = start_ray(address, workers)
        spec = (embedder.name, precision, device, chunker.chunk_tokens, chunker.overlap)
        self.workers = _pool(self.ray, spec, workers, gpus=1.0 if device == "cuda" else 0.0)
        self.pending: list[tuple[Any, list[str]]] = []  # (an actor's result, the stale chunk ids), in batch order
        self.sent = 0

    def _embed_batch(self, docs: list[tuple[Document, str]], report: IngestReport, writer: _Writer) -> None:
        """Sends the batch's new and changed documents to the next actor; writes the oldest results once two
        batches per actor are in flight."""
        todo, stale = self._changed(docs, report)
        self.pending.append((self.workers[self.sent % len(self.workers)].process.remote(todo), stale))
        self.sent += 1
        while len(self.pending) >= IN_FLIGHT_PER_WORKER * len(self.workers):
            self._write(self.pending.pop(0), report, writer)

    def _flush(self, report: IngestReport, writer: _Writer) -> None:
        while self.pending:
            self._write(self.pending.pop(0), report, writer)

    def _write(self, item: tuple[Any, list[str]], report: IngestReport, writer: _Writer) -> None:
        from sleuth.tools.chunking import passage_text

        result, stale = item
        chunks, dense = self.ray.get(result)
        row: dict[str, int] = {}
        for i, chunk in enumerate(chunks):  # a chunk id repeated in the batch has one text, so any of its rows
            row.setdefault(chunk.chunk_id, i)
        new = self._new_chunks(chunks, report)
        writer.put(new, [passage_text(c) for c in new], dense[[row[c.chunk_id] for c in new]], stale)


__all__ = ["EmbedWorker", "RayIngestor", "release_pools", "start_ray"]
