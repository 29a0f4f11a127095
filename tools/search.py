"""Hybrid search: the query embedded densely and as BM25, fused by the index.

The default fusion is DBSF (each list's scores normalised by mean and 3 standard deviations, then summed): on
SciFact train it beat reciprocal rank fusion by about 2 nDCG@10 points on held-out queries
(evals/results/fusion_study_scifact_train.txt), as Bruch et al. found for convex fusion in general.
"""

from __future__ import annotations

from typing import Any

from sleuth.errors import InputError
from sleuth.schema import Hit
from sleuth.tools.embedder import Embedder
from sleuth.tools.index.base import Fusion, SearchMode, VectorIndex
from sleuth.tools.sparse import SparseEncoder

MAX_QUERY_CHARS = 2000


class HybridSearcher:
    def __init__(
        self,
        index: VectorIndex,
        embedder: Embedder,
        sparse: SparseEncoder | None = None,
        fusion: Fusion = "dbsf",
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.sparse = sparse or SparseEncoder()
        self.fusion = fusion

    def search(
        self,
        query: str,
        k: int = 10,
        mode: SearchMode = "hybrid",
        filters: dict[str, Any] | None = None,
        fusion: Fusion | None = None,
    ) -> list[Hit]:
        query = " ".join(query.split())[:MAX_QUERY_CHARS]
        if not query:
            raise InputError("The search query is empty.", "Type some words to search for.")
        dense = self.embedder.embed_query(query) if mode in ("hybrid", "dense") else None
        sparse = self.sparse.embed_query(query) if mode in ("hybrid", "sparse") else None
        hits = self.index.search(dense, sparse, k, filters=filters, fusion=fusion or self.fusion)
        if not hits and filters:
            unknown = [f for f in filters if not self.index.has_field(f)]
            if unknown:
                raise InputError(
                    f"No passage in the collection has the field(s) {', '.join(unknown)}.",
                    "Filter on doc_id, source, title, or a metadata field your documents carry.",
                )
        return hits


def fuse(rankings: list[list[Hit]], k: int = 60, weights: list[float] | None = None) -> list[Hit]:
    """Weighted reciprocal rank fusion of several rankings of chunks (e.g. one per query), best first."""
    scores: dict[str, float] = {}
    hits: dict[str, Hit] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, hit in enumerate(ranking):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + weight / (k + rank + 1)
            hits.setdefault(hit.chunk_id, hit)
    order = sorted(scores, key=lambda cid: scores[cid], reverse=True)
    return [Hit(chunk=hits[cid].chunk, score=scores[cid]) for cid in order]
