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
