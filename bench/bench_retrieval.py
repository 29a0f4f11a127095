"""Every retrieval pipeline side by side on one BEIR split, in one run.

    python -m bench.bench_retrieval --corpus C --queries Q --qrels R [--rerank prf]

Prints nDCG@10, Recall@100, MRR@10 and query latency p50/p95 for bm25, dense, hybrid with RRF (the common
baseline), hybrid with the default fusion, and hybrid plus the chosen second stage.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sleuth.evals.retrieval import corpus_collection, run_queries, score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--qrels", type=Path, required=True)
    parser.add_argument("--rerank", default="prf", help="Second stage for the last row (see search.rerank).")
    args = parser.parse_args()

    from sleuth.agent.api import ResearchAgent
    from sleuth.evals.beir import load_qrels, load_queries
    from sleuth.settings import Settings

    qrels = load_qrels(args.qrels)
    queries = {q: t for q, t in load_queries(args.queries).items() if q in qrels}
    rows = []
    for label, pipeline, fusion, rerank in (
        ("bm25", "bm25", "dbsf", "none"),
        ("dense", "dense", "dbsf", "none"),
        ("hybrid rrf (baseline)", "hybrid", "rrf", "none"),
        ("hybrid dbsf (default)", "hybrid", "dbsf", "none"),
        (f"hybrid dbsf + {args.rerank}", "hybrid+rerank", "dbsf", args.rerank),
    ):
        settings = Settings(search={"fusion": fusion, "rerank": rerank})
        settings.index.collection = corpus_collection(args.corpus)
        with ResearchAgent(settings) as agent:
            agent.ingest([args.corpus])
            run = run_queries(agent, queries, pipeline)  # type: ignore[arg-type]
        m = score(run, qrels)
        rows.append((label, m, run.p50_ms, run.p95_ms))
    print(f"\n{args.corpus} — {len(queries)} judged queries")
    print(f"{'pipeline':28s} {'nDCG@10':>8s} {'R@100':>7s} {'MRR@10':>7s} {'p50 ms':>7s} {'p95 ms':>7s}")
    for label, m, p50, p95 in rows:
        print(f"{label:28s} {m['nDCG@10']:8.4f} {m['Recall@100']:7.4f} {m['MRR@10']:7.4f} {p50:7.0f} {p95:7.0f}")


if __name__ == "__main__":
    main()
