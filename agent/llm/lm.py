"""Language-model backends as DSPy LMs: the embedded llama.cpp model (`agent/llm/llama_engine.py`), or any LiteLLM
model string (a hosted API, or a local server such as llama.cpp's or vLLM through `SLEUTH_LM_API_BASE`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sleuth.agent.llm.async_engine import AsyncLlamaCppEngine
from sleuth.agent.llm.llama_engine import LLAMA_CPP_HINT, LlamaCppEngine
from sleuth.agent.llm.local_models import model_file, preset
from sleuth.errors import ConfigError, ModelUnavailableError
from sleuth.locations import home_models_dir, models_dir, prompt_cache_dir
from sleuth.runtime import offline_environment
from sleuth.settings import Settings

if TYPE_CHECKING:
    import dspy


class _HandledTruncation(logging.Filter):
    """DSPy warns when a reply reached max_tokens; sleuth handles that (a cut draft keeps its complete sentences),
    so the warning above a user's first answer and in every batch log says nothing they can act on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "was truncated" not in record.getMessage()


def build_lm(settings: Settings) -> dspy.LM:
    """The LM the settings name, ready for `dspy.context(lm=...)`."""
    offline_environment()
    import dspy

    logger = logging.getLogger("dspy.clients.lm")
    if not any(isinstance(f, _HandledTruncation) for f in logger.filters):
        logger.addFilter(_HandledTruncation())

    spec = settings.models.lm.strip()
    if spec == "scripted":  # for tests: no model; answers extracted from the passages it is shown
        from sleuth.agent.llm.testing import scripted_lm

        return scripted_lm(extractive=True, model="local/scripted")
    common: dict[str, Any] = {
        "temperature": settings.models.temperature,
        "max_tokens": settings.models.max_tokens,
        "cache": False,
    }
    if spec.startswith("local/") or spec.endswith(".gguf"):
        path, name = _local_path(spec, settings)
        engine = LlamaCppEngine(
            path,
            n_ctx=settings.models.n_ctx,
            n_threads=settings.models.threads,
            cache_bytes=settings.models.prompt_cache_mb << 20,
            state_folder=prompt_cache_dir(settings),
        )
        return dspy.LM(f"local/{name}", engine=engine, async_engine=AsyncLlamaCppEngine(engine), **common)
    _check_litellm_model(spec)
    key = settings.models.api_key.get_secret_value() if settings.models.api_key else None
    if key is None and settings.models.api_base:
        key = "no-key"  # a local server (llama.cpp, vLLM) wants none, but the OpenAI client refuses to send none
    remote: dict[str, Any] = {}
    lm_class: type[dspy.LM] = dspy.LM
    if settings.models.structured_output != "off":
        from sleuth.agent.llm.server_lm import SchemaLM

        lm_class, remote["style"] = SchemaLM, settings.models.structured_output
    return lm_class(
        spec,
        **remote,
        api_base=settings.models.api_base,
        api_key=key,
        num_retries=3,
        timeout=settings.models.timeout,
        **common,
    )


def _local_path(spec: str, settings: Settings) -> tuple[Path, str]:
    if spec.endswith(".gguf"):
        path = Path(spec.removeprefix("local/")).expanduser()
        if not path.is_file():
            raise ModelUnavailableError(f"No GGUF file at {path}.", "Fix SLEUTH_LM or use a bundled preset.")
        return path, path.stem
    model = preset(spec.removeprefix("local/"))
    return model_file(model, models_dir(settings), also=(home_models_dir(settings),)), model.name


def _check_litellm_model(spec: str) -> None:
    if "/" not in spec:
        raise ConfigError(
            f"Unknown model string '{spec}'.",
            "Use local/qwen2.5-coder-1.5b, a .gguf path, or provider/model (openai/gpt-4o-mini, "
            "anthropic/claude-..., ollama_chat/llama3.1, openai/<name> with SLEUTH_LM_API_BASE).",
        )
    import litellm

    try:
        litellm.get_llm_provider(spec)
    except Exception as exc:
        raise ConfigError(
            f"LiteLLM does not know the provider of '{spec}'.",
            "Check the provider prefix (openai/, anthropic/, ollama_chat/, ...); install the provider's SDK "
            "if it needs one.",
        ) from exc


__all__ = ["LLAMA_CPP_HINT", "build_lm"]
