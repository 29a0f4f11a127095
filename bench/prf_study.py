"""Pseudo-relevance feedback settings compared on a BEIR training split (tune on one half, report the other).

python -m bench.prf_study --corpus C --queries Q --qrels R
"""

from __future__ import annotations

import itertools
import time

from bench.splits import load_split, study_parser
from sleuth.evals.metrics import evaluate
from sleuth.evals.retrieval import doc_ranking


def main() -> None:
    from sleuth.tools.prf import FeedbackReranker

    args = study_parser(__doc__).parse_args()
    agent, queries, qrels = load_split(args)
    ids = list(queries)
    tune, held = ids[: args.tune], ids[args.tune :]

    def run(qids: list[str], search) -> tuple[dict[str, float], float]:
        started = time.perf_counter()
        ranking = {q: [d for d, _ in doc_ranking(search(queries[q]), 100)] for q in qids}
        return evaluate(ranking, {q: qrels[q] for q in qids}), (time.perf_counter() - started) / len(qids)

    baseline = lambda q: agent.searcher.search(q, k=200)  # noqa: E731
    for name, qids in (("tune", tune), ("held-out", held)):
        m, t = run(qids, baseline)
        print(f"hybrid baseline [{name}] nDCG@10 {m['nDCG@10']:.4f} R@100 {m['Recall@100']:.4f} {1000 * t:.0f} ms/q")
    grid = list(itertools.product((3, 5), (0.5, 1.0), (0, 10), (0.5,), (0.5, 1.0)))
    results = []
    for docs, beta, terms, weight, first in grid:
        fb = FeedbackReranker(agent.searcher, docs, beta, terms, weight, first)
        m, t = run(tune, lambda q, fb=fb: fb.search(q, k=200))
        results.append((m["nDCG@10"], (docs, beta, terms, weight, first), t))
    results.sort(reverse=True)
    for score, params, t in results[:5]:
        print(f"tune nDCG@10 {score:.4f} docs,beta,terms,weight,first={params} {1000 * t:.0f} ms/q")
    best = results[0][1]
    fb = FeedbackReranker(agent.searcher, *best)
    m, t = run(held, lambda q: fb.search(q, k=200))
    print(
        f"PRF {best} [held-out] nDCG@10 {m['nDCG@10']:.4f} R@100 {m['Recall@100']:.4f} "
        f"MRR@10 {m['MRR@10']:.4f} {1000 * t:.0f} ms/q"
    )


if __name__ == "__main__":
    main()
