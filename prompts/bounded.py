"""Output types whose JSON schema bounds what the LM may write.

A 1.5B LM asked for "the answer in a few words" restates a whole sentence there, and asked for "1 to 3
sub-questions" it wrote five, four of them paragraphs of invented facts: every such token costs ~65 ms here. When
the schema carries the bound, an engine that enforces it (llama.cpp's grammar, a server sent `json_schema`) never
generates them. Parsing stays lax, so an LM that was not held to the schema still parses.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import core_schema

PHRASE_CHARS = 60  # every gold answer of the shared HotpotQA and MuSiQue train100 sets fits (the longest: 57)
QUESTION_CHARS = 160  # a sub-question or query longer than this is not one (a 1.5B LM wrote paragraphs)
MAX_SUB_QUESTIONS = 3


class _Bounded:
    """An output type with the JSON schema `json_schema` and a lax parser, `_parse`."""

    json_schema: dict[str, Any] = {}

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(cls._parse)

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict[str, Any]:
        return cls.json_schema

    @classmethod
    def _parse(cls, value: Any) -> Any:
        raise NotImplementedError


def bounded_str(name: str, most: int) -> type[str]:
    """A string of at most `most` characters."""

    class Text(_Bounded, str):
        json_schema = {"type": "string", "maxLength": most}

        @classmethod
        def _parse(cls, value: Any) -> str:
            return "" if value is None else str(value)

    Text.__name__ = Text.__qualname__ = name
    return Text


def bounded_list(name: str, most: int) -> type[list[str]]:
    """A list of at most `most` strings of at most `QUESTION_CHARS` characters each (sub-questions, queries)."""

    class Strings(_Bounded, list[str]):  # type: ignore[misc]
        json_schema = {
            "type": "array",
            "items": {"type": "string", "maxLength": QUESTION_CHARS},
            "minItems": 1,
            "maxItems": most,
        }

        @classmethod
        def _parse(cls, value: Any) -> list[str]:
            items = value if isinstance(value, list) else [value]
            return [str(item) for item in items if item is not None]

    Strings.__name__ = Strings.__qualname__ = name
    return Strings


Phrase = bounded_str("Phrase", PHRASE_CHARS)  # the short answer
SectionTitle = bounded_str("SectionTitle", 60)  # a report section's title
SubQuestions = bounded_list("SubQuestions", MAX_SUB_QUESTIONS)
Queries = bounded_list("Queries", 6)
Hops = bounded_list("Hops", 4)


def whole_words(phrase: str) -> str:
    """`phrase` without its last word when it reached the `PHRASE_CHARS` bound, which may have cut that word in two
    (a phrase that ends at the bound exactly loses a whole word: the grammar's cut cannot be told from it)."""
    phrase = " ".join(phrase.split())
    if len(phrase) < PHRASE_CHARS or " " not in phrase:
        return phrase
    return phrase.rsplit(" ", 1)[0].rstrip(" ,;:-")


__all__ = [
    "MAX_SUB_QUESTIONS",
    "PHRASE_CHARS",
    "QUESTION_CHARS",
    "Hops",
    "Phrase",
    "Queries",
    "SectionTitle",
    "SubQuestions",
    "whole_words",
]
