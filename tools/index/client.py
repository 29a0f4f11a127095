"""The server backend: qdrant-client against a Qdrant server or cluster (`SLEUTH_QDRANT_URL`).

`location=":memory:"` gives qdrant-client's local mode, which stands in for a server in tests.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from sleuth.errors import NoCollectionError
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


class ClientIndex:
    def __init__(
        self,
        collection: str,
        url: str | None = None,
        api_key: str | None = None,
        location: str | None = None,
        shards: int | None = None,
        replication: int | None = None,
        on_disk: bool = False,
        client: Any = None,
    ) -> None:
        self.collection = collection
        self.shards = shards
        self.replication = replication
        self.on_disk = on_disk
        if client is None:
            from qdrant_client import QdrantClient

            client = QdrantClient(location=location) if location else QdrantClient(url=url, api_key=api_key)
        self.client = client

    def exists(self) -> bool:
        return bool(self.client.collection_exists(self.collection))

    def _require(self) -> None:
        if not self.exists():
            raise NoCollectionError(
                f"There is no collection '{self.collection}' on the Qdrant server yet.",
                "Ingest documents first: sleuth ingest PATH (or sleuth ingest --demo).",
            )

    def ensure(self, dim: int) -> None:
        from qdrant_client import models

        if self.exists():
            return
        self.client.create_collection(
            self.collection,
            vectors_config={
                DENSE: models.VectorParams(size=dim, distance=models.Distance.COSINE, on_disk=self.on_disk or None)
            },
            sparse_vectors_config={
                SPARSE: models.SparseVectorParams(
                    modifier=models.Modifier.IDF, index=models.SparseIndexParams(on_disk=self.on_disk or None)
                )
            },
            shard_number=self.shards,
            replication_factor=self.replication,
            on_disk_payload=self.on_disk or None,
        )
        with warnings.catch_warnings():  # local mode (the test stand-in) says payload indexes do nothing there
            warnings.simplefilter("ignore", UserWarning)
            for name in TOP_LEVEL_FIELDS:
                self.client.create_payload_index(self.collection, name, models.PayloadSchemaType.KEYWORD)

    def upsert(self, chunks: list, dense: np.ndarray, sparse: list[Sparse]) -> None:
        from qdrant_client import models

        check_vectors(chunks, dense, sparse)
        points = [
            models.PointStruct(
                id=c.chunk_id,
                vector={DENSE: d.tolist(), SPARSE: models.SparseVector(indices=s.indices, values=s.values)},
                payload=payload_of(c),
            )
            for c, d, s in zip(chunks, dense, sparse, strict=True)
        ]
        if points:
            self.client.upsert(self.collection, points=points, wait=True)

    def existing(self, chunk_ids: list[str]) -> set[str]:
        if not chunk_ids:
            return set()
        records = self.client.retrieve(self.collection, ids=chunk_ids, with_payload=False, with_vectors=False)
        return {str(r.id) for r in records}

    def search(
        self,
        dense: np.ndarray | None,
        sparse: Sparse | None,
        limit: int,
        filters: dict[str, Any] | None = None,
        fusion: Fusion = "rrf",
    ) -> list[Hit]:
        from qdrant_client import models

        self._require()
        flt = _filter(filters)
        queries: list[tuple[Any, str]] = []
        if dense is not None:
            queries.append((dense.tolist(), DENSE))
        if sparse is not None and sparse.indices:
            queries.append((models.SparseVector(indices=sparse.indices, values=sparse.values), SPARSE))
        if not queries:
            return []
        if len(queries) == 1:
            vector, using = queries[0]
            result = self.client.query_points(
                self.collection, query=vector, using=using, limit=limit, query_filter=flt, with_payload=True
            )
        else:
            method = models.Fusion.RRF if fusion == "rrf" else models.Fusion.DBSF
            result = self.client.query_points(
                self.collection,
                prefetch=[models.Prefetch(query=v, using=u, limit=limit, filter=flt) for v, u in queries],
                query=models.FusionQuery(fusion=method),
                limit=limit,
                query_filter=flt,
                with_payload=True,
            )
        return [Hit(chunk=chunk_of(p.payload), score=float(p.score)) for p in result.points]

    def count(self) -> int:
        if not self.exists():
            return 0
        return int(self.client.count(self.collection, exact=True).count)

    def document_count(self) -> int:
        if not self.exists():
            return 0
        hits = self.client.facet(self.collection, key="doc_id", limit=10_000_000, exact=True).hits
        return sum(1 for h in hits if h.count > 0)

    def dense_vectors(self, chunk_ids: list[str]) -> np.ndarray:
        records = self.client.retrieve(self.collection, ids=chunk_ids, with_payload=False, with_vectors=[DENSE])
        by_id = {str(r.id): r.vector[DENSE] for r in records}
        return np.asarray([by_id[c] for c in chunk_ids if c in by_id], dtype=np.float32)

    def chunks_of(self, doc_ids: list[str] | None = None) -> list[ChunkRef]:
        from qdrant_client import models

        if not self.exists() or doc_ids == []:
            return []
        flt = None
        if doc_ids is not None:
            flt = models.Filter(must=[models.FieldCondition(key="doc_id", match=models.MatchAny(any=list(doc_ids)))])
        refs, offset = [], None
        while True:
            records, offset = self.client.scroll(
                self.collection, scroll_filter=flt, limit=SCROLL_PAGE, offset=offset, with_payload=True
            )
            refs.extend(chunk_ref(r.id, r.payload) for r in records)
            if offset is None:
                return refs

    def delete(self, chunk_ids: list[str]) -> None:
        from qdrant_client import models

        if chunk_ids:
            self.client.delete(self.collection, points_selector=models.PointIdsList(points=list(chunk_ids)), wait=True)

    def optimize(self) -> bool:
        """A Qdrant server builds its indexes in the background."""
        return False

    def has_field(self, field: str) -> bool:
        from qdrant_client import models

        flt = models.Filter(must_not=[models.IsEmptyCondition(is_empty=models.PayloadField(key=filter_key(field)))])
        return int(self.client.count(self.collection, count_filter=flt, exact=True).count) > 0

    def close(self) -> None:
        self.client.close()


def _filter(filters: dict[str, Any] | None) -> Any:
    from qdrant_client import models

    if not filters:
        return None
    return models.Filter(
        must=[models.FieldCondition(key=filter_key(k), match=models.MatchValue(value=v)) for k, v in filters.items()]
    )
