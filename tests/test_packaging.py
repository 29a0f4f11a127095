"""The wheel installs everything under the one namespace `sleuth.*` and nothing at the top level."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_puts_every_module_under_sleuth(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("sleuth-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert all(t == "sleuth" or t.endswith(".dist-info") for t in top), top
    for module in (
        "agent/api.py",
        "tools/index/edge.py",
        "memory/store.py",
        "prompts/signatures.py",
        "tui/cli.py",
        "tools/data/papers.jsonl",
        "__init__.py",
    ):
        assert f"sleuth/{module}" in names
    assert not any(n.startswith(("sleuth/tests/", "sleuth/bench/", "sleuth/docs/")) for n in names), names
    shipped = [n for n in names if n.startswith("sleuth/")]
    assert not any(n.endswith((".jsonl", ".txt")) and not n.endswith("tools/data/papers.jsonl") for n in shipped), [
        n for n in shipped if n.endswith((".jsonl", ".txt"))
    ]  # no benchmark results or recorded replies: only the demo corpus ships


def test_importing_sleuth_loads_nothing_heavy() -> None:
    code = (
        "import sys, sleuth; from sleuth import Settings; Settings();"
        "heavy = [m for m in ('torch', 'dspy', 'qdrant_client', 'llama_cpp', 'sentence_transformers', 'litellm')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert out.stdout.strip() == "[]"
