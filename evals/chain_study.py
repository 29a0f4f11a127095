"""Does putting the question's chain first give the first draft its supporting passages? LLM-free.

    python -m sleuth.evals.chain_study --data ../shared/data/hotpotqa-train100 \
        --data ../shared/data/musique-train100 [--skip 0] [--limit 60]

The adaptive loop's first draft reads `agent.top_k` = 4 passages. For each question the loop runs with a stand-in
LM (sleuth.agent.testing, extractive: no model) with `agent.chain_first` off and on, and the first round's evidence
is compared with the gold supporting passages: the share of gold passages it holds, and the questions where it
holds all of them, with per-question wins and losses and a bootstrap interval of the recall difference. The rule
was chosen on the first 60 questions of both sets; `--skip 60 --limit 40` reports questions that chose nothing.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from sleuth.evals.beir import iter_jsonl
from sleuth.evals.qa_report import bootstrap


def first_evidence(data: Path, home: Path, skip: int, limit: int, chain: bool) -> list[tuple[set[str], list[str]]]:
    """Per question: its gold documents and the documents of the first draft's evidence."""
    from sleuth.agent.api import ResearchAgent
    from sleuth.settings import Settings

    settings = Settings(home=home)
    settings.index.collection = data.name
    settings.memory.enabled = False
    settings.models.lm = "scripted"
    settings.agent.chain_first = chain
    items = [q for q in iter_jsonl(data / "questions.jsonl") if q.get("supporting")][skip : skip + limit]
    with ResearchAgent(settings) as agent:
        agent.ingest([data / "corpus.jsonl"])
        return [(set(q["supporting"]), _kept(agent.ask(q["question"]))) for q in items]


def _kept(answer) -> list[str]:  # noqa: ANN001 - sleuth.schema.Answer
    return list(dict.fromkeys(seen.doc_id for seen in answer.evidence if seen.kept))


def report(name: str, before: list[tuple[set[str], list[str]]], after: list[tuple[set[str], list[str]]]) -> str:
    def recall(gold: set[str], kept: list[str]) -> float:
        return len(gold & set(kept)) / len(gold)

    lines = [f"== {name}: {len(before)} questions, first-round evidence (top 4)"]
    lines.append(f"{'':14s} {'gold share':>10s} {'gold recall':>11s} {'all found':>9s}")
    for label, rows in (("order as fused", before), ("chain first", after)):
        share = sum(len(g & set(k)) for g, k in rows) / max(1, sum(len(k) for _, k in rows))
        rec = sum(recall(g, k) for g, k in rows) / len(rows)
        lines.append(f"{label:14s} {share:10.2f} {rec:11.2f} {sum(g <= set(k) for g, k in rows):9d}")
    diffs = [recall(*a) - recall(*b) for a, b in zip(after, before, strict=True)]
    low, high = bootstrap(diffs)
    wins, losses = sum(d > 0 for d in diffs), sum(d < 0 for d in diffs)
    lines.append(
        f"chain first vs as fused: recall {sum(diffs) / len(diffs):+.3f} (95% CI {low:+.3f} to {high:+.3f}); "
        f"wins {wins}, losses {losses}, ties {len(diffs) - wins - losses}"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, action="append", required=True, help="A set folder (repeatable).")
    parser.add_argument("--skip", type=int, default=0, help="Start after this many questions of each set.")
    parser.add_argument("--limit", type=int, default=60, help="Questions per set.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        for data in args.data:
            before = first_evidence(data, Path(home), args.skip, args.limit, chain=False)
            after = first_evidence(data, Path(home), args.skip, args.limit, chain=True)
            print(report(f"{data.name} (questions {args.skip + 1}-{args.skip + len(before)})", before, after))
            print()


if __name__ == "__main__":
    main()
