"""Does memory make the next answer better? Questions asked twice, the second time reworded, with the real LM.

    python -m bench.bench_memory --data ../shared/data/hotpotqa-train100 --set bench/data/memory_hotpotqa.jsonl

The set (`bench/data/memory_hotpotqa.jsonl`, written by hand for this benchmark, not used to tune anything) gives
each HotpotQA question a rewording and, for some, a near miss: a question that shares the entities but asks
something else, which must not be answered from memory. Passes, all in one run on one index and one LM:

- `no memory`: the rewordings with recall off (the baseline for the second pass);
- `first`: the original questions with memory on (memory starts empty);
- `reworded`: the rewordings with memory on;
- `near miss`: the near misses with memory on (any reuse here is a false reuse);
- then a scripted user rates down every source cited in `first` that is not a gold supporting passage of its
  question, and the original questions are asked again: `again, no memory` (recall off: the baseline) and
  `again, after feedback` (memory on). Sources rated down should not reach the evidence again, and answers that
  cited them must not be reused.

Printed per pass: p50 and mean seconds, LM calls per question, answers reused, answer quality (gold answer
contained in the answer, token F1) and citation precision (cited passages that are gold supporting passages).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path
from typing import Any

from sleuth.evals.beir import iter_jsonl
from sleuth.tools.answers import answer_contains, answer_f1


def _row(name: str, answers: list[Any], gold: dict[str, dict[str, Any]]) -> str:
    seconds = [a.seconds for a in answers]
    calls = statistics.mean(a.usage.llm_calls for a in answers)
    reused = sum(bool(a.memory and a.memory.reused_run) for a in answers)
    contains = statistics.mean(answer_contains(a.answer, gold[a.id]["answers"]) for a in answers)
    f1 = statistics.mean(answer_f1(a.answer, gold[a.id]["answers"]) for a in answers)
    cited = [(c.doc_id in gold[a.id]["supporting"]) for a in answers for c in a.citations]
    precision = statistics.mean(cited) if cited else 0.0
    return (
        f"{name:22s} n={len(answers):2d}  p50 {statistics.median(seconds):5.1f}s  mean {statistics.mean(seconds):5.1f}s"
        f"  LM calls {calls:.2f}  reused {reused:2d}  contains {contains:.2f}  F1 {f1:.3f}  cite-prec {precision:.2f}"
    )


def _evidence_docs(answer: Any) -> set[str]:
    """Documents that reached the LM as evidence (or were reused as citations)."""
    return {c.doc_id for c in answer.citations} | {e.doc_id for e in answer.evidence if e.kept}


def run(data: Path, items: list[dict[str, Any]], home: Path, model: str, feedback_only: bool = False) -> None:
    from sleuth.agent.api import ResearchAgent
    from sleuth.memory.store import add_feedback, open_store
    from sleuth.settings import Settings

    gold = {q["id"]: q for q in iter_jsonl(data / "questions.jsonl")}
    settings = Settings(home=home, models={"lm": model})
    settings.index.collection = data.name
    passes: dict[str, list[Any]] = {}

    def ask(name: str, field: str, memory: bool) -> None:
        settings.memory.enabled = settings.memory.recall = memory
        passes[name] = []
        for item in items:
            if field != "question" and not item.get(field):
                continue
            text = gold[item["id"]]["question"] if field == "question" else item[field]
            answer = agent.ask(text, id=item["id"])
            passes[name].append(answer)
            reused = "reused" if answer.memory and answer.memory.reused_run else "      "
            print(f"  [{name}] {answer.seconds:5.1f}s {answer.usage.llm_calls} calls {reused} | {text[:70]}")
            print(f"      {answer.answer[:160]}")

    with ResearchAgent(settings) as agent:
        report = agent.ingest([data / "corpus.jsonl"])
        agent.warm_up()
        if not feedback_only:
            ask("no memory", "paraphrase", memory=False)
        ask("first", "question", memory=True)
        if not feedback_only:
            ask("reworded", "paraphrase", memory=True)
            ask("near miss", "near_miss", memory=True)
        store = open_store(home / "memory.db")
        downvoted: dict[str, set[str]] = {}
        for answer in passes["first"]:
            for citation in answer.citations:
                if citation.doc_id not in gold[answer.id]["supporting"]:
                    add_feedback(store, answer.run_id, -1, "not a supporting passage", citation.n)
                    downvoted.setdefault(answer.id, set()).add(citation.doc_id)
        if not feedback_only:  # same question, same retrieval, recall off: the evidence of `first` again
            ask("again, no memory", "question", memory=False)
        ask("again, after feedback", "question", memory=True)

    print(f"\n== {data.name}: {len(items)} questions, {report.documents} passages, {model}")
    for name, answers in passes.items():
        print(_row(name, answers, gold))
    total = sum(map(len, downvoted.values()))
    for name in ("first", "again, no memory", "again, after feedback"):
        if name in passes:
            reached = sum(len(_evidence_docs(a) & downvoted.get(a.id, set())) for a in passes[name])
            print(f"sources rated down that reached the evidence, {name:21s}: {reached} (of {total})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--set", type=Path, default=Path(__file__).parent / "data" / "memory_hotpotqa.jsonl")
    parser.add_argument("--model", default="local/qwen2.5-coder-1.5b")
    parser.add_argument("--limit", type=int)
    parser.add_argument(
        "--feedback-only", action="store_true", help="Only `first`, the feedback and `again, after feedback`."
    )
    args = parser.parse_args()
    items = list(iter_jsonl(args.set))[: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        models = Path("~/.sleuth/models").expanduser()
        if models.is_dir():  # reuse the joined model file rather than joining 1 GB again
            (home / "models").symlink_to(models)
        run(args.data, items, home, args.model, args.feedback_only)


if __name__ == "__main__":
    main()
