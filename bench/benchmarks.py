"""BENCHMARKS.md, regenerated from the stored results: every figure the README quotes, with the command that
reproduces it, the date its result was committed and the machine it ran on.

    python -m bench.benchmarks            # writes BENCHMARKS.md at the repository root
    python -m bench.benchmarks --check    # exits 1 if BENCHMARKS.md is not what the results give

Each entry names one result in `bench/results/`: a text file the benchmark printed, or a folder of JSONL answers
whose tables are computed here (the agent benchmark's `--report`).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from bench.benchmark_entries import ENTRIES, Entry

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
MACHINE = "x86-64 VM, 2 CPU cores, 24 GiB RAM, no GPU; the embedded Qwen2.5-Coder-1.5B Q4_K_M where an LM runs"


def committed_on(path: Path) -> str:
    """The date the result was last committed (git), or "not committed yet"."""
    try:
        date = subprocess.run(
            # a result is dated by its content's last change; before the lab moved out, results lived in evals/
            ["git", "log", "-1", "--format=%cs", "--diff-filter=AM", "--", str(path), str(_before_the_move(path))],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        date = ""
    return date or "not committed yet"


def _before_the_move(path: Path) -> Path:
    return ROOT / "evals" / "results" / path.relative_to(RESULTS)


def body(entry: Entry) -> str:
    path = RESULTS / entry.result
    if path.is_dir():
        from bench.bench_agent import report

        return report(path).strip("\n")
    return path.read_text(encoding="utf-8").strip("\n")


def render() -> str:
    lines = [
        "# Benchmarks",
        "",
        "Every figure the README quotes comes from one of these results. Regenerate this file with",
        "`python -m bench.benchmarks` after a benchmark writes to `bench/results/`.",
        f"Machine, unless an entry says otherwise: {MACHINE}.",
        "",
    ]
    for entry in ENTRIES:
        path = RESULTS / entry.result
        lines += [f"## {entry.title}", "", f"- result: `bench/results/{entry.result}`"]
        if entry.printed:
            lines.append(f"- the same tables, as printed: `bench/results/{entry.printed}`")
        lines += [f"- command: `{entry.command}`", f"- committed: {committed_on(path)}"]
        if entry.about:
            lines.append(f"- {entry.about}")
        lines += ["", "```", body(entry), "```", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="Exit 1 if BENCHMARKS.md is out of date.")
    args = parser.parse_args()
    target = ROOT / "BENCHMARKS.md"
    text = render()
    if args.check:
        current = target.read_text(encoding="utf-8") if target.is_file() else ""
        strip = [line for line in current.splitlines() if not line.startswith("- committed:")]
        fresh = [line for line in text.splitlines() if not line.startswith("- committed:")]
        sys.exit(0 if strip == fresh else 1)
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target} ({len(ENTRIES)} results)")


if __name__ == "__main__":
    main()
