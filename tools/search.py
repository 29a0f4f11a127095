"""Hybrid search: the query embedded densely and as BM25, fused by the index.

The default fusion is DBSF (each list's scores normalised by mean and 3 standard deviations, then summed): on
SciFact train it beat reciprocal rank fusion by about 2 nDCG@10 points on held-out queries
(bench/results/fusion_study_scifact_train.txt), as Bruch et al. found for convex fusion in general.
"""

from __future__ import annotations

from typing import Any, Protocol

from sleuth.errors import InputError
from sleuth.schema import Hit
from sleuth.tools.embedder import Embedder
from sleuth.tools.index.base import Fusion, SearchMode, VectorIndex
from sleuth.tools.sparse import SparseEncoder

MAX_QUERY_CHARS = 2000


class Reranker(Protocol):
    """A second stage: the hits of a query in a better order (the implementations are tools/rerank.py's)."""

    def rank(self, query: str, hits: list[Hit]) -> list[Hit]: ...


class HybridSearcher:
    def __init__(
        self,
        index: VectorIndex,
        embedder: Embedder,
        sparse: SparseEncoder | None = None,
        fusion: Fusion = "dbsf",
        weights: tuple[float, float] = (1.0, 1.0),
        reranker: Reranker | None = None,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.sparse = sparse or SparseEncoder()
        self.fusion = fusion
        self.weights = weights
        self.reranker = reranker  # the second stage (`search.rerank`), applied when a search asks for it

    def search(
        self,
        query: str,
        k: int = 10,
        mode: SearchMode = "hybrid",
        filters: dict[str, Any] | None = None,
        fusion: Fusion | None = None,
        rerank: bool = False,
    ) -> list[Hit]:
        """The best `k` chunks for `query`; with `rerank`, reordered by the configured second stage (each reranker
        keeps to its own seconds budget). Internal searches (multi-hop follow-ups, a document's chunks) leave it
        off: the stage is for the ranking a person or the answer reads."""
        hits = self._first_stage(query, k, mode, filters, fusion)
        if rerank and self.reranker is not None:
            hits = self.reranker.rank(" ".join(query.split()), hits)[:k]
        return hits

    def _first_stage(
        self, query: str, k: int, mode: SearchMode, filters: dict[str, Any] | None, fusion: Fusion | None
    ) -> list[Hit]:
        query = " ".join(query.split())[:MAX_QUERY_CHARS]
        if not query:
            raise InputError("The search query is empty.", "Type some words to search for.")
        dense = self.embedder.embed_query(query) if mode in ("hybrid", "dense") else None
        sparse = self.sparse.embed_query(query) if mode in ("hybrid", "sparse") else None
        if mode == "hybrid" and self.weights != (1.0, 1.0):
            depth = max(k, 100)  # each list deep enough that fusion can surface what the other ranks low
            hits = weighted_fusion(
                self.index.search(dense, None, depth, filters=filters),
                self.index.search(None, sparse, depth, filters=filters),
                self.weights,
                fusion or self.fusion,
            )[:k]
        else:
            hits = self.index.search(dense, sparse, k, filters=filters, fusion=fusion or self.fusion)
        if not hits and filters:
            unknown = [f for f in filters if not self.index.has_field(f)]
            if unknown:
                raise InputError(
                    f"No passage in the collection has the field(s) {', '.join(unknown)}.",
                    "Filter on doc_id, source, title, or a metadata field your documents carry.",
                )
        return hits


def weighted_fusion(
    dense: list[Hit], sparse: list[Hit], weights: tuple[float, float], fusion: Fusion = "dbsf"
) -> list[Hit]:
    """Dense and BM25 hits fused with weights (dense, sparse), as the index fuses them with equal weights: DBSF
    scales each list's scores by its mean +- 3 standard deviations and adds them; RRF adds 1/(60 + rank)."""
    import numpy as np

    scores: dict[str, float] = {}
    hits: dict[str, Hit] = {}
    for ranking, weight in zip((dense, sparse), weights, strict=True):
        if not ranking or weight == 0:
            continue
        if fusion == "rrf":
            values = [1.0 / (60 + rank) for rank in range(1, len(ranking) + 1)]
        else:
            raw = np.array([h.score for h in ranking], dtype=np.float64)
            low, spread = raw.mean() - 3 * raw.std(), 6 * raw.std() or 1.0
            values = list((raw - low) / spread)
        for hit, value in zip(ranking, values, strict=True):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + weight * float(value)
            hits.setdefault(hit.chunk_id, hit)
    order = sorted(scores, key=lambda c: scores[c], reverse=True)
    return [Hit(chunk=hits[c].chunk, score=scores[c]) for c in order]


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
