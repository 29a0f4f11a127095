"""A remote LM that is told each answer's JSON schema, so the server can enforce it (`models.structured_output`).

DSPy sends a schema only to models its metadata lists as supporting one; a model behind a local server (llama.cpp,
vLLM: `openai/<name>` with an api_base) is not listed, so DSPy falls back to its chat format, which a 1.5B model
does not always follow (a draft that fails to parse costs a second call). With a schema the server constrains
decoding to it, as the embedded engine does with its grammar, and the prompts are the same as the embedded model's.
"""

from __future__ import annotations

from typing import Any, Literal

import dspy
import pydantic

Style = Literal["json_schema", "json_object"]


class SchemaLM(dspy.LM):
    """`dspy.LM` that declares structured-output support and sends the schema in the server's dialect:
    `json_schema` (OpenAI's structured outputs: vLLM, llama.cpp's llama-server, OpenAI itself) or `json_object`
    (llama-cpp-python's server: `{"type": "json_object", "schema": ...}`)."""

    def __init__(self, model: str, *, style: Style, **kwargs: Any) -> None:
        super().__init__(model, **kwargs)
        self.style = style

    @property
    def supports_response_schema(self) -> bool:
        return True

    @property
    def supported_params(self) -> set[str]:
        return set(super().supported_params) | {"response_format"}

    def __call__(self, prompt: Any = None, *, messages: Any = None, **kwargs: Any) -> Any:
        return super().__call__(prompt, messages=messages, **self._format(kwargs))

    async def acall(self, prompt: Any = None, *, messages: Any = None, **kwargs: Any) -> Any:
        return await super().acall(prompt, messages=messages, **self._format(kwargs))

    def _format(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        fmt = kwargs.get("response_format")
        if isinstance(fmt, type) and issubclass(fmt, pydantic.BaseModel):
            kwargs = {**kwargs, "response_format": response_format(fmt, self.style)}
        return kwargs


def response_format(model: type[pydantic.BaseModel], style: Style) -> dict[str, Any]:
    """The `response_format` body for the JSON schema of `model` (the output fields DSPy's JSON adapter built)."""
    schema = model.model_json_schema()
    if style == "json_object":
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema", "json_schema": {"name": model.__name__, "schema": schema, "strict": True}}
