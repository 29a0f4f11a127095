"""The synthesis benchmark's tables: research questions over the demo corpus, by shape (one paper, several parts,
broad), every system's answers scored from their stored text, LLM-free, so rows written before a metric existed are
scored the same way as the newest.

    python -m bench.synthesis_report --data bench/data/research_report.jsonl \
        --run single-shot=bench/results/synthesis_base:single-shot --run today=bench/results/synthesis_base:adaptive \
        --run parts=bench/results/synthesis_parts:adaptive

Per set and shape: questions, facet recall (share of key facts stated), answers whose first sentence restates the
question, answers that say something was not found beside an answer, papers cited, the attribution audit
(misattributed and unsupported shares of cited sentences), failed or empty answers, p50 seconds of the rows that
ran on the model, LM calls, prompt tokens and those evaluated (the rest reused from the engine's prompt cache:
what a further part costs); then each later system against the first ones, question by question (facet recall:
mean difference, 95% bootstrap interval, wins and losses).
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

from sleuth.evals.metrics import facet_recall, restates_first
from sleuth.evals.qa import QAItem, load_questions
from sleuth.evals.qa_report import bootstrap
from sleuth.lexicon import says_not_found

Rows = dict[str, dict[str, Any]]  # question id -> scored row
SHAPES = ("single", "multi", "broad")


def load_run(spec: str) -> tuple[str, Path, str]:
    """`name=folder:system`."""
    name, _, where = spec.partition("=")
    folder, _, system = where.partition(":")
    return name, Path(folder), system or "adaptive"


def rows_of(folder: Path, system: str, set_name: str) -> Rows:
    path = folder / f"{set_name}.jsonl"
    if not path.exists():
        return {}
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {r["id"]: r for r in rows if r.get("system", system) == system}


def scored(q: QAItem, row: dict[str, Any]) -> dict[str, Any]:
    text = f"{row.get('answer', '')} {row.get('short', '')}"
    body = row.get("answer", "")
    return {
        "facets": facet_recall(text, q.facts) if q.facts else 0.0,
        "restates": restates_first(body, q.question),
        "missing_beside": says_not_found(body) and bool(row.get("cited")),
        "papers": len(set(row.get("cited") or [])),
        "covered": sum(s in set(row.get("cited") or []) for s in q.supporting) / max(1, len(q.supporting)),
        "cited_sentences": row.get("cited_sentences", 0),
        "misattributed": row.get("misattributed", 0),
        "unsupported": row.get("unsupported", 0),
        "failed": bool(row.get("failed")) or bool(row.get("empty")),
        "seconds": None if row.get("replayed") else row.get("seconds"),
        "calls": row.get("calls", 0),
        "evaluated": (row.get("prompt_tokens") or 0) - (row.get("reused_tokens") or 0),
        "prompt": row.get("prompt_tokens") or 0,
    }


def summary_line(name: str, rows: list[dict[str, Any]]) -> str:
    sentences = sum(r["cited_sentences"] for r in rows) or 1
    seconds = [r["seconds"] for r in rows if r["seconds"] is not None]
    return (
        f"{name:12s} {len(rows):3d} {statistics.mean(r['facets'] for r in rows):6.2f} "
        f"{sum(r['restates'] for r in rows):7d} {sum(r['missing_beside'] for r in rows):7d} "
        f"{statistics.mean(r['papers'] for r in rows):6.1f} {statistics.mean(r['covered'] for r in rows):6.2f} "
        f"{sum(r['misattributed'] for r in rows) / sentences:7.2f} "
        f"{sum(r['unsupported'] for r in rows) / sentences:6.2f} "
        f"{sum(r['failed'] for r in rows):6d} "
        f"{(f'{statistics.median(seconds):6.1f}' if seconds else '     -')} "
        f"{statistics.mean(r['calls'] for r in rows):5.2f} {statistics.mean(r['prompt'] for r in rows):7.0f} "
        f"{statistics.mean(r['evaluated'] for r in rows):9.0f}"
    )


HEADER = (
    f"{'system':12s} {'n':>3s} {'facets':>6s} {'restate':>7s} {'missing':>7s} {'papers':>6s} {'cover':>6s} "
    f"{'misattr':>7s} {'unsupp':>6s} {'failed':>6s} {'p50 s':>6s} {'calls':>5s} {'prompt':>7s} {'evaluated':>9s}"
)


def compare(name: str, other: str, a: list[float], b: list[float]) -> str:
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    wins, losses = sum(d > 0 for d in diffs), sum(d < 0 for d in diffs)
    low, high = bootstrap(diffs) if len(diffs) > 1 else (diffs[0], diffs[0])
    return (
        f"  {name} vs {other}: facets {statistics.mean(diffs):+.3f} (95% CI {low:+.3f} to {high:+.3f}); "
        f"wins {wins}, losses {losses}, ties {len(diffs) - wins - losses}"
    )


def report(sets: list[Path], runs: list[tuple[str, Path, str]]) -> str:
    lines = []
    for path in sets:
        questions = {q.id: q for q in load_questions(path)}
        by_run = {name: rows_of(folder, system, path.stem) for name, folder, system in runs}
        common = [i for i in questions if all(i in rows for rows in by_run.values())]
        lines.append(f"\n== {path.stem}: {len(common)} questions answered by every system ({', '.join(by_run)})")
        for shape in (*SHAPES, "all"):
            ids = [i for i in common if shape == "all" or questions[i].shape == shape]
            if not ids:
                continue
            lines += [f"-- {shape} ({len(ids)})", HEADER]
            scores = {name: [scored(questions[i], rows[i]) for i in ids] for name, rows in by_run.items()}
            lines += [summary_line(name, rows) for name, rows in scores.items()]
            names = list(scores)
            for later in names[1:]:
                for earlier in names[: names.index(later)]:
                    a = [r["facets"] for r in scores[later]]
                    b = [r["facets"] for r in scores[earlier]]
                    lines.append(compare(later, earlier, a, b))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, action="append", default=[])
    parser.add_argument("--run", action="append", default=[], help="name=folder:system, in the order to compare.")
    args = parser.parse_args()
    print(report(args.data, [load_run(spec) for spec in args.run]))


if __name__ == "__main__":
    main()
