"""BM25 sparse vectors computed in-process, so both index backends store and query the same thing.

Term weights use Qdrant's own BM25 tokenizer (stemming, stopwords, k1=1.2, b=0.75); the index applies IDF
(the sparse vector is configured with the IDF modifier), which keeps the weights valid as the corpus grows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class Sparse:
    indices: list[int]
    values: list[float]


class SparseEncoder:
    def __init__(self, avg_len: float = 150.0) -> None:
        self.avg_len = avg_len

    @cached_property
    def _bm25(self) -> Any:
        import qdrant_edge

        return qdrant_edge.Bm25(qdrant_edge.Bm25Config(avg_len=self.avg_len, language="english"))

    def embed_documents(self, texts: list[str]) -> list[Sparse]:
        out = []
        for text in texts:
            vec = self._bm25.embed_document(text)
            out.append(Sparse(list(vec.indices), list(vec.values)))
        return out

    def embed_query(self, text: str) -> Sparse:
        vec = self._bm25.embed_query(text)
        return Sparse(list(vec.indices), list(vec.values))
