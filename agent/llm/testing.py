"""A scripted LM for tests: deterministic answers with no model, no network and no randomness.

`scripted_lm(responses)` answers each call by the output fields its Signature asks for. For each field, the first
scripted response still holding that field supplies it (and gives it up), so one response dict may feed several
stages in turn. A response may also be keyed by a Signature's name (`{"AnswerWithCitations": {...}}`), which then
serves only calls of that Signature. A follow-up turn after the LM's own reply (the short answer named after a
draft, agent/loop/phrase.py) gets the text of the first scripted `phrase` ("" if none). Fields nobody scripted get a
neutral default (no extra queries, every passage useful, finish); a call none of whose fields is scripted or has
a default gets unparseable text, as from a broken LM.

With `extractive=True` (what `SLEUTH_LM=scripted` selects, for the README's command tests and a user's own smoke
tests) an unscripted answer is built from the passages in the prompt: the first sentence of each of the first two
passages, each cited. It is a stand-in for a model, never a model: do not judge answer quality with it.
"""

from __future__ import annotations

import json
import re
from typing import Any

DEFAULTS: dict[str, Any] = {
    "queries": [],
    "useful": list(range(1, 21)),
    "supported": [],
    "short_answer": "",
    "missing": "",
    "next_thought": "enough",
    "next_tool_name": "finish",
    "next_tool_args": {},
    "reasoning": "",
    "notes": "",
    "steps": [],  # a question is no chain unless the script says so
    "title": "",
}
STAND_IN_DEFAULTS: dict[str, Any] = {  # what the stand-in LM (extractive) answers besides: nothing decomposed
    "same": False,
    "sub_questions": [],
    "ranking": [],
    "more_relevant": "A",
}
_PASSAGE = re.compile(r"^\[(\d+)\]\s*(?:[^:\n]{0,200}:\s)?(.+)$", re.M)
_SENTENCE = re.compile(r"(.+?[.!?])(?:\s|$)")


def scripted_lm(
    responses: list[dict[str, Any]] | None = None, *, extractive: bool = False, model: str = "dummy"
) -> Any:
    """A `dspy.LM` whose replies come from `responses` (see the module docstring). `model` names it: a `local/`
    name makes the agent treat it as the embedded model (guided loop, JSON adapter)."""
    import dspy
    from dspy.clients.engines.dummy_engine import AsyncDummyEngine, DummyEngine
    from dspy.utils.dummies import DummyLM

    lm = DummyLM([])
    script = [dict(r) for r in responses or []]
    defaults = {**DEFAULTS, **(STAND_IN_DEFAULTS if extractive else {})}

    class Engine(DummyEngine):
        def _complete_messages(self, messages: list[dict[str, Any]]) -> Any:
            if len(messages) > 2 and messages[-2]["role"] == "assistant":  # a follow-up turn: plain text
                phrase = _take(script, "phrase", "")
                return _text_response("" if phrase is _MISSING else str(phrase))
            system = messages[0]["content"]
            fields = output_fields(system)
            signature = _signature_name(system)
            lm.adapter = dspy.JSONAdapter() if "JSON object" in system else dspy.ChatAdapter()
            reply: dict[str, Any] = {}
            for name in fields:
                value = _take(script, name, signature)
                if value is not _MISSING:
                    reply[name] = value
            if "answer" in fields and "answer" not in reply and extractive:
                reply.update(_extractive(messages[-1]["content"], fields))
            if "section" in fields and "section" not in reply and extractive:  # a report's section, as an answer
                reply["section"] = _extractive(messages[-1]["content"], fields)["answer"]
            if not reply and not all(name in defaults for name in fields):
                lm.answers = iter([])  # "No more responses": unparseable, as from a broken LM
            else:
                full = {name: reply.get(name, defaults.get(name)) for name in fields}
                lm.answers = iter([full])
                _stream(json.dumps(full))
            return super()._complete_messages(messages)

    lm._engine_spec = Engine(lm)
    lm._async_engine_spec = AsyncDummyEngine(lm._engine_spec)
    lm.script = script
    lm.model = model
    return lm


_MISSING = object()


def _text_response(text: str) -> Any:
    from dspy.lm15 import Message, Response, TextPart, Usage

    return Response(
        id=None, model="dummy", message=Message.assistant([TextPart(text)]), finish_reason="stop", usage=Usage()
    )


PIECE = 6  # characters per streamed piece, as a model streams a few characters per token


def _stream(text: str) -> None:
    """Hands the reply to the token sink piece by piece, as the embedded engine does while it generates."""
    from sleuth.agent.llm.generation import TOKEN_SINK

    sink = TOKEN_SINK.get()
    if sink is not None:
        for start in range(0, len(text), PIECE):
            sink(text[start : start + PIECE])


def _take(script: list[dict[str, Any]], name: str, signature: str) -> Any:
    for response in script:
        scoped = response.get(signature)
        if isinstance(scoped, dict) and name in scoped:
            return scoped.pop(name)
        if name in response and not _is_signature_key(name):
            return response.pop(name)
    return _MISSING


def _is_signature_key(name: str) -> bool:
    return name[:1].isupper()


def output_fields(system: str) -> list[str]:
    """The output field names an adapter's system message lists, in order."""
    section = system.split("Your output fields are:", 1)[-1].split("All interactions will be structured", 1)[0]
    return re.findall(r"^\d+\. `(\w+)`", section, flags=re.M)


def _signature_name(system: str) -> str:
    """The name of the sleuth Signature whose instructions the system message carries ("" if none does)."""
    import dspy

    from sleuth.prompts import signatures

    for name, value in vars(signatures).items():
        if isinstance(value, type) and issubclass(value, dspy.Signature) and value is not dspy.Signature:
            first = value.instructions.strip().splitlines()[0] if value.instructions.strip() else ""
            if first and first in system:
                return name
    return ""


def _extractive(prompt: str, fields: list[str]) -> dict[str, Any]:
    """An answer from the prompt's numbered passages: the first sentence of each of the first two, cited."""
    sentences = []
    passages = _PASSAGE.findall(prompt)
    for number, text in passages[:2]:
        sentences.extend(_cited(text, int(number))[:1])
    if len(sentences) == 1:  # one passage: its second sentence too (an answer has at least two)
        sentences.extend(_cited(passages[0][1], int(passages[0][0]))[1:2])
    if len(sentences) == 1:
        sentences.append({"text": "No other passage adds to this.", "sources": []})
    if not sentences:
        sentences = [
            {"text": "The collection does not cover this question.", "sources": []},
            {"text": "No passage was retrieved that answers it.", "sources": []},
        ]
    reply: dict[str, Any] = {"answer": {"sentences": sentences}}
    if "short_answer" in fields:
        reply["short_answer"] = sentences[0]["text"].split(",")[0][:60] if sentences[0]["sources"] else "unknown"
    return reply


def _cited(text: str, number: int) -> list[dict[str, Any]]:
    found = [m.strip()[:300] for m in _SENTENCE.findall(text.strip() + " ")]
    return [{"text": s, "sources": [number]} for s in found if len(s.split()) >= 3]


__all__ = ["DEFAULTS", "output_fields", "scripted_lm"]
