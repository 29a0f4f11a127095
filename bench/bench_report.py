"""Reports on broad research questions: how many papers they cite, whether they cover the supporting papers and the
key facts, how their citations fare in the audit, and how long they take. Resumable.

    python -m bench.bench_report --data bench/data/research_tune.jsonl --data bench/data/research_report.jsonl \
        --out bench/results/bench_report

Each question of shape `broad` in the sets gets `agent.report(question)` on the demo corpus (memory off), one
JSONL line each in `<out>/<set>.jsonl`; `--report` prints the table from what is stored: per set, reports, p50 and
max seconds, mean distinct papers cited (and how many reports cite at least 8), supporting-paper coverage (share of
the question's supporting papers cited), facet recall, misattributed and unsupported shares of cited sentences,
sections, LM calls, failed or empty reports.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

from bench.replay import replaying
from sleuth.errors import SleuthError
from sleuth.evals.metrics import attribution_audit, facet_recall
from sleuth.evals.qa import QAItem, load_questions
from sleuth.schema import Report

ENOUGH_PAPERS = 8


def score(q: QAItem, report: Report) -> dict[str, Any]:
    papers = report.papers()
    return {
        "id": q.id,
        "seconds": round(report.seconds, 2),
        "papers": len(papers),
        "coverage": sum(s in papers for s in q.supporting) / len(q.supporting) if q.supporting else None,
        "facets": facet_recall(report.answer, q.facts) if q.facts else None,
        "sections": len(report.sections),
        "calls": report.usage.llm_calls,
        "failed": bool(report.error) and not report.citations,
        "error": report.error,
        "answer": report.answer,
        "cited": papers,
        **attribution_audit(report.answer, report.citations),
    }


def run(sets: list[Path], out: Path, home: Path, replay: Path | None) -> None:
    from contextlib import nullcontext

    from sleuth.agent.api import ResearchAgent
    from sleuth.locations import demo_corpus
    from sleuth.settings import Settings

    out.mkdir(parents=True, exist_ok=True)
    settings = Settings(home=home)
    settings.index.collection = "bench-demo"
    settings.memory.enabled = False
    agent = ResearchAgent(settings)
    agent.ingest([demo_corpus()])
    agent.warm_up()
    with replaying(replay) if replay else nullcontext() as record:
        for path in sets:
            name = path.stem
            target = out / f"{name}.jsonl"
            done = {json.loads(line)["id"] for line in target.read_text().splitlines()} if target.exists() else set()
            for q in (q for q in load_questions(path) if q.shape == "broad" and q.id not in done):
                before = record.replayed if record else 0
                try:
                    row = score(q, agent.report(q.question, id=q.id))
                except SleuthError as exc:
                    row = {"id": q.id, "failed": True, "error": str(exc), "seconds": 0.0}
                row["replayed"] = (record.replayed - before) if record else 0
                with target.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                print(f"[{name}] {q.id} {row['seconds']:.1f}s papers={row.get('papers')} facets={row.get('facets')}")


def table(out: Path) -> str:
    lines = [
        f"{'set':18s} {'reports':>7s} {'p50 s':>6s} {'max s':>6s} {'papers':>6s} {'>=8':>4s} {'cover':>5s} "
        f"{'facets':>6s} {'misattr':>7s} {'unsupp':>6s} {'sections':>8s} {'calls':>5s} {'failed':>6s}"
    ]
    for path in sorted(out.glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        ok = [r for r in rows if not r.get("failed")]
        timed = [r["seconds"] for r in rows if not r.get("replayed")]
        sentences = sum(r.get("cited_sentences", 0) for r in ok) or 1

        def mean(key: str, ok: list[dict[str, Any]] = ok) -> float:
            values = [r[key] for r in ok if r.get(key) is not None]
            return statistics.mean(values) if values else 0.0

        lines.append(
            f"{path.stem:18s} {len(rows):7d} {statistics.median(timed) if timed else 0:6.1f} "
            f"{max(timed) if timed else 0:6.1f} {mean('papers'):6.1f} "
            f"{sum(r.get('papers', 0) >= ENOUGH_PAPERS for r in ok):4d} {mean('coverage'):5.2f} {mean('facets'):6.2f} "
            f"{sum(r.get('misattributed', 0) for r in ok) / sentences:7.2f} "
            f"{sum(r.get('unsupported', 0) for r in ok) / sentences:6.2f} {mean('sections'):8.1f} "
            f"{mean('calls'):5.1f} {sum(bool(r.get('failed')) for r in rows):6d}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, action="append", default=[])
    parser.add_argument("--out", type=Path, default=Path("bench/results/bench_report"))
    parser.add_argument("--home", type=Path, default=Path("/tmp/sleuth-bench-report"), help="Index and models.")
    parser.add_argument("--replay", type=Path, help="Record the LM's replies here and replay those it holds.")
    parser.add_argument("--report", action="store_true", help="Only print the table from the stored reports.")
    args = parser.parse_args()
    if not args.report:
        try:
            run(args.data, args.out, args.home, args.replay)
        except SleuthError as exc:
            parser.error(str(exc))
    print(table(args.out))


if __name__ == "__main__":
    main()
