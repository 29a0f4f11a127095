"""`sleuth doctor`: checks that the install can answer a question, each with what to do when it cannot.

Each check is cheap (no LLM generation): the llama.cpp bindings import, the bundled model file is present and its
sha256 matches, the embedder loads and embeds, the index folder is writable (or the Qdrant server answers),
memory.db opens at the schema this sleuth writes, and a configured LM server answers `GET /models`.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

from sleuth.errors import SleuthError
from sleuth.locations import index_root, memory_db
from sleuth.settings import Settings


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    skipped: bool = False


def run_checks(settings: Settings) -> list[Check]:
    """Every check, in the order a question needs them; none raises."""
    checks: list[Callable[[Settings], Check]] = [_llama_cpp, _model_file, _lm_server, _embedder, _index, _memory]
    return [_guarded(check, settings) for check in checks]


def _guarded(check: Callable[[Settings], Check], settings: Settings) -> Check:
    name = check.__name__.strip("_").replace("_", " ")
    try:
        return check(settings)
    except SleuthError as exc:
        return Check(name, False, exc.message, exc.hint)
    except Exception as exc:  # a doctor reports what broke; it does not crash on it
        return Check(name, False, f"{type(exc).__name__}: {exc}", "Report this with the output of `sleuth doctor`.")


def _local(settings: Settings) -> bool:
    spec = settings.models.lm.strip()
    return spec.startswith("local/") or spec.endswith(".gguf")


def _llama_cpp(settings: Settings) -> Check:
    if not _local(settings):
        return Check("llama.cpp", True, f"not needed: the LM is {settings.models.lm}", skipped=True)
    try:
        import llama_cpp
    except ImportError as exc:
        from sleuth.agent.llm.lm import LLAMA_CPP_HINT

        return Check("llama.cpp", False, f"llama-cpp-python does not import ({exc}).", LLAMA_CPP_HINT)
    return Check("llama.cpp", True, f"llama-cpp-python {llama_cpp.__version__}")


def _model_file(settings: Settings) -> Check:
    if not _local(settings):
        return Check("model file", True, "not needed: the LM is remote", skipped=True)
    from sleuth.agent.llm.lm import _local_path

    started = time.perf_counter()
    path, name = _local_path(settings.models.lm.strip(), settings)  # joins and verifies the sha256
    size = path.stat().st_size / 2**20
    verified = "sha256 verified" if settings.models.lm.startswith("local/") else "a user-supplied file"
    return Check(
        "model file", True, f"{name}: {path} ({size:,.0f} MiB, {verified}, {time.perf_counter() - started:.1f}s)"
    )


def _lm_server(settings: Settings) -> Check:
    base = settings.models.api_base
    if _local(settings) or settings.models.lm.strip() == "scripted":
        return Check("LM server", True, "not needed: the LM runs in this process", skipped=True)
    if not base:
        return Check("LM server", True, f"{settings.models.lm} through its provider's API (not probed)", skipped=True)
    import urllib.request

    url = base.rstrip("/") + "/models"
    request = urllib.request.Request(url)
    if settings.models.api_key:
        request.add_header("Authorization", f"Bearer {settings.models.api_key.get_secret_value()}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (the user's own server)
            return Check("LM server", True, f"{url} answered {response.status}")
    except Exception as exc:
        return Check(
            "LM server",
            False,
            f"{url} did not answer ({type(exc).__name__}: {exc}).",
            "Start the server, or fix SLEUTH_LM_API_BASE (an OpenAI-compatible base URL ending in /v1).",
        )


def _embedder(settings: Settings) -> Check:
    from sleuth.tools.embedder import Embedder

    started = time.perf_counter()
    embedder = Embedder(
        settings.models.embedder, precision=settings.models.embedder_precision, device=settings.models.device
    )
    vector = embedder.embed_query("does the embedder load?")
    return Check(
        "embedder", True, f"{settings.models.embedder}: {vector.shape[-1]}-d, {time.perf_counter() - started:.1f}s"
    )


def _index(settings: Settings) -> Check:
    if settings.index.url:
        from sleuth.tools.index import collection_names

        names = collection_names(settings)
        return Check("index", True, f"Qdrant at {settings.index.url}: {len(names)} collection(s)")
    folder = index_root(settings)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check(
            "index",
            False,
            f"{folder} is not writable ({exc.strerror or exc}).",
            "Set SLEUTH_HOME to a folder you can write, or fix its permissions.",
        )
    collections = sorted(p.name for p in folder.iterdir() if p.is_dir())
    hint = "" if collections else " (empty: sleuth ingest PATH, or sleuth ingest --demo)"
    return Check("index", True, f"{folder} writable; collections: {', '.join(collections) or 'none'}{hint}")


def _memory(settings: Settings) -> Check:
    if not settings.memory.enabled:
        return Check("memory", True, "memory is off (memory.enabled = false)", skipped=True)
    from sleuth.memory.migrations import MIGRATIONS
    from sleuth.memory.store import open_store

    path = memory_db(settings)
    db = open_store(path)  # applies missing migrations; refuses a newer schema with a hint
    applied = db["_migrations"].count
    runs = db["runs"].count if db["runs"].exists() else 0
    if applied != len(MIGRATIONS):
        return Check("memory", False, f"{path}: schema {applied}/{len(MIGRATIONS)}", "Move the file away.")
    writable = os.access(path, os.W_OK)
    return Check(
        "memory",
        writable,
        f"{path}: schema version {applied} (current), {runs:,} runs" + ("" if writable else ", read-only"),
        "" if writable else "Make memory.db writable, or set SLEUTH_HOME elsewhere.",
    )


def summary(checks: list[Check]) -> str:
    failed = [c for c in checks if not c.ok]
    if not failed:
        return "Everything sleuth needs is in place."
    return f"{len(failed)} problem(s): " + ", ".join(c.name for c in failed) + "."


__all__ = ["Check", "run_checks", "summary"]
