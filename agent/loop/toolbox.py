"""The one table of the agent's tools: what each is called, takes and does, for every loop that uses them.

The adaptive and full loops call `search` with the gap a draft names; `dspy.ReAct` gets all four as `dspy.Tool`s
built from this table, so the names, arguments and descriptions an LM sees are the ones pinned by the tests.
Every tool returns passages; a passage is named by its number in the list the LM was shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sleuth.errors import InputError
from sleuth.schema import Hit
from sleuth.tools.passages import PassageSource

Fetch = Callable[[PassageSource, str, list[Hit], Any], list[Hit]]


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    argument: str
    kind: type
    fetch: Fetch

    @property
    def schema(self) -> dict[str, Any]:
        return {self.argument: {"type": "integer" if self.kind is int else "string"}}


def _search(tools: PassageSource, question: str, shown: list[Hit], query: Any) -> list[Hit]:
    return tools.search(str(query))


def _neighbours(tools: PassageSource, question: str, shown: list[Hit], passage: Any) -> list[Hit]:
    return tools.neighbours(passage_at(shown, passage), question)


def _document(tools: PassageSource, question: str, shown: list[Hit], passage: Any) -> list[Hit]:
    return tools.document(passage_at(shown, passage), question)


def _memory(tools: PassageSource, question: str, shown: list[Hit], query: Any) -> list[Hit]:
    return tools.recall(str(query))


TOOLS: tuple[Tool, ...] = (
    Tool(
        "search", "Search the collection with a short keyword query; returns numbered passages.", "query", str, _search
    ),
    Tool(
        "read_neighbours", "Read the text just before and after passage number `passage`.", "passage", int, _neighbours
    ),
    Tool(
        "read_document",
        "Read more of the document that passage number `passage` comes from.",
        "passage",
        int,
        _document,
    ),
    Tool("recall_memory", "Look up passages cited by past research on similar questions.", "query", str, _memory),
)
BY_NAME = {tool.name: tool for tool in TOOLS}


def use_tool(name: str, tools: PassageSource, question: str, shown: list[Hit], argument: Any) -> list[Hit]:
    """Runs the tool `name` with its one argument; an unknown tool or passage number raises InputError."""
    tool = BY_NAME.get(name)
    if tool is None:
        raise InputError(f"There is no tool '{name}'.", f"Use one of: {', '.join(BY_NAME)}.")
    return tool.fetch(tools, question, shown, argument)


def passage_at(shown: list[Hit], passage: Any) -> Hit:
    """The passage an argument names by number ("3", "[3]", "passage 3", 3)."""
    digits = "".join(c if c.isdigit() else " " for c in str(passage)).split()
    n = int(digits[0]) if digits else 0
    if not 1 <= n <= len(shown):
        raise InputError(f"There is no passage {passage}.", f"Name a passage from 1 to {len(shown)}.")
    return shown[n - 1]
