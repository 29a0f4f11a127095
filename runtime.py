"""Process-wide switches that keep third-party libraries offline, applied just before they are imported."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path


@cache
def offline_environment() -> None:
    """Stop the hub, LiteLLM and tiktoken from reaching the network; set once, before the heavy imports.

    Values the user set explicitly are kept, so a user with network access can opt back in.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    # torch's OpenMP workers otherwise spin after each embedding call and halve llama.cpp's speed.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        import importlib.util

        spec = importlib.util.find_spec("llama_index.core")
        if spec and spec.origin:
            cache_dir = Path(spec.origin).parent / "_static" / "tiktoken_cache"
            os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
            os.environ.setdefault("CUSTOM_TIKTOKEN_CACHE_DIR", str(cache_dir))
