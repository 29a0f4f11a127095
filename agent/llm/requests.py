"""A DSPy engine request as llama.cpp reads it: the chat messages, and the generation options that were set (the
replay record of bench/replay.py keys each request by the same two)."""

from __future__ import annotations

from typing import Any


def messages_of(request: Any) -> list[dict[str, str]]:
    messages = []
    if request.system is not None:
        system = request.system if isinstance(request.system, str) else "".join(p.text for p in request.system)
        messages.append({"role": "system", "content": system})
    messages.extend({"role": m.role, "content": m.text or ""} for m in request.messages)
    return messages


def generation_kwargs(request: Any) -> dict[str, Any]:
    """DSPy passes unset options as None; llama.cpp wants them absent."""
    config = request.config
    kwargs: dict[str, Any] = {
        "max_tokens": config.max_tokens,
        "temperature": config.temperature,
        "top_p": config.top_p,
        "seed": config.seed,
        "stop": list(config.stop) or None,
    }
    fmt = config.response_format
    if fmt:
        schema = fmt.get("schema") if fmt.get("type") == "json_schema" else None
        kwargs["response_format"] = {"type": "json_object", **({"schema": schema} if schema else {})}
    return {k: v for k, v in kwargs.items() if v is not None}
