"""The budgeted LLM stage on SciFact train: yes/no relevance logits of the embedded LLM over the top candidates of
the default hybrid search, combined with the first-stage score at several weights.

    python -m bench.llm_rerank_study --corpus C --queries Q --qrels R [--every 8] [--candidates 10]

The LLM is slow on 2 cores, so the study scores a fixed sample (every n-th judged query). The weight is chosen
by two-fold cross-validation inside the sample (chosen on one half, reported on the other), so the figure in
the last line is not tuned on the queries it is reported on.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from sleuth.evals.metrics import evaluate
from sleuth.evals.retrieval import doc_ranking

WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 1000.0)  # 0: the first stage alone; 1000: the LLM alone


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--qrels", type=Path, required=True)
    parser.add_argument("--every", type=int, default=8, help="Score every n-th judged query.")
    parser.add_argument("--candidates", type=int, default=10)
    parser.add_argument("--lm", default="local/qwen2.5-coder-1.5b")
    args = parser.parse_args()

    from bench.splits import load_split
    from sleuth.tools.llm_rerank import RelevanceLogitReranker, combine

    agent, queries, qrels = load_split(args)
    agent.settings.models.lm = args.lm  # read when the LM is first used, below
    judged = list(queries.items())
    sample = judged[:: args.every]
    firsts, llms, seconds = {}, {}, []
    with agent:
        agent.ingest([args.corpus])
        scorer = RelevanceLogitReranker(agent.lm, candidates=args.candidates, max_seconds=1e9)
        for qid, text in sample:
            hits = agent.searcher.search(text, k=200)
            started = time.perf_counter()
            llms[qid] = scorer.relevance(text, hits[: args.candidates])
            seconds.append(time.perf_counter() - started)
            firsts[qid] = hits

    def ndcg(qids: list[str], weight: float) -> float:
        run = {}
        for q in qids:
            hits, llm = firsts[q], llms[q]
            ranked = combine(hits[: len(llm)], llm, weight) + hits[len(llm) :]
            run[q] = [d for d, _ in doc_ranking(ranked, 100)]
        return evaluate(run, {q: qrels[q] for q in qids})["nDCG@10"]

    qids = [q for q, _ in sample]
    halves = (qids[::2], qids[1::2])
    print(
        f"{args.corpus}: {len(qids)} of {len(judged)} judged queries (every {args.every}th), LLM {args.lm}, "
        f"top {args.candidates} scored"
    )
    print(
        f"LLM seconds per query: p50 {statistics.median(seconds):.1f}  p95 "
        f"{statistics.quantiles(seconds, n=20)[18]:.1f}"
    )
    print(f"{'weight':>8s} {'nDCG@10 all':>12s} {'half A':>8s} {'half B':>8s}")
    for w in WEIGHTS:
        label = "first" if w == 0 else "LLM" if w >= 1000 else f"{w:g}"
        print(f"{label:>8s} {ndcg(qids, w):12.4f} {ndcg(halves[0], w):8.4f} {ndcg(halves[1], w):8.4f}")
    cross = []
    for pick, report in (halves, halves[::-1]):
        best = max(WEIGHTS[1:], key=lambda w: ndcg(pick, w))
        cross.append((best, ndcg(report, best), ndcg(report, 0.0)))
    mean = statistics.mean(c[1] for c in cross)
    base = statistics.mean(c[2] for c in cross)
    print(
        f"cross-validated: weights chosen {[c[0] for c in cross]}, held-out nDCG@10 {mean:.4f} vs first stage "
        f"{base:.4f} ({mean - base:+.4f})"
    )


if __name__ == "__main__":
    main()
