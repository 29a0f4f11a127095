"""Multi-hop evidence retrieval: single-shot search against the LLM-free multi-hop loop, side by side.

    python -m bench.bench_multihop --data ../shared/data/hotpotqa-train100 [--data .../musique-train100]

For each question: supporting-passage recall@10 and all-found@10 (every gold supporting passage in the top
10), for BM25 alone, hybrid single-shot, and the multi-hop loop; plus p50 latency. No LM is used.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sleuth.evals.beir import iter_jsonl
from sleuth.evals.metrics import support_found


def run(data: Path, home: Path, limit: int | None) -> None:
    from sleuth.agent.api import ResearchAgent
    from sleuth.settings import Settings
    from sleuth.tools.multihop import multi_hop_search

    questions = [q for q in iter_jsonl(data / "questions.jsonl") if q.get("supporting")][:limit]
    settings = Settings(home=home)
    settings.index.collection = data.name
    with ResearchAgent(settings) as agent:
        report = agent.ingest([data / "corpus.jsonl"])
        searcher = agent.searcher
        results: dict[str, list[tuple[float, float, float]]] = {"bm25": [], "hybrid": [], "multi-hop": []}
        for q in questions:
            gold = list(dict.fromkeys(q["supporting"]))
            for name in results:
                started = time.perf_counter()
                if name == "multi-hop":
                    hits, _ = multi_hop_search(searcher, q["question"], k=40)
                else:
                    hits = searcher.search(q["question"], k=40, mode="sparse" if name == "bm25" else "hybrid")
                elapsed = time.perf_counter() - started
                ranked = list(dict.fromkeys(h.doc_id for h in hits))
                results[name].append((*support_found(ranked, gold), elapsed))
    print(f"\n== {data.name}: {len(questions)} questions, {report.documents} passages")
    for name, rows in results.items():
        recall = statistics.mean(r[0] for r in rows)
        both = statistics.mean(r[1] for r in rows)
        p50 = 1000 * statistics.median(r[2] for r in rows)
        print(f"{name:10s} support recall@10 {recall:.3f}   all-found@10 {both:.3f}   p50 {p50:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, action="append", required=True)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for data in args.data:
            run(data, Path(tmp), args.limit)


if __name__ == "__main__":
    main()
