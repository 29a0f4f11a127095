"""The one table of the agent's tools: the names, arguments and descriptions an LM sees are pinned here."""

from __future__ import annotations

import pytest

from sleuth.agent.loop.toolbox import TOOLS, use_tool
from sleuth.errors import InputError
from sleuth.tools.passages import PassageSource


def test_the_tool_table_is_pinned() -> None:
    assert [(t.name, t.argument, t.kind.__name__, t.description) for t in TOOLS] == [
        ("search", "query", "str", "Search the collection with a short keyword query; returns numbered passages."),
        ("read_neighbours", "passage", "int", "Read the text just before and after passage number `passage`."),
        ("read_document", "passage", "int", "Read more of the document that passage number `passage` comes from."),
        ("recall_memory", "query", "str", "Look up passages cited by past research on similar questions."),
    ]
    assert TOOLS[1].schema == {"passage": {"type": "integer"}}


def test_react_sees_the_same_tools(agent) -> None:
    from sleuth.agent.loop.react import _as_dspy_tool
    from sleuth.agent.loop.trace import Trace

    a = agent()
    trace = Trace(None)  # type: ignore[arg-type]
    tools = [_as_dspy_tool(t, trace, PassageSource(a.searcher), "q", [], lambda hits: "") for t in TOOLS]
    assert [(t.name, t.desc, t.args) for t in tools] == [(t.name, t.description, t.schema) for t in TOOLS]


def test_read_neighbours_reads_the_chunks_around_a_passage(agent, settings, tmp_path) -> None:
    settings.index.chunk_tokens = 24
    settings.index.chunk_overlap = 0
    notes = tmp_path / "notes.md"
    notes.write_text(" ".join(f"Sentence {i} says late interaction keeps token vectors number {i}." for i in range(12)))
    a = agent()
    a.ingest([notes])
    tools = PassageSource(a.searcher)
    shown = [h for h in tools.search("token vectors number 5") if h.doc_id != "colbert"][:1]
    around = use_tool("read_neighbours", tools, "late interaction", shown, "1")
    assert {h.chunk.position for h in around} == {shown[0].chunk.position - 1, shown[0].chunk.position + 1} - {-1}
    whole = use_tool("read_document", tools, "late interaction", shown, "[1]")
    assert len(whole) > 2 and [h.chunk.position for h in whole] == sorted(h.chunk.position for h in whole)


def test_a_bad_tool_or_passage_number_is_a_clear_error(agent) -> None:
    tools = PassageSource(agent().searcher)
    with pytest.raises(InputError, match="no passage 9"):
        use_tool("read_document", tools, "q", [], "9")
    with pytest.raises(InputError, match="no tool 'shell'"):
        use_tool("shell", tools, "q", [], "rm -rf /")
