"""Retrieval evaluation: search every query, write a TREC run, score it against qrels.

The corpus is ingested once into a collection named after its content hash, so later runs (and other
pipelines) reuse the index.
"""

from __future__ import annotations

import hashlib
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sleuth.evals.metrics import evaluate
from sleuth.schema import Hit

if TYPE_CHECKING:
    from sleuth.agent.api import ResearchAgent

Pipeline = Literal["bm25", "dense", "hybrid", "hybrid+rerank"]
PIPELINES: tuple[Pipeline, ...] = ("bm25", "dense", "hybrid", "hybrid+rerank")
_MODES = {"bm25": "sparse", "dense": "dense", "hybrid": "hybrid", "hybrid+rerank": "hybrid"}


@dataclass
class RetrievalRun:
    pipeline: str
    run: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)

    def ranking(self) -> dict[str, list[str]]:
        return {q: [d for d, _ in docs] for q, docs in self.run.items()}

    @property
    def p50_ms(self) -> float:
        return 1000 * statistics.median(self.latencies) if self.latencies else 0.0

    @property
    def p95_ms(self) -> float:
        if len(self.latencies) < 2:
            return self.p50_ms
        return 1000 * statistics.quantiles(self.latencies, n=20)[18]


def corpus_collection(corpus: Path) -> str:
    """A collection name that changes when the corpus file does."""
    stat = corpus.stat()
    key = f"{corpus.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    return "eval-" + hashlib.sha1(key.encode()).hexdigest()[:12]


def doc_ranking(hits: list[Hit], k: int) -> list[tuple[str, float]]:
    """Chunks to documents: each document ranks where its best chunk does."""
    seen: dict[str, float] = {}
    for hit in hits:
        if hit.doc_id not in seen:
            seen[hit.doc_id] = hit.score
        if len(seen) == k:
            break
    return list(seen.items())


def run_queries(agent: ResearchAgent, queries: dict[str, str], pipeline: Pipeline, k: int = 100) -> RetrievalRun:
    result = RetrievalRun(pipeline)
    for qid, text in queries.items():
        started = time.perf_counter()
        hits = agent.searcher.search(text, k=2 * k, mode=_MODES[pipeline], rerank=pipeline == "hybrid+rerank")
        result.latencies.append(time.perf_counter() - started)
        result.run[qid] = doc_ranking(hits, k)
    return result


def write_trec(run: RetrievalRun, path: Path, tag: str = "sleuth") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as out:
        for qid, docs in run.run.items():
            for rank, (doc, score) in enumerate(docs, 1):
                out.write(f"{qid} Q0 {doc} {rank} {score:.6f} {tag}-{run.pipeline}\n")


def score(run: RetrievalRun, qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    return evaluate(run.ranking(), qrels)
