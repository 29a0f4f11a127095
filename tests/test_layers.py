"""The folder layout is the data flow, and imports run down it only: every `import sleuth....` in the package (at
module level, inside a function or under TYPE_CHECKING alike) names its own package or one in a lower layer.

    tui                                   the terminal: chat and command line
    serve                                 sleuth as tools for other agents (MCP)
    evals                                 what `sleuth eval` runs
    agent.ops                             doctor, optimize
    agent                                 the facade: ResearchAgent, library, experience, batch
    agent.loop                            the stages and the program that composes them
    agent.llm | agent.checks              LM engines and adapters | LLM-free checks of an answer
    tools | memory                        the corpus: read, index, search | the SQLite store of past runs
    prompts                               the Signatures the LM reads
    errors, schema, settings, lexicon, locations, runtime

Packages on one line are peers and import neither each other. The lab (bench/) imports the package; the package
never imports the lab. A circle between two packages is impossible under these rules; within a package, files may
import each other as the data flow needs.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE = {"errors", "schema", "settings", "lexicon", "locations", "runtime"}
LAYERS = {
    "prompts": 1,
    "tools": 2,
    "memory": 2,
    "agent.llm": 3,
    "agent.checks": 3,
    "agent.loop": 4,
    "agent": 5,
    "agent.ops": 6,
    "evals": 7,
    "serve": 8,
    "tui": 9,
}


def package_of(module: str) -> str:
    """`agent.loop.draft` -> `agent.loop`, `agent.api` -> `agent`, `tools.index.edge` -> `tools`, `schema` -> ``."""
    parts = module.split(".")
    if parts[0] == "agent" and len(parts) > 2:
        return f"agent.{parts[1]}"
    return parts[0] if len(parts) > 1 else ""


def layer(package: str) -> int:
    return LAYERS.get(package, 0)


def package_modules() -> dict[str, Path]:
    """Every module of the installed package, by its name under `sleuth.` (the root __init__ is left out: it only
    names the public API lazily)."""
    found = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        top = relative.parts[0]
        if len(relative.parts) == 1:
            if relative.stem in BASE:
                found[relative.stem] = path
            continue
        if top in {"tests", "bench", ".venv", "build"} or top.startswith("."):
            continue
        name = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


def imports_of(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


def violations(imports: dict[str, list[str]]) -> list[str]:
    """The imports (module -> what it imports) that run up the layers, sideways to a peer, or into the lab."""
    wrong = []
    for module, names in imports.items():
        own = package_of(module)
        for name in names:
            if name == "bench" or name.startswith("bench."):
                wrong.append(f"{module} imports the lab: {name}")
            if not name.startswith("sleuth."):
                continue
            target = name.removeprefix("sleuth.")
            if target in BASE:
                continue
            theirs = package_of(target) or target
            if theirs != own and layer(theirs) >= layer(own):
                wrong.append(f"{module} ({own or 'base'}) imports {name} ({theirs})")
    return wrong


def test_every_package_imports_its_own_or_a_lower_layer_only() -> None:
    wrong = violations({module: imports_of(path) for module, path in package_modules().items()})
    assert not wrong, "\n".join(wrong)


def test_the_check_sees_an_upward_a_sideways_and_a_lab_import() -> None:
    graph = {
        "tools.search": ["sleuth.agent.api", "sleuth.schema"],  # up
        "agent.checks.short": ["sleuth.agent.llm.lm", "sleuth.lexicon"],  # sideways, to a peer
        "agent.loop.draft": ["sleuth.tools.search", "sleuth.agent.checks.short", "sleuth.agent.loop.trace"],  # fine
        "memory.store": ["bench.replay"],  # the lab
        "schema": ["sleuth.tools.search"],  # the base imports nothing of the packages
    }
    assert violations(graph) == [
        "tools.search (tools) imports sleuth.agent.api (agent)",
        "agent.checks.short (agent.checks) imports sleuth.agent.llm.lm (agent.llm)",
        "memory.store imports the lab: bench.replay",
        "schema (base) imports sleuth.tools.search (tools)",
    ]
