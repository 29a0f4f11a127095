"""How to fuse dense and BM25: RRF (k, weights), score-normalised combinations, chunk-to-document aggregation.

    python -m bench.fusion_study --corpus C --queries Q --qrels R [--tune 400]

Both first-stage lists are fetched once per query; every fusion is then computed offline. Settings are chosen
on the first `--tune` judged queries and reported on the rest (all from the training split).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from bench.splits import load_split, study_parser
from sleuth.evals.metrics import evaluate

Scored = list[tuple[str, float]]  # (doc_id, score) per chunk, best first


def rrf(lists: list[Scored], weights: list[float], k: int, agg: str) -> list[str]:
    docs: dict[str, list[float]] = {}
    for scored, w in zip(lists, weights, strict=True):
        per_list: dict[str, list[float]] = {}
        for rank, (doc, _) in enumerate(scored):
            per_list.setdefault(doc, []).append(w / (k + rank + 1))
        for doc, vals in per_list.items():
            docs.setdefault(doc, []).append(_agg(vals, agg))
    return sorted(docs, key=lambda d: sum(docs[d]), reverse=True)


def convex(lists: list[Scored], alpha: float, norm: str, agg: str) -> list[str]:
    docs: dict[str, float] = {}
    for scored, w in zip(lists, [alpha, 1 - alpha], strict=True):
        if not scored:
            continue
        vals = np.array([s for _, s in scored])
        if norm == "minmax":
            z = (vals - vals.min()) / (vals.max() - vals.min() + 1e-9)
        else:  # dbsf: mean +- 3 std
            lo, hi = vals.mean() - 3 * vals.std(), vals.mean() + 3 * vals.std()
            z = (vals - lo) / (hi - lo + 1e-9)
        per_doc: dict[str, list[float]] = {}
        for (doc, _), v in zip(scored, z, strict=True):
            per_doc.setdefault(doc, []).append(float(v))
        for doc, vs in per_doc.items():
            docs[doc] = docs.get(doc, 0.0) + w * _agg(vs, agg)
    return sorted(docs, key=docs.get, reverse=True)  # type: ignore[arg-type]


def _agg(values: list[float], how: str) -> float:
    values = sorted(values, reverse=True)
    return values[0] if how == "max" else values[0] + 0.5 * sum(values[1:2])


def main() -> None:
    args = study_parser(__doc__).parse_args()
    agent, queries, qrels = load_split(args)
    searcher = agent.searcher
    lists: dict[str, list[Scored]] = {}
    for qid, text in queries.items():
        dense = searcher.search(text, k=200, mode="dense")
        sparse = searcher.search(text, k=200, mode="sparse")
        lists[qid] = [[(h.doc_id, h.score) for h in dense], [(h.doc_id, h.score) for h in sparse]]
    ids = list(queries)
    tune, held = ids[: args.tune], ids[args.tune :]

    def score(qids: list[str], method: Callable[[list[Scored]], list[str]]) -> dict[str, float]:
        return evaluate({q: method(lists[q])[:100] for q in qids}, {q: qrels[q] for q in qids})

    candidates: dict[str, Callable[[list[Scored]], list[str]]] = {
        "rrf k=60 (current)": lambda ls: rrf(ls, [1, 1], 60, "max")
    }
    for k, w, agg in itertools.product((10, 20, 40, 60), (0.7, 0.85, 1.0, 1.2), ("max", "max+half2nd")):
        candidates[f"rrf k={k} dense_w={w} {agg}"] = lambda ls, k=k, w=w, agg=agg: rrf(ls, [w, 1.0], k, agg)
    for a, norm, agg in itertools.product((0.3, 0.4, 0.5, 0.6, 0.7), ("minmax", "dbsf"), ("max", "max+half2nd")):
        candidates[f"convex a={a} {norm} {agg}"] = lambda ls, a=a, norm=norm, agg=agg: convex(ls, a, norm, agg)
    tuned = sorted(((score(tune, m)["nDCG@10"], name) for name, m in candidates.items()), reverse=True)
    base = score(held, candidates["rrf k=60 (current)"])
    print(
        f"held-out {len(held)} queries; current rrf k=60: nDCG@10 {base['nDCG@10']:.4f} R@100 {base['Recall@100']:.4f}"
    )
    for tuned_score, name in tuned[:8]:
        m = score(held, candidates[name])
        print(
            f"{name:40s} tune {tuned_score:.4f}  held-out nDCG@10 {m['nDCG@10']:.4f}  R@100 {m['Recall@100']:.4f}"
            f"  MRR@10 {m['MRR@10']:.4f}"
        )


if __name__ == "__main__":
    main()
