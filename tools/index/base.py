"""One index interface over two Qdrant backends: the embedded engine and a Qdrant server.

Each point is one chunk: a named dense vector `dense`, a BM25 sparse vector `bm25` (IDF applied by the
engine), and the chunk's fields as payload.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple, Protocol

import numpy as np

from sleuth.schema import Chunk, Hit
from sleuth.tools.sparse import Sparse

DENSE = "dense"
SPARSE = "bm25"
DOC_HASH = "doc_hash"  # metadata field: the content hash of the document a chunk was cut from
SCROLL_PAGE = 1000
SearchMode = Literal["hybrid", "dense", "sparse"]
Fusion = Literal["rrf", "dbsf"]
# Payload fields with a keyword index; anything else is looked up under metadata.
TOP_LEVEL_FIELDS = ("doc_id", "chunk_id", "source", "title")


class ChunkRef(NamedTuple):
    chunk_id: str
    doc_id: str
    doc_hash: str
    source: str


def chunk_ref(chunk_id: Any, payload: dict[str, Any] | None) -> ChunkRef:
    payload = payload or {}
    meta = payload.get("metadata") or {}
    return ChunkRef(str(chunk_id), payload.get("doc_id", ""), meta.get(DOC_HASH, ""), payload.get("source", ""))


class VectorIndex(Protocol):
    collection: str

    def exists(self) -> bool: ...

    def ensure(self, dim: int) -> None: ...

    def upsert(self, chunks: list[Chunk], dense: np.ndarray, sparse: list[Sparse]) -> None: ...

    def existing(self, chunk_ids: list[str]) -> set[str]: ...

    def search(
        self,
        dense: np.ndarray | None,
        sparse: Sparse | None,
        limit: int,
        filters: dict[str, Any] | None = None,
        fusion: Fusion = "rrf",
    ) -> list[Hit]: ...

    def count(self) -> int: ...

    def has_field(self, field: str) -> bool: ...

    def document_count(self) -> int: ...

    def dense_vectors(self, chunk_ids: list[str]) -> np.ndarray: ...

    def chunks_of(self, doc_ids: list[str] | None = None) -> list[ChunkRef]:
        """Every chunk of these documents (of all documents if None), as (chunk, document, hash, source)."""
        ...

    def delete(self, chunk_ids: list[str]) -> None: ...

    def optimize(self) -> bool:
        """Build the approximate (HNSW) index where the backend does not do it by itself."""
        ...

    def close(self) -> None: ...


def payload_of(chunk: Chunk) -> dict[str, Any]:
    return chunk.model_dump()


def chunk_of(payload: dict[str, Any] | None) -> Chunk:
    return Chunk.model_validate(payload or {})


def filter_key(field: str) -> str:
    return field if field in TOP_LEVEL_FIELDS or field.startswith("metadata.") else f"metadata.{field}"


def check_vectors(chunks: list[Chunk], dense: np.ndarray, sparse: list[Sparse]) -> None:
    if not (len(chunks) == len(dense) == len(sparse)):
        raise ValueError(f"{len(chunks)} chunks but {len(dense)} dense and {len(sparse)} sparse vectors")
