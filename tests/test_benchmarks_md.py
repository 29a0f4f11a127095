"""BENCHMARKS.md is what the stored results give, and holds every result the README quotes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from bench.benchmarks import ENTRIES, RESULTS, ROOT


def test_benchmarks_md_is_regenerated_from_the_stored_results() -> None:
    check = subprocess.run([sys.executable, "-m", "bench.benchmarks", "--check"], cwd=ROOT, check=False)
    assert check.returncode == 0, "BENCHMARKS.md is stale: run python -m bench.benchmarks"


def test_every_result_the_readme_names_is_in_benchmarks_md() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pattern = r"(bench_[a-z0-9_.]+?\.txt|[a-z_]+_study[a-z0-9_]*\.txt|bench_agent_runs[a-z0-9_]*)"
    named = set(re.findall(pattern, readme))
    listed = {e.result for e in ENTRIES} | {e.printed for e in ENTRIES if e.printed}
    missing = sorted(n for n in named if n not in listed and (RESULTS / n).exists())
    assert not missing, f"README quotes results BENCHMARKS.md does not hold: {missing}"
    assert all((RESULTS / e.result).exists() for e in ENTRIES)
    assert Path(ROOT / "BENCHMARKS.md").read_text().count("- command: ") == len(ENTRIES)
