"""How a call reaches the LM and what it cost: the adapter each LM gets (JSON with the schema as a grammar for the
embedded model and schema-enforcing servers, DSPy's chat format for the rest), the other one to retry malformed
output with, and the tokens a prediction used."""

from __future__ import annotations

from typing import Any

import dspy

from sleuth.schema import Usage


def is_embedded(lm: Any) -> bool:
    """True for the llama.cpp engine in this process (and the scripted LM that stands in for it)."""
    return str(getattr(lm, "model", "")).startswith("local/")


def adapter_for(lm: Any) -> Any:
    """JSON with the schema as a grammar for the embedded model, or sent to a server that enforces it
    (`models.structured_output`); DSPy's chat format for the rest."""
    from sleuth.agent.llm.server_lm import SchemaLM

    return dspy.JSONAdapter() if is_embedded(lm) or isinstance(lm, SchemaLM) else chat_adapter()


def chat_adapter() -> Any:
    """DSPy's chat format without its own hidden JSON retry: the loop decides when a second call is worth it."""
    return dspy.ChatAdapter(use_json_adapter_fallback=False)


def other_adapter() -> Any:
    """The adapter to retry malformed output with: JSON after chat, chat after JSON."""
    current = dspy.settings.adapter
    return chat_adapter() if isinstance(current, dspy.JSONAdapter) else dspy.JSONAdapter()


def is_parse_error(exc: Exception) -> bool:
    from dspy.utils.exceptions import AdapterParseError

    return isinstance(exc, AdapterParseError)


def usage_of(prediction: dspy.Prediction) -> Usage:
    usage = Usage(llm_calls=1)
    for stats in (prediction.get_lm_usage() or {}).values():
        usage.add(tokens_of(stats))
    return usage


def tokens_of(stats: dict[str, Any]) -> Usage:
    """The tokens of one LM response's usage record (OpenAI's names or DSPy's), no call counted."""
    details = stats.get("prompt_tokens_details") or {}
    return Usage(
        input_tokens=int(stats.get("prompt_tokens") or stats.get("input_tokens") or 0),
        output_tokens=int(stats.get("completion_tokens") or stats.get("output_tokens") or 0),
        cached_tokens=int((details.get("cached_tokens") if isinstance(details, dict) else 0) or 0),
    )


__all__ = ["adapter_for", "chat_adapter", "is_embedded", "is_parse_error", "other_adapter", "tokens_of", "usage_of"]
