"""read -> chunk -> embed (dense + sparse) -> upsert, in batches and pipelined; safe to re-run and to interrupt.

Every chunk carries the content hash of its document (`metadata.doc_hash`), and a chunk's id hashes the document
hash with the chunk's position and text. So, per document:
- unchanged (all its chunks carry the current hash): skipped before chunking or embedding;
- changed (same document id, new content): the new chunks are written, then the old ones deleted;
- new: chunked, embedded, written.
A document's chunks are written in one update, so a run killed at any point resumes where it stopped with no
chunk lost or duplicated. `prune` drops documents whose files are gone; `remove` drops documents on request.

Pipelining: a reader thread reads and hashes documents ahead, the main thread chunks and embeds (the dense model
is the bottleneck), and a writer thread computes BM25 vectors and upserts the previous batch meanwhile.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sleuth.errors import SleuthError
from sleuth.schema import Chunk, Document, content_id
from sleuth.tools.chunking import Chunker, passage_text
from sleuth.tools.embedder import Embedder
from sleuth.tools.index.base import DOC_HASH, ChunkRef, VectorIndex
from sleuth.tools.readers import MAX_FILE_BYTES, Failure, Fields, read_paths
from sleuth.tools.sparse import SparseEncoder

DOCS_PER_BATCH = 32
_DONE = object()


@dataclass(frozen=True)
class Lazy:
    """A document known by its id and a digest of what it is made from (a library item's modification stamps)
    before it is read: `read` runs only when the index holds no document of that id with that digest, so a
    re-run over a large library reads only the items that changed."""

    doc_id: str
    digest: str
    read: Callable[[], Document | Failure]


@dataclass
class IngestReport:
    documents: int = 0
    chunks: int = 0
    added: int = 0
    skipped: int = 0
    unchanged: int = 0
    replaced: int = 0
    removed_chunks: int = 0
    pruned: list[str] = field(default_factory=list)
    seconds: float = 0.0
    failures: list[Failure] = field(default_factory=list)

    @property
    def docs_per_second(self) -> float:
        return self.documents / self.seconds if self.seconds else 0.0

    @property
    def changed(self) -> bool:
        """True if the collection's content changed in this run."""
        return bool(self.added or self.removed_chunks)


Progress = Callable[[IngestReport], None]


def document_hash(doc: Document) -> str:
    """Changes whenever anything that goes into the document's chunks changes."""
    meta = sorted((k, str(v)) for k, v in doc.metadata.items())
    return content_id(doc.doc_id, doc.title, doc.source, repr(meta), doc.text)[:16]


class Ingestor:
    def __init__(self, index: VectorIndex, embedder: Embedder, chunker: Chunker, batch_size: int = 64) -> None:
        self.index = index
        self.embedder = embedder
        self.chunker = chunker
        self.sparse = SparseEncoder()
        self.batch_size = batch_size
        self._index_lock = threading.Lock()  # the writer thread and the main thread share one index

    def ingest_paths(
        self,
        paths: list[Path],
        on_progress: Progress | None = None,
        prune: bool = False,
        fields: Fields | None = None,
        max_bytes: int = MAX_FILE_BYTES,
    ) -> IngestReport:
        seen: set[str] = set()
        report = self.ingest(_track(read_paths(paths, fields, max_bytes), seen), on_progress)
        if prune:
            report.pruned = self.prune(paths, seen, report)
        return report

    def ingest_items(
        self,
        items: Iterable[Document | Lazy | Failure],
        source: Path,
        on_progress: Progress | None = None,
        prune: bool = False,
    ) -> IngestReport:
        """Ingest what a library reader yields (tools/zotero.py); with `prune`, drop the documents of `source` (the
        library's file) that it no longer yields: items deleted or trashed there."""
        seen: set[str] = set()
        report = self.ingest(_track(items, seen), on_progress)
        if prune:
            report.pruned = self.prune([source], seen, report)
        return report

    def ingest(self, items: Iterable[Document | Lazy | Failure], on_progress: Progress | None = None) -> IngestReport:
        report = IngestReport()
        started = time.perf_counter()
        self.index.ensure(self.embedder.dim)
        writer = _Writer(self, report)
        try:
            for docs in _ahead(_batches(items, report), depth=2):
                self._embed_batch(docs, report, writer)
                report.seconds = time.perf_counter() - started
                if on_progress:
                    on_progress(report)
            self._flush(report, writer)
        finally:
            writer.finish()
        report.seconds = time.perf_counter() - started
        if on_progress:
            on_progress(report)
        return report

    def _embed_batch(self, docs: list[tuple[Document | Lazy, str]], report: IngestReport, writer: _Writer) -> None:
        todo, stale = self._changed(docs, report)
        chunks = [c for doc in todo for c in self.chunker.split(doc)]
        new = self._new_chunks(chunks, report)
        texts = [passage_text(c) for c in new]
        writer.put(new, texts, self.embedder.embed(texts), stale)

    def _flush(self, report: IngestReport, writer: _Writer) -> None:
        """Hands the writer what is still being embedded elsewhere (the Ray ingest); here nothing is."""

    def _changed(
        self, docs: list[tuple[Document | Lazy, str]], report: IngestReport
    ) -> tuple[list[Document], list[str]]:
        """The documents of a batch that are new or changed (each stamped with its hash), and the chunk ids their
        earlier versions leave behind; unchanged documents are counted and skipped before any chunking."""
        with self._index_lock:
            refs = self.index.chunks_of(list({d.doc_id for d, _ in docs}))
        stored: dict[str, list[ChunkRef]] = {}
        for ref in refs:
            stored.setdefault(ref.doc_id, []).append(ref)
        todo: list[Document] = []
        stale: list[str] = []
        for doc, digest in docs:
            previous = stored.get(doc.doc_id, [])
            same = bool(previous) and all(r.doc_hash == digest for r in previous)
            if isinstance(doc, Lazy) and not same:
                doc = doc.read()  # changed or new: only now is it read
                if isinstance(doc, Failure):  # an earlier version stays: a file that fails is not a deleted one
                    report.failures.append(doc)
                    continue
            report.documents += 1
            if same:
                report.unchanged += 1
                continue
            if previous:
                report.replaced += 1
                stale += [r.chunk_id for r in previous if r.doc_hash != digest]
            doc.metadata[DOC_HASH] = digest
            todo.append(doc)
        return todo, stale

    def _new_chunks(self, chunks: list[Chunk], report: IngestReport) -> list[Chunk]:
        """The chunks not in the index yet (a resumed run skips what the killed one wrote)."""
        unique = list({c.chunk_id: c for c in chunks}.values())
        with self._index_lock:
            present = self.index.existing([c.chunk_id for c in unique])
        report.chunks += len(chunks)
        new = [c for c in unique if c.chunk_id not in present]
        report.skipped += len(chunks) - len(new)
        return new

    def prune(self, paths: list[Path], seen: set[str], report: IngestReport) -> list[str]:
        """Drop documents from these paths that were not read this time: their files are gone, or their records
        were taken out of a JSONL/CSV file. Files that failed to read keep their documents: a damaged file is
        not a deleted one."""
        failed = {str(Path(f.path.split(":")[0]).resolve()) for f in report.failures}
        roots = [str(p.resolve()) for p in paths]
        with self._index_lock:
            refs = self.index.chunks_of()
        gone: dict[str, list[str]] = {}
        for ref in refs:
            source = ref.source
            if not source or ref.doc_id in seen or source in failed:
                continue
            if _under(source, roots):
                gone.setdefault(ref.doc_id, []).append(ref.chunk_id)
        with self._index_lock:
            self.index.delete([c for ids in gone.values() for c in ids])
        report.removed_chunks += sum(map(len, gone.values()))
        return sorted(gone)

    def remove(self, targets: list[str]) -> tuple[list[str], int]:
        """Drop documents named by id, or by a source file or folder. Returns (doc ids, chunks) removed."""
        resolved = [str(Path(t).resolve()) for t in targets]
        with self._index_lock:
            refs = self.index.chunks_of()
        doomed = [r for r in refs if r.doc_id in targets or _under(r.source, resolved)]
        with self._index_lock:
            self.index.delete([r.chunk_id for r in doomed])
        return sorted({r.doc_id for r in doomed}), len(doomed)


class _Writer:
    """Upserts batches on a thread of its own so the next batch embeds meanwhile; errors surface in the caller."""

    def __init__(self, ingestor: Ingestor, report: IngestReport) -> None:
        self.ingestor = ingestor
        self.report = report
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="sleuth-ingest-writer", daemon=True)
        self.thread.start()

    def put(self, chunks: list[Chunk], texts: list[str], dense: np.ndarray, stale: list[str]) -> None:
        """Queues a batch for the index: `dense` holds the rows of `chunks`, `stale` chunk ids to delete after."""
        self._check()
        if chunks or stale:
            self.queue.put((chunks, texts, dense, stale))

    def finish(self) -> None:
        self.queue.put(_DONE)
        self.thread.join()
        self._check()

    def _check(self) -> None:
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        while (item := self.queue.get()) is not _DONE:
            if self.error is not None:
                continue  # drain until finish() so the producer never blocks
            chunks, texts, dense, stale = item
            try:
                ing = self.ingestor
                sparse = ing.sparse.embed_documents(texts) if texts else []
                with ing._index_lock:
                    if chunks:
                        ing.index.upsert(chunks, dense, sparse)
                    ing.index.delete(stale)  # only after the new chunks are in: a crash leaves extra, never none
                self.report.added += len(chunks)
                self.report.removed_chunks += len(stale)
            except BaseException as exc:
                self.error = _write_error(exc)


def _write_error(exc: BaseException) -> BaseException:
    """A full disk (or any OS error) while writing the index, as a clear error; others as they are."""
    if isinstance(exc, OSError) or "No space left on device" in str(exc):
        return SleuthError(
            f"The index could not be written ({exc}).",
            "Free some disk space and run the same command again: the documents written so far are kept, and "
            "nothing is added twice.",
        )
    return exc


def _under(source: str, roots: list[str]) -> bool:
    """True if `source` is one of `roots` or lies in a folder among them."""
    return any(source == root or source.startswith(root.rstrip("/") + "/") for root in roots)


def _batches(
    items: Iterable[Document | Lazy | Failure], report: IngestReport
) -> Iterator[list[tuple[Document | Lazy, str]]]:
    batch: list[tuple[Document | Lazy, str]] = []
    for item in items:
        if isinstance(item, Failure):
            report.failures.append(item)
            continue
        batch.append((item, item.digest if isinstance(item, Lazy) else document_hash(item)))
        if len(batch) >= DOCS_PER_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _ahead(iterator: Iterator[Any], depth: int) -> Iterator[Any]:
    """Run `iterator` on a thread, `depth` items ahead of the consumer (reading overlaps embedding)."""
    buffer: queue.Queue[Any] = queue.Queue(maxsize=depth)
    failure: list[BaseException] = []

    def produce() -> None:
        try:
            for item in iterator:
                buffer.put(item)
        except BaseException as exc:
            failure.append(exc)
        buffer.put(_DONE)

    threading.Thread(target=produce, name="sleuth-ingest-reader", daemon=True).start()
    while (item := buffer.get()) is not _DONE:
        yield item
    if failure:
        raise failure[0]


def _track(items: Iterable[Document | Lazy | Failure], seen: set[str]) -> Iterator[Document | Lazy | Failure]:
    """Pass items through, noting the id of every document read."""
    for item in items:
        if isinstance(item, Document | Lazy):
            seen.add(item.doc_id)
        yield item
