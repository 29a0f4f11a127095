"""The research agent against single-shot RAG with the same LM, on multi-hop QA (HotpotQA, MuSiQue train splits).

    python -m sleuth.evals.bench_agent --data ../shared/data/hotpotqa-train100 [--limit 20] [--lm local/...]

For the first `--limit` questions with supporting passages, side by side:
- single-shot RAG: hybrid search of the question, the top 4 passages (two per document at most), one
  synthesis call with the same Signature and LM as the agent, the same citation resolution;
- the agent (`ResearchAgent.ask`, memory off so questions do not help each other).
Reported: answer EM and token F1 of the short answer (SQuAD normalisation) and whether a gold answer appears in
the cited prose answer; supporting-passage recall@10 and all-found@10 of what each retrieved; citation precision
(cited passages that are gold supporting passages); dangling citations (markers that resolve to no passage, and
citations of passages that were not in the evidence); p50 seconds and LM calls per question. No setting was tuned
on these questions.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sleuth.evals.beir import iter_jsonl
from sleuth.evals.metrics import answer_contains, answer_f1, normalise_answer, support_found


def _dangling(answer: str, citations: list[Any], evidence_ids: set[str]) -> int:
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer)}
    numbers = {c.n for c in citations}
    return len(markers - numbers) + sum(c.chunk_id not in evidence_ids for c in citations)


def single_shot(agent: Any, question: str) -> dict[str, Any]:
    import dspy

    from sleuth.agent.api import _adapter
    from sleuth.agent.citations import format_passages, resolve_citations
    from sleuth.agent.program import _diverse
    from sleuth.prompts.signatures import AnswerWithCitations, render_sentences

    started = time.perf_counter()
    hits = agent.searcher.search(question, k=40)
    evidence = _diverse(hits, 4, per_doc=2)
    passages = format_passages(evidence, agent.settings.agent.passage_chars)
    short, text, citations, error = "", "", [], None
    try:
        with dspy.context(lm=agent.lm, adapter=_adapter(agent.lm)):
            prediction = dspy.Predict(AnswerWithCitations)(question=question, passages=passages)
        short = str(prediction.short_answer or "")
        text, citations, _ = resolve_citations(render_sentences(prediction.answer.sentences), evidence)
    except Exception as exc:  # counted as a wrong answer
        error = f"{type(exc).__name__}: {exc}"
    return {
        "short": short,
        "answer": text,
        "citations": citations,
        "retrieved": list(dict.fromkeys(h.doc_id for h in hits)),
        "evidence": {h.chunk_id for h in evidence},
        "seconds": time.perf_counter() - started,
        "calls": 1,
        "error": error,
    }


def research(agent: Any, question: str) -> dict[str, Any]:
    answer = agent.ask(question)
    evidence = {c for s in answer.steps for c in [*s.detail.get("kept", []), *s.detail.get("added", [])]}
    return {
        "short": answer.short_answer,
        "answer": answer.answer,
        "citations": answer.citations,
        "retrieved": answer.retrieved,
        "evidence": evidence,
        "seconds": answer.seconds,
        "calls": answer.usage.llm_calls,
        "error": answer.error,
    }


def run(data: Path, home: Path, limit: int, lm: str | None) -> None:
    from sleuth.agent.api import ResearchAgent
    from sleuth.settings import Settings

    questions = [q for q in iter_jsonl(data / "questions.jsonl") if q.get("supporting")][:limit]
    settings = Settings(home=home)
    settings.index.collection = data.name
    settings.memory.enabled = False
    if lm:
        settings.models.lm = lm
    rows: dict[str, list[dict[str, Any]]] = {"single-shot RAG": [], "agent": []}
    with ResearchAgent(settings) as agent:
        agent.ingest([data / "corpus.jsonl"])
        agent.warm_up()
        for i, q in enumerate(questions, 1):
            gold = list(dict.fromkeys(q["supporting"]))
            for name, system in (("single-shot RAG", single_shot), ("agent", research)):
                r = system(agent, q["question"])
                cited = [c.doc_id for c in r["citations"]]
                rows[name].append(
                    {
                        "em": float(normalise_answer(r["short"]) in {normalise_answer(a) for a in q["answers"]}),
                        "f1": answer_f1(r["short"], q["answers"]),
                        "contains": answer_contains(r["answer"], q["answers"]),
                        "support": support_found(r["retrieved"], gold),
                        "precision": (sum(d in gold for d in cited) / len(cited)) if cited else None,
                        "dangling": _dangling(r["answer"], r["citations"], r["evidence"]),
                        "seconds": r["seconds"],
                        "calls": r["calls"],
                        "error": r["error"],
                    }
                )
                print(
                    f"[{i}/{len(questions)}] {name:16s} {r['seconds']:5.1f}s  short={r['short']!r:.60}  "
                    f"gold={q['answers'][0]!r:.40}",
                    flush=True,
                )
    print(f"\n== {data.name}: {len(questions)} questions, LM {settings.models.lm}")
    print(
        f"{'system':16s} {'EM':>5s} {'F1':>5s} {'contains':>8s} {'R@10':>5s} {'all@10':>6s} {'cite prec':>9s} "
        f"{'dangling':>8s} {'p50 s':>6s} {'calls':>5s} {'errors':>6s}"
    )
    for name, rs in rows.items():
        precisions = [r["precision"] for r in rs if r["precision"] is not None]
        print(
            f"{name:16s} {statistics.mean(r['em'] for r in rs):5.2f} {statistics.mean(r['f1'] for r in rs):5.2f} "
            f"{statistics.mean(r['contains'] for r in rs):8.2f} "
            f"{statistics.mean(r['support'][0] for r in rs):5.2f} {statistics.mean(r['support'][1] for r in rs):6.2f} "
            f"{(statistics.mean(precisions) if precisions else 0):9.2f} {sum(r['dangling'] for r in rs):8d} "
            f"{statistics.median(r['seconds'] for r in rs):6.1f} {statistics.mean(r['calls'] for r in rs):5.1f} "
            f"{sum(r['error'] is not None for r in rs):6d}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, action="append", required=True)
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--lm", help="LM for both systems (default: the embedded model).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for data in args.data:
            run(data, Path(tmp), args.limit, args.lm)


if __name__ == "__main__":
    main()
