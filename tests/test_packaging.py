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
    assert not any(n.startswith("sleuth/tests/") for n in names)


def test_importing_sleuth_loads_nothing_heavy() -> None:
    code = (
        "import sys, sleuth; from sleuth import Settings; Settings();"
        "heavy = [m for m in ('torch', 'dspy', 'qdrant_client', 'llama_cpp', 'sentence_transformers', 'litellm')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert out.stdout.strip() == "[]"


def test_packages_import_downward_only() -> None:
    """tui -> agent -> tools, memory -> schema, settings, errors, prompts: no module imports a package above it."""
    import ast

    root = Path(__file__).resolve().parent.parent
    above = {
        "tools": {"agent", "tui", "evals"},
        "memory": {"agent", "tui", "evals"},
        "prompts": {"agent", "tui", "evals", "tools", "memory"},
        "agent": {"tui", "evals"},
    }
    wrong = []
    for package, banned in above.items():
        for path in (root / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
                for name in names:
                    parts = name.split(".")
                    if parts[0] == "sleuth" and len(parts) > 1 and parts[1] in banned:
                        wrong.append(f"{path.relative_to(root)} imports {name}")
    assert not wrong, wrong
