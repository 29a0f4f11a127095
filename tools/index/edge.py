"""The embedded backend: Qdrant's in-process engine (qdrant-edge-py), one shard folder per collection."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from sleuth.errors import IndexLockedError, NoCollectionError
from sleuth.schema import Hit
from sleuth.tools.index.base import (
    DENSE,
    SCROLL_PAGE,
    SPARSE,
    TOP_LEVEL_FIELDS,
    ChunkRef,
    Fusion,
    check_vectors,
    chunk_of,
    chunk_ref,
    filter_key,
    payload_of,
)
from sleuth.tools.sparse import Sparse


class EdgeIndex:
    """A collection stored under `root/<collection>` and opened by one process at a time."""

    def __init__(
        self,
        root: Path,
        collection: str,
        *,
        hnsw_m: int | None = None,
        hnsw_ef_construct: int | None = None,
        hnsw_ef: int | None = None,
    ) -> None:
        self.collection = collection
        self.path = Path(root) / collection
        self.hnsw = (hnsw_m, hnsw_ef_construct)
        self.hnsw_ef = hnsw_ef
        self._shard: Any = None
        self._opening = threading.Lock()  # threads of one process share the shard; the first opens it

    def exists(self) -> bool:
        return (self.path / "edge_config.json").exists()

    @property
    def shard(self) -> Any:
        with self._opening:
            if self._shard is None:
                if not self.exists():
                    raise NoCollectionError(
                        f"There is no collection '{self.collection}' yet.",
                        "Ingest documents first: sleuth ingest PATH (or sleuth ingest --demo).",
                    )
                self._shard = self._open(lambda q: q.EdgeShard.load(str(self.path)))
            return self._shard

    def _open(self, opener: Any) -> Any:
        import qdrant_edge as q

        try:
            return opener(q)
        except Exception as exc:
            if "WouldBlock" in str(exc) or "lock" in str(exc).lower():
                raise IndexLockedError(
                    f"The embedded index at {self.path} is open in another sleuth process.",
                    "Close that process, or point SLEUTH_QDRANT_URL at a Qdrant server, which allows "
                    "concurrent access.",
                ) from exc
            raise

    def ensure(self, dim: int) -> None:
        import qdrant_edge as q

        if self._shard is not None:
            return
        if self.exists():
            _ = self.shard
            return
        hnsw = None
        if any(self.hnsw):
            m, ef_construct = self.hnsw
            hnsw = q.HnswIndexConfig(m=m or 16, ef_construct=ef_construct or 100, full_scan_threshold=10_000)
        config = q.EdgeConfig(
            vectors={DENSE: q.EdgeVectorParams(size=dim, distance=q.Distance.Cosine)},
            sparse_vectors={SPARSE: q.EdgeSparseVectorParams(modifier=q.Modifier.Idf)},
            hnsw_config=hnsw,
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._shard = self._open(lambda qe: qe.EdgeShard.create(str(self.path), config))
        for name in TOP_LEVEL_FIELDS:
            self._shard.update(q.UpdateOperation.create_field_index(name, q.PayloadSchemaType.Keyword))

    def upsert(self, chunks: list, dense: np.ndarray, sparse: list[Sparse]) -> None:
        import qdrant_edge as q

        check_vectors(chunks, dense, sparse)
        points = [
            q.Point(
                c.chunk_id,
                {DENSE: d.tolist(), SPARSE: q.SparseVector(s.indices, s.values)},
                payload_of(c),
            )
            for c, d, s in zip(chunks, dense, sparse, strict=True)
        ]
        if points:
            self.shard.update(q.UpdateOperation.upsert_points(points))
            self.shard.flush()

    def existing(self, chunk_ids: list[str]) -> set[str]:
        if not chunk_ids:
            return set()
        records = self.shard.retrieve(chunk_ids, with_payload=False, with_vector=False)
        return {str(r.id) for r in records}

    def search(
        self,
        dense: np.ndarray | None,
        sparse: Sparse | None,
        limit: int,
        filters: dict[str, Any] | None = None,
        fusion: Fusion = "rrf",
    ) -> list[Hit]:
        import qdrant_edge as q

        flt = _filter(filters)
        queries = []
        if dense is not None:
            queries.append(q.Query.Nearest(dense.tolist(), using=DENSE))
        if sparse is not None and sparse.indices:
            queries.append(q.Query.Nearest(q.SparseVector(sparse.indices, sparse.values), using=SPARSE))
        if not queries:
            return []
        params = q.SearchParams(hnsw_ef=self.hnsw_ef) if self.hnsw_ef else None
        if len(queries) == 1:
            request = q.QueryRequest(limit=limit, query=queries[0], filter=flt, with_payload=True, params=params)
        else:
            method = q.Fusion.Rrf(k=60) if fusion == "rrf" else q.Fusion.Dbsf()
            request = q.QueryRequest(
                limit=limit,
                prefetches=[q.Prefetch(limit=limit, query=x, filter=flt, params=params) for x in queries],
                query=method,
                filter=flt,
                with_payload=True,
            )
        return [Hit(chunk=chunk_of(p.payload), score=float(p.score)) for p in self.shard.query(request)]

    def count(self) -> int:
        import qdrant_edge as q

        return int(self.shard.count(q.CountRequest(exact=True))) if self.exists() else 0

    def document_count(self) -> int:
        import qdrant_edge as q

        if not self.exists():
            return 0
        hits = self.shard.facet(q.FacetRequest(key="doc_id", limit=10_000_000, exact=True)).hits
        return sum(1 for h in hits if h.count > 0)  # deleted values linger with a count of 0

    def dense_vectors(self, chunk_ids: list[str]) -> np.ndarray:
        records = {str(r.id): r for r in self.shard.retrieve(chunk_ids, False, [DENSE])}
        return np.asarray([records[c].vector[DENSE] for c in chunk_ids if c in records], dtype=np.float32)

    def chunks_of(self, doc_ids: list[str] | None = None) -> list[ChunkRef]:
        import qdrant_edge as q

        if not self.exists() or doc_ids == []:
            return []
        flt = None
        if doc_ids is not None:
            flt = q.Filter(must=[q.FieldCondition(key="doc_id", match=q.MatchAny(list(doc_ids)))])
        refs, offset = [], None
        while True:
            page = q.ScrollRequest(offset=offset, limit=SCROLL_PAGE, filter=flt, with_payload=True, with_vector=False)
            records, offset = self.shard.scroll(page)
            refs.extend(chunk_ref(r.id, r.payload) for r in records)
            if offset is None:
                return refs

    def delete(self, chunk_ids: list[str]) -> None:
        import qdrant_edge as q

        if chunk_ids:
            self.shard.update(q.UpdateOperation.delete_points(list(chunk_ids)))
            self.shard.flush()

    def optimize(self) -> bool:
        """Build the HNSW and payload indexes of segments that have none yet (blocking). True if any work."""
        return bool(self.shard.optimize()) if self.exists() else False

    def has_field(self, field: str) -> bool:
        import qdrant_edge as q

        flt = q.Filter(must_not=[q.IsEmptyCondition(filter_key(field))])
        return int(self.shard.count(q.CountRequest(exact=True, filter=flt))) > 0

    def close(self) -> None:
        if self._shard is not None:
            self._shard.flush()
            self._shard.close()
            self._shard = None


def _filter(filters: dict[str, Any] | None) -> Any:
    import qdrant_edge as q

    if not filters:
        return None
    return q.Filter(must=[q.FieldCondition(key=filter_key(k), match=q.MatchValue(v)) for k, v in filters.items()])
