"""Which second stage helps? Candidate rerankers scored side by side on a BEIR training split.

    python -m bench.rerank_study --corpus C --queries Q --qrels R [--tune 400]

The judged queries are split in two: the first `--tune` choose each method's weights, the rest (held out) are
where the printed figures come from, so the comparison is not computed on the data the weights were fit to.
All of it is training data; the sealed test split is never read.
"""

from __future__ import annotations

import itertools
import re
import time

import numpy as np

from bench.splits import load_split, study_parser
from sleuth.evals.metrics import evaluate
from sleuth.schema import Hit

_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])")


def _ranks(hits: list[Hit]) -> dict[str, int]:
    ranks: dict[str, int] = {}
    for i, h in enumerate(hits):
        ranks.setdefault(h.doc_id, i)
    return ranks


def _rrf(rank_lists: list[dict[str, int]], weights: list[float], k: int = 60) -> list[str]:
    scores: dict[str, float] = {}
    for ranks, w in zip(rank_lists, weights, strict=True):
        for doc, r in ranks.items():
            scores[doc] = scores.get(doc, 0.0) + w / (k + r + 1)
    return sorted(scores, key=scores.get, reverse=True)  # type: ignore[arg-type]


def main() -> None:
    parser = study_parser(__doc__)
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--limit", type=int, help="Only the first N judged queries.")
    parser.add_argument("--head", type=int, default=15, help="Candidates per list rescored by sentence max-sim.")
    args = parser.parse_args()

    agent, queries, qrels = load_split(args)
    if args.limit:
        queries = dict(list(queries.items())[: args.limit])
    searcher, embedder = agent.searcher, agent.embedder

    lists: dict[str, dict[str, dict[str, int]]] = {}
    maxsim: dict[str, dict[str, float]] = {}
    sent_cache: dict[str, np.ndarray] = {}
    started = time.perf_counter()
    for qid, text in queries.items():
        dense = searcher.search(text, k=args.depth, mode="dense")
        sparse = searcher.search(text, k=args.depth, mode="sparse")
        lists[qid] = {"dense": _ranks(dense), "bm25": _ranks(sparse)}
        # sentence-level max-sim over the union of the head of each list
        head = {h.chunk_id: h for h in [*dense[: args.head], *sparse[: args.head]]}
        qv = embedder.embed_query(text)
        scores: dict[str, float] = {}
        missing = [h for cid, h in head.items() if cid not in sent_cache]
        if missing:
            pieces, owners = [], []
            for h in missing:
                sents = [s for s in _SENT.split(h.chunk.text) if len(s) > 20] or [h.chunk.text]
                pieces += [f"{h.chunk.title}. {s}" for s in sents]
                owners += [h.chunk_id] * len(sents)
            vecs = embedder.embed(pieces)
            for cid in dict.fromkeys(owners):
                sent_cache[cid] = vecs[[i for i, o in enumerate(owners) if o == cid]]
        for cid, h in head.items():
            s = float((sent_cache[cid] @ qv).max())
            scores[h.doc_id] = max(scores.get(h.doc_id, -1.0), s)
        maxsim[qid] = scores
    print(f"collected {len(queries)} queries in {time.perf_counter() - started:.0f}s")

    ids = list(queries)
    tune, held = ids[: args.tune], ids[args.tune :]

    def score(qids: list[str], method) -> dict[str, float]:
        return evaluate({q: method(q) for q in qids}, {q: qrels[q] for q in qids})

    def ms_ranks(q: str) -> dict[str, int]:
        return {d: i for i, d in enumerate(sorted(maxsim[q], key=maxsim[q].get, reverse=True))}  # type: ignore[arg-type]

    methods = {
        "bm25": lambda w: lambda q: list(lists[q]["bm25"]),
        "dense": lambda w: lambda q: list(lists[q]["dense"]),
        "hybrid rrf": lambda w: lambda q: _rrf([lists[q]["dense"], lists[q]["bm25"]], [1.0, 1.0]),
        "hybrid rrf weighted": lambda w: lambda q: _rrf([lists[q]["dense"], lists[q]["bm25"]], [w[0], 1.0]),
        "rrf + sentence maxsim": lambda w: (
            lambda q: _rrf([lists[q]["dense"], lists[q]["bm25"], ms_ranks(q)], [w[0], 1.0, w[1]])
        ),
    }
    grid = {
        "hybrid rrf weighted": [(a, 0) for a in (0.6, 0.8, 1.0, 1.2, 1.5)],
        "rrf + sentence maxsim": list(itertools.product((0.6, 0.8, 1.0, 1.2), (0.5, 1.0, 1.5, 2.0))),
    }
    for name, build in methods.items():
        best = max(grid.get(name, [(1.0, 1.0)]), key=lambda w: score(tune, build(w))["nDCG@10"])
        m = score(held, build(best))
        print(
            f"{name:28s} weights {best}  held-out nDCG@10 {m['nDCG@10']:.4f}  R@100 {m['Recall@100']:.4f}"
            f"  MRR@10 {m['MRR@10']:.4f}  ({m['queries']} queries)"
        )


if __name__ == "__main__":
    main()
