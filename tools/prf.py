"""Pseudo-relevance feedback on both sides of hybrid search, with no model beyond the embedder.

The top passages of a first hybrid search stand in for relevance judgements: the dense query moves towards
their embeddings (Rocchio), and the BM25 query gains their most characteristic terms (RM3-style expansion).
A second hybrid search with both expanded queries is fused with the first.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sleuth.schema import Hit
from sleuth.tools.chunking import passage_text
from sleuth.tools.search import HybridSearcher, fuse
from sleuth.tools.sparse import Sparse


class FeedbackReranker:
    def __init__(
        self,
        searcher: HybridSearcher,
        feedback_docs: int = 5,
        beta: float = 0.5,
        expansion_terms: int = 10,
        expansion_weight: float = 0.5,
        first_weight: float = 1.0,
    ) -> None:
        self.searcher = searcher
        self.feedback_docs = feedback_docs
        self.beta = beta
        self.expansion_terms = expansion_terms
        self.expansion_weight = expansion_weight
        self.first_weight = first_weight

    def search(self, query: str, k: int = 100, filters: dict[str, Any] | None = None) -> list[Hit]:
        return self.rank(query, self.searcher.search(query, k=k, filters=filters), filters)

    def rank(self, query: str, hits: list[Hit], filters: dict[str, Any] | None = None) -> list[Hit]:
        """`hits` are the first stage; a second search from the expanded queries is fused with them."""
        first, k = hits, max(len(hits), 1)
        top = first[: self.feedback_docs]
        if not top:
            return first
        index, embedder = self.searcher.index, self.searcher.embedder
        q_dense = embedder.embed_query(query)
        feedback = index.dense_vectors([h.chunk_id for h in top])
        dense = q_dense + self.beta * feedback.mean(axis=0) if len(feedback) else q_dense
        dense = dense / np.linalg.norm(dense)
        sparse = self._expand(self.searcher.sparse.embed_query(query), top)
        second = index.search(dense, sparse, k, filters=filters, fusion=self.searcher.fusion)
        if not self.first_weight:
            return second
        return fuse([first, second], weights=[self.first_weight, 1.0])

    def _expand(self, query: Sparse, top: list[Hit]) -> Sparse:
        if not self.expansion_terms or not self.expansion_weight:
            return query
        weights: dict[int, float] = {}
        for vec in self.searcher.sparse.embed_documents([passage_text(h.chunk) for h in top]):
            total = sum(vec.values) or 1.0
            for i, v in zip(vec.indices, vec.values, strict=True):
                weights[i] = weights.get(i, 0.0) + v / total
        own = set(query.indices)
        extra = sorted((i for i in weights if i not in own), key=lambda i: weights[i], reverse=True)
        extra = extra[: self.expansion_terms]
        if not extra:
            return query
        top_weight = weights[extra[0]]
        return Sparse(
            indices=[*query.indices, *extra],
            values=[*query.values, *(self.expansion_weight * weights[i] / top_weight for i in extra)],
        )
