"""The LLM-free attribution audit of the benchmarks."""

from __future__ import annotations

from sleuth.evals.metrics import attribution_audit
from sleuth.schema import Citation


def _cite(n: int, text: str) -> Citation:
    return Citation(n=n, doc_id=f"d{n}", chunk_id=f"c{n}", title="", text=text, score=1.0)


def test_the_audit_flags_misattributed_and_unsupported_sentences() -> None:
    first = _cite(1, "FIRST uses the output logits of the first generated identifier to rank candidates directly.")
    prorank = _cite(2, "ProRank warms up small language models with reinforcement learning for reranking.")
    answer = (
        "Listwise reranking uses the output logits of the first generated identifier to rank candidates [2]. "
        "ProRank warms up small language models with reinforcement learning [2]. "
        "Napoleon crossed the Alps in 1800 [1]."
    )
    assert attribution_audit(answer, [first, prorank]) == {"cited_sentences": 3, "misattributed": 1, "unsupported": 2}


def test_ranking_metrics_from_ir_measures_match_trec_evals_formulas() -> None:
    """The hand-written nDCG/Recall/MRR that produced the README's retrieval figures, as the oracle."""
    import math
    import random

    from sleuth.evals.metrics import evaluate

    def ndcg(ranking: list[str], relevant: dict[str, int], k: int = 10) -> float:
        dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranking[:k]))
        ideal = sum(g / math.log2(i + 2) for i, g in enumerate(sorted(relevant.values(), reverse=True)[:k]))
        return dcg / ideal

    def mrr(ranking: list[str], relevant: dict[str, int], k: int = 10) -> float:
        return next((1 / (i + 1) for i, d in enumerate(ranking[:k]) if d in relevant), 0.0)

    rng = random.Random(7)
    docs = [f"d{i}" for i in range(200)]
    qrels = {f"q{i}": {d: rng.choice([1, 2]) for d in rng.sample(docs, rng.randint(1, 4))} for i in range(60)}
    run = {q: rng.sample(docs, 120) for q in list(qrels)[:55]}  # five judged queries retrieve nothing
    for q in list(run)[:20]:  # some relevant documents moved near the top
        ranking, doc = run[q], next(iter(qrels[q]))
        if doc in ranking:
            ranking.remove(doc)
        ranking.insert(rng.randint(0, 9), doc)
    n = len(qrels)
    expected = {
        "nDCG@10": sum(ndcg(run.get(q, []), rel) for q, rel in qrels.items()) / n,
        "Recall@100": sum(len(set(run.get(q, [])[:100]) & set(rel)) / len(rel) for q, rel in qrels.items()) / n,
        "MRR@10": sum(mrr(run.get(q, []), rel) for q, rel in qrels.items()) / n,
    }
    got = evaluate(run, qrels)
    assert got["queries"] == n
    for name, value in expected.items():
        assert abs(got[name] - value) < 1e-9, name
