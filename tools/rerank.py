"""Second-stage rerankers behind one interface: `rank(query, hits) -> hits`, best first.

No cross-encoder ships its weights on PyPI, so the default stage is built from what installs here; a
cross-encoder the user supplies (a local sentence-transformers CrossEncoder folder) plugs in the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sleuth.errors import ConfigError, ModelUnavailableError
from sleuth.schema import Hit
from sleuth.tools.chunking import passage_text
from sleuth.tools.search import HybridSearcher, Reranker

if TYPE_CHECKING:
    from sleuth.settings import SearchSettings


class NoRerank:
    """Keep the first-stage order."""

    def rank(self, query: str, hits: list[Hit]) -> list[Hit]:
        return list(hits)


class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder from a local folder; scores the top `candidates` within `max_seconds`."""

    def __init__(self, path: Path, candidates: int = 30, max_seconds: float = 5.0, batch_size: int = 16) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise ModelUnavailableError(
                f"No cross-encoder model folder at {self.path}.",
                "Point the reranker at a local sentence-transformers CrossEncoder directory.",
            )
        self.candidates = candidates
        self.max_seconds = max_seconds
        self.batch_size = batch_size

    @cached_property
    def model(self) -> Any:
        from sleuth.runtime import offline_environment

        offline_environment()
        from sentence_transformers import CrossEncoder

        return CrossEncoder(str(self.path), device="cpu", local_files_only=True)

    def rank(self, query: str, hits: list[Hit]) -> list[Hit]:
        head, tail = hits[: self.candidates], hits[self.candidates :]
        started = time.perf_counter()
        scores: list[float] = []
        for i in range(0, len(head), self.batch_size):
            if time.perf_counter() - started > self.max_seconds:
                break
            batch = head[i : i + self.batch_size]
            scores.extend(float(s) for s in self.model.predict([(query, passage_text(h.chunk)) for h in batch]))
        scored = [Hit(chunk=h.chunk, score=s) for h, s in zip(head, scores, strict=False)]
        scored.sort(key=lambda h: h.score, reverse=True)
        return scored + head[len(scores) :] + tail


class MMRReranker:
    """Maximal marginal relevance (Carbonell & Goldstein): each next passage maximises
    `lam * relevance - (1 - lam) * max cosine to the passages already taken`, over the top `candidates`.

    Relevance is the first stage's score scaled to [0, 1]; similarity uses the passages' stored dense vectors,
    so nothing is embedded again. For questions whose evidence is spread over several documents."""

    def __init__(self, index: Any, lam: float = 0.7, candidates: int = 30) -> None:
        if not 0.0 <= lam <= 1.0:
            raise ConfigError(f"MMR's lambda must lie in [0, 1], not {lam}.", "Use e.g. SLEUTH_SEARCH__RERANK=mmr:0.7")
        self.index = index
        self.lam = lam
        self.candidates = candidates

    def rank(self, query: str, hits: list[Hit]) -> list[Hit]:
        import numpy as np

        head, tail = hits[: self.candidates], hits[self.candidates :]
        if len(head) < 3:
            return list(hits)
        vectors = self.index.dense_vectors([h.chunk_id for h in head])
        if len(vectors) != len(head):  # a passage without a stored vector: keep the first-stage order
            return list(hits)
        scores = np.array([h.score for h in head], dtype=np.float32)
        relevance = (scores - scores.min()) / (np.ptp(scores) or 1.0)
        similarity = vectors @ vectors.T
        order: list[int] = []
        closest = np.full(len(head), -np.inf, dtype=np.float32)
        remaining = set(range(len(head)))
        while remaining:
            redundancy = np.where(np.isfinite(closest), closest, 0.0)
            value = self.lam * relevance - (1 - self.lam) * redundancy
            best = max(remaining, key=lambda i: value[i])
            order.append(best)
            remaining.discard(best)
            closest = np.maximum(closest, similarity[best])
        return [head[i] for i in order] + tail


def build_reranker(opts: SearchSettings, searcher: HybridSearcher, lm: Callable[[], Any]) -> Reranker:
    """The second stage `opts.rerank` names; `lm` is called only by the stages that need a language model."""
    name = opts.rerank.strip()
    if name == "none":
        return NoRerank()
    if name == "prf":
        from sleuth.tools.prf import FeedbackReranker

        return FeedbackReranker(searcher)
    if name == "llm" or name.startswith("llm:"):
        from sleuth.tools.llm_rerank import RelevanceLogitReranker

        weight = _number(name, 1.0, "llm:1.0")
        return RelevanceLogitReranker(
            lm(), candidates=opts.rerank_candidates, max_seconds=opts.rerank_seconds, weight=weight
        )
    if name in ("listwise", "pairwise"):
        from sleuth.tools.llm_rerank import ListwiseReranker, PairwiseReranker

        cls = ListwiseReranker if name == "listwise" else PairwiseReranker
        return cls(lm(), candidates=opts.rerank_candidates, max_seconds=opts.rerank_seconds)
    if name == "mmr" or name.startswith("mmr:"):
        return MMRReranker(searcher.index, _number(name, 0.7, "mmr:0.7"), opts.rerank_candidates)
    if name.startswith("cross-encoder:"):
        return CrossEncoderReranker(
            Path(name.split(":", 1)[1]).expanduser(), opts.rerank_candidates, opts.rerank_seconds
        )
    raise ConfigError(
        f"Unknown reranker '{name}'.",
        "Set SLEUTH_SEARCH__RERANK to none, prf, mmr[:LAMBDA], llm[:WEIGHT], listwise, pairwise or cross-encoder:PATH.",
    )


def _number(name: str, default: float, example: str) -> float:
    """The number after the colon in `name` (`mmr:0.7`), or `default` when there is none."""
    text = name.partition(":")[2]
    try:
        return float(text) if text else default
    except ValueError as exc:
        raise ConfigError(f"'{text}' is not a number.", f"Use e.g. SLEUTH_SEARCH__RERANK={example}") from exc


__all__ = ["CrossEncoderReranker", "MMRReranker", "NoRerank", "Reranker", "build_reranker"]
