"""read -> chunk -> embed (dense + sparse) -> upsert, in batches; safe to re-run and to interrupt.

Chunk ids are content hashes, so a chunk already in the index is neither embedded nor written again:
re-ingesting unchanged input adds nothing, and a run stopped half-way resumes where it stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sleuth.schema import Chunk, Document
from sleuth.tools.chunking import Chunker, passage_text
from sleuth.tools.embedder import Embedder
from sleuth.tools.index.base import VectorIndex
from sleuth.tools.readers import Failure, read_paths
from sleuth.tools.sparse import SparseEncoder


@dataclass
class IngestReport:
    documents: int = 0
    chunks: int = 0
    added: int = 0
    skipped: int = 0
    seconds: float = 0.0
    failures: list[Failure] = field(default_factory=list)

    @property
    def docs_per_second(self) -> float:
        return self.documents / self.seconds if self.seconds else 0.0


Progress = Callable[[IngestReport], None]


class Ingestor:
    def __init__(self, index: VectorIndex, embedder: Embedder, chunker: Chunker, batch_size: int = 64) -> None:
        self.index = index
        self.embedder = embedder
        self.chunker = chunker
        self.sparse = SparseEncoder()
        self.batch_size = batch_size

    def ingest_paths(self, paths: list[Path], on_progress: Progress | None = None) -> IngestReport:
        return self.ingest(read_paths(paths), on_progress)

    def ingest(self, items: Iterable[Document | Failure], on_progress: Progress | None = None) -> IngestReport:
        report = IngestReport()
        started = time.perf_counter()
        self.index.ensure(self.embedder.dim)
        batch: list[Chunk] = []
        for item in items:
            if isinstance(item, Failure):
                report.failures.append(item)
                continue
            report.documents += 1
            batch.extend(self.chunker.split(item))
            if len(batch) >= self.batch_size:
                self._write(batch, report)
                batch = []
                report.seconds = time.perf_counter() - started
                if on_progress:
                    on_progress(report)
        self._write(batch, report)
        report.seconds = time.perf_counter() - started
        if on_progress:
            on_progress(report)
        return report

    def _write(self, batch: list[Chunk], report: IngestReport) -> None:
        if not batch:
            return
        unique = list({c.chunk_id: c for c in batch}.values())
        present = self.index.existing([c.chunk_id for c in unique])
        new = [c for c in unique if c.chunk_id not in present]
        report.chunks += len(batch)
        report.skipped += len(batch) - len(new)
        if not new:
            return
        texts = [passage_text(c) for c in new]
        self.index.upsert(new, self.embedder.embed(texts), self.sparse.embed_documents(texts))
        report.added += len(new)
