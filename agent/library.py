"""The agent's library: the documents of its collections, added, changed, removed and listed.

`ResearchAgent.ingest`, `remove` and `collections` are this class's, reached through the agent; the work itself is
tools/ingest.py's (or tools/ray_ingest.py's, fanned out over Ray actors). Index and embedder are the agent's own,
handed in as functions that open them on first use, and a change to the collection is told to memory, so no answer
from before it is reused.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sleuth.agent.experience import Experience
from sleuth.schema import CollectionInfo
from sleuth.settings import Settings

if TYPE_CHECKING:
    from sleuth.tools.embedder import Embedder
    from sleuth.tools.index.base import VectorIndex
    from sleuth.tools.ingest import IngestReport, Progress


class Library:
    def __init__(
        self,
        settings: Settings,
        index: Callable[[], VectorIndex],
        embedder: Callable[[], Embedder],
        experience: Experience,
        index_if_open: Callable[[], VectorIndex | None],
    ) -> None:
        self.settings = settings
        self._index = index
        self._embedder = embedder
        self.experience = experience
        self._index_if_open = index_if_open

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

        opts = self.settings.index
        fields = Fields(opts.id_field, opts.title_field, opts.text_field, tuple(opts.metadata_fields))
        report = self._ingestor(ray, workers).ingest_paths(
            list(paths), on_progress, prune=prune, fields=fields, max_bytes=opts.max_file_mb << 20
        )
        return self._after(report)

    def ingest_zotero(
        self, data_dir: Path | None = None, on_progress: Progress | None = None, *, collection: str = "", tag: str = ""
    ) -> IngestReport:
        """A Zotero library, read-only (tools/zotero.py): new and changed items are read, deleted and trashed ones
        dropped; with a `collection` or `tag`, only those items are read and nothing is dropped."""
        from sleuth.tools.zotero import data_dir as zotero_dir
        from sleuth.tools.zotero import read_zotero

        folder = zotero_dir(data_dir)
        items = read_zotero(folder, collection, tag)
        report = self._ingestor().ingest_items(
            items, (folder / "zotero.sqlite").resolve(), on_progress, prune=not (collection or tag)
        )
        return self._after(report)

    def _after(self, report: IngestReport) -> IngestReport:
        """A changed collection is told to memory and, once large, gets its approximate index built."""
        opts, index = self.settings.index, self._index()
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
        self.experience.changed(self._index().collection)

    def collections(self) -> list[CollectionInfo]:
        """Every collection of the configured backend with its document and chunk counts."""
        from sleuth.tools.index import collection_names, open_index

        settings, current = self.settings, self._index_if_open()
        rows = []
        for name in collection_names(settings):
            if name == settings.index.collection and current is not None:
                rows.append(CollectionInfo(name, current.document_count(), current.count()))
                continue
            index = open_index(settings, name)
            try:
                rows.append(CollectionInfo(name, index.document_count(), index.count()))
            finally:
                index.close()
        return rows

    def _ingestor(self, ray: str | None = None, workers: int = 2) -> Any:
        from sleuth.tools.chunking import Chunker
        from sleuth.tools.ingest import Ingestor

        opts, embedder = self.settings.index, self._embedder()
        chunker = Chunker(opts.chunk_tokens, opts.chunk_overlap, embedder.tokenize)
        if ray is None:
            return Ingestor(self._index(), embedder, chunker, opts.batch_size)
        from sleuth.tools.ray_ingest import RayIngestor

        return RayIngestor(
            self._index(),
            embedder,
            chunker,
            batch_size=opts.batch_size,
            precision=self.settings.models.embedder_precision,
            device=embedder.device,
            address=ray,
            workers=workers,
        )


__all__ = ["Library"]
