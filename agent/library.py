"""The agent's library: the documents of its collections, added, changed, removed and listed.

`ResearchAgent.ingest`, `remove` and `collections` are this class's, reached through the agent; the work itself is
tools/ingest.py's (or tools/ray_ingest.py's, fanned out over Ray actors). Index and embedder are the agent's own,
reached through it when first needed, and a change to the collection is told to memory, so no answer from before
it is reused.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sleuth.agent.api import ResearchAgent
    from sleuth.tools.ingest import IngestReport, Progress


class Library:
    def __init__(self, agent: ResearchAgent) -> None:
        self.agent = agent

    def ingest(
        self,
        paths: Iterable[Path],
        on_progress: Progress | None = None,
        *,
        prune: bool = False,
        ray: str | None = None,
        workers: int = 2,
    ) -> IngestReport:
        """Add new and changed documents; with `prune`, drop those whose files under `paths` are gone. With `ray`
        (a cluster address, `auto`, or `local` for a cluster of `workers` started here) chunking and embedding
        fan out over Ray actors (tools/ray_ingest.py)."""
        from sleuth.tools.readers import Fields

        opts, index = self.agent.settings.index, self.agent.index
        fields = Fields(opts.id_field, opts.title_field, opts.text_field, tuple(opts.metadata_fields))
        report = self._ingestor(ray, workers).ingest_paths(
            list(paths), on_progress, prune=prune, fields=fields, max_bytes=opts.max_file_mb << 20
        )
        if report.changed:
            self.changed()
            if index.count() >= opts.hnsw_from_chunks:
                started = time.perf_counter()
                index.optimize()
                report.seconds += time.perf_counter() - started
        return report

    def remove(self, targets: list[str]) -> tuple[list[str], int]:
        """Drop documents by id or by source file/folder; returns the document ids and the chunk count removed."""
        removed = self._ingestor().remove(targets)
        if removed[1]:
            self.changed()
        return removed

    def changed(self) -> None:
        """Record that the collection's content changed, so no answer from before is reused."""
        store = self.agent.experience.open()
        if store is not None:
            from sleuth.memory.store import bump_collection

            bump_collection(store, self.agent.index.collection)

    def collections(self) -> list[tuple[str, int]]:
        """Every collection of the configured backend with its document count."""
        from sleuth.tools.index import collection_names, open_index

        settings, current = self.agent.settings, self.agent.index_if_open
        rows = []
        for name in collection_names(settings):
            if name == settings.index.collection and current is not None:
                rows.append((name, current.document_count()))
                continue
            index = open_index(settings, name)
            try:
                rows.append((name, index.document_count()))
            finally:
                index.close()
        return rows

    def _ingestor(self, ray: str | None = None, workers: int = 2) -> Any:
        from sleuth.tools.chunking import Chunker
        from sleuth.tools.ingest import Ingestor

        opts, embedder = self.agent.settings.index, self.agent.embedder
        chunker = Chunker(opts.chunk_tokens, opts.chunk_overlap, embedder.tokenize)
        if ray is None:
            return Ingestor(self.agent.index, embedder, chunker, opts.batch_size)
        from sleuth.tools.ray_ingest import RayIngestor

        return RayIngestor(
            self.agent.index,
            embedder,
            chunker,
            batch_size=opts.batch_size,
            precision=self.agent.settings.models.embedder_precision,
            device=embedder.device,
            address=ray,
            workers=workers,
        )


__all__ = ["Library"]
