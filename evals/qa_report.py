"""Tables, paired comparisons and plots of scored answers: `sleuth eval qa`'s report and the agent benchmark's.

Rows are the scored answers of `evals.qa.score` (or the agent benchmark's, which carry the same keys), grouped by
system or configuration. Only questions every system answered enter a table, so each comparison is paired: per
question wins, losses and ties, and a 95% bootstrap interval on the mean difference.
"""

from __future__ import annotations

import random
import statistics
from pathlib import Path
from typing import Any

Rows = dict[str, dict[str, dict[str, Any]]]  # system -> question id -> scored row

COLUMNS = (
    f"{'EM':>5s} {'F1':>5s} {'contains':>8s} {'R@10':>5s} {'all@10':>6s} {'cite gold':>9s} {'dangling':>8s} "
    f"{'misattr':>7s} {'unsupp':>6s} {'p50 s':>6s} {'p95 s':>6s} {'calls':>5s} {'prompt tok':>10s} {'reused':>7s} "
    f"{'failed':>6s} {'empty':>5s} {'facets':>6s} {'restate':>7s}"
)


def mean(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return statistics.mean(kept) if kept else None


def fmt(value: float | None, width: int = 5, digits: int = 2) -> str:
    return f"{value:{width}.{digits}f}" if value is not None else f"{'-':>{width}s}"


def share(rows: list[dict[str, Any]], key: str) -> str:
    """The share of cited sentences the attribution audit flags (`key`), over the rows that were audited."""
    audited = [r for r in rows if "cited_sentences" in r]
    sentences = sum(r["cited_sentences"] for r in audited)
    return f"{sum(r[key] for r in audited) / sentences:.2f}" if sentences else "-"


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 2 else (values[0] if values else 0.0)


def bootstrap(diffs: list[float], rounds: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """95% percentile interval of the mean of paired differences."""
    rng = random.Random(seed)
    means = sorted(statistics.mean(rng.choices(diffs, k=len(diffs))) for _ in range(rounds))
    return means[int(0.025 * rounds)], means[int(0.975 * rounds) - 1]


def complete(by: Rows) -> list[str]:
    """The questions every system answered, in a stable order."""
    present = [ids for ids in by.values() if ids]
    return sorted(set.intersection(*(set(ids) for ids in present))) if present else []


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Every metric of a table row, as numbers (None where nothing could be scored). Seconds count only the rows
    that ran on the model: a row whose LM replies came from a record (`replayed`, bench/replay.py) took no time."""
    support = [r["support"] for r in rows if r.get("support")]
    seconds = [r["seconds"] for r in rows if not r.get("replayed")]
    return {
        "em": mean([r["em"] for r in rows]),
        "f1": mean([r["f1"] for r in rows]),
        "contains": mean([r["contains"] for r in rows]),
        "recall@10": mean([s[0] for s in support]),
        "all@10": mean([s[1] for s in support]),
        "cite_gold": mean([r["precision"] for r in rows]),
        "dangling": sum(r["dangling"] for r in rows),
        "misattributed": share(rows, "misattributed"),
        "unsupported": share(rows, "unsupported"),
        "p50_s": statistics.median(seconds) if seconds else None,
        "p95_s": p95(seconds) if seconds else None,
        "calls": statistics.mean(r["calls"] for r in rows) if rows else 0.0,
        "prompt_tokens": statistics.mean(r["prompt_tokens"] or 0 for r in rows) if rows else 0.0,
        "reused_tokens": statistics.mean(r["reused_tokens"] or 0 for r in rows) if rows else 0.0,
        "failed": sum(bool(r["failed"]) for r in rows),
        "empty": sum(bool(r["empty"]) for r in rows),
        "facets": mean([r.get("facets") for r in rows]),
        "restates": sum(bool(r["restates_first"]) for r in rows) if all("restates_first" in r for r in rows) else None,
    }


def table(by: Rows, name_width: int = 11) -> list[str]:
    """One line per system over the questions all of them answered, every metric in a column."""
    ids = complete(by)
    lines = [f"{'system':{name_width}s} {COLUMNS}"]
    for system, rows in by.items():
        if not rows or not ids:
            continue
        s = summary([rows[i] for i in ids])
        lines.append(
            f"{system:{name_width}s} {fmt(s['em'])} {fmt(s['f1'])} {fmt(s['contains'], 8)} {fmt(s['recall@10'])} "
            f"{fmt(s['all@10'], 6)} {fmt(s['cite_gold'], 9)} {s['dangling']:8d} {s['misattributed']:>7s} "
            f"{s['unsupported']:>6s} {fmt(s['p50_s'], 6, 1)} {fmt(s['p95_s'], 6, 1)} {s['calls']:5.2f} "
            f"{s['prompt_tokens']:10.0f} {s['reused_tokens']:7.0f} {s['failed']:6d} {s['empty']:5d} "
            f"{fmt(s['facets'], 6)} {fmt(s['restates'], 7, 0)}"
        )
    return lines


def compare(by: Rows, system: str, other: str, key: str = "f1") -> str:
    """`system` against `other` on `key`, question by question: mean difference, 95% interval, wins and losses."""
    ids = complete(by)
    pairs = [(by[system][i], by[other][i]) for i in ids if by[system][i].get(key) is not None]
    pairs = [(a, b) for a, b in pairs if b.get(key) is not None]
    if not pairs:
        return ""  # nothing to compare: the set has no gold for `key`
    diffs = [a[key] - b[key] for a, b in pairs]
    wins, losses = sum(d > 0 for d in diffs), sum(d < 0 for d in diffs)
    low, high = bootstrap(diffs)
    more_calls = sum(a["calls"] > b["calls"] for a, b in pairs)
    return (
        f"{system} vs {other}: {key} {statistics.mean(diffs):+.3f} (95% CI {low:+.3f} to {high:+.3f}); "
        f"wins {wins}, losses {losses}, ties {len(diffs) - wins - losses}; "
        f"questions where {system} made more LM calls: {more_calls}"
    )


def plots(by: Rows, folder: Path) -> list[Path]:
    """PNG plots of the systems side by side: recall@k curves, the latency distribution, quality against cost
    (F1 against seconds and against LM calls), and the per-question outcome grid."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    ids = complete(by)
    systems = [s for s, rows in by.items() if rows]
    made: list[Path] = []

    def save(fig: Any, name: str) -> None:
        fig.tight_layout()
        fig.savefig(folder / name, dpi=110)
        plt.close(fig)
        made.append(folder / name)

    fig, ax = plt.subplots(figsize=(6, 4))
    for system in systems:
        curves = [by[system][i].get("recall_at") for i in ids]
        curves = [c for c in curves if c]
        if curves:
            ks = sorted(int(k) for k in curves[0])
            ax.plot(
                ks,
                [statistics.mean(c[str(k)] if str(k) in c else c[k] for c in curves) for k in ks],
                marker="o",
                label=system,
            )
    ax.set(xlabel="k (documents retrieved)", ylabel="supporting-passage recall@k", ylim=(0, 1.02), xscale="log")
    ax.legend()
    save(fig, "recall_at_k.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    measured = [[by[s][i]["seconds"] for i in ids if not by[s][i].get("replayed")] for s in systems]
    ax.boxplot(measured, tick_labels=systems, showmeans=True)
    ax.set(ylabel="seconds per question (rows that ran on the model)")
    save(fig, "latency.png")

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for system in systems:
        rows = [by[system][i] for i in ids if by[system][i].get("f1") is not None]
        if rows:
            s = summary(rows)
            if s["p50_s"] is not None:
                left.scatter([s["p50_s"]], [s["f1"]], s=60, label=system)
            right.scatter([s["calls"]], [s["f1"]], s=60, label=system)
    left.set(xlabel="p50 seconds", ylabel="short-answer F1")
    right.set(xlabel="LM calls per question")
    left.legend()
    save(fig, "quality_vs_cost.png")

    scored = [i for i in ids if all(by[s][i].get("f1") is not None for s in systems)]
    if scored:
        fig, ax = plt.subplots(figsize=(min(14, 2 + 0.15 * len(scored)), 1 + 0.5 * len(systems)))
        grid = [[by[s][i]["f1"] for i in scored] for s in systems]
        ax.imshow(grid, aspect="auto", cmap="RdYlGn", vmin=0, vmax=1, interpolation="nearest")
        ax.set_yticks(range(len(systems)), systems)
        ax.set_xlabel(f"question ({len(scored)}, in id order); colour: short-answer F1")
        ax.set_xticks([])
        save(fig, "outcomes.png")
    return made


def write_report(by: Rows, folder: Path, title: str, notes: list[str] | None = None) -> Path:
    """`report.md` with the table, the paired comparisons against the first system, and the plots beside it."""
    systems = [s for s, rows in by.items() if rows]
    answered = f"{len(complete(by))} questions answered by every configuration."
    width = max([11, *(len(s) for s in systems)])
    lines = [f"# {title}", "", *(notes or []), "", answered, "", "```", *table(by, width), "```", ""]
    for other in systems[1:]:
        for key in ("f1", "ndcg10"):
            if line := compare(by, other, systems[0], key):
                lines.append(f"- {line}")
    lines.append("")
    for png in plots(by, folder):
        lines += [f"![{png.stem}]({png.name})", ""]
    path = folder / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


__all__ = ["bootstrap", "compare", "complete", "plots", "summary", "table", "write_report"]
