"""`sleuth mcp` end to end: the SDK's own client launches the server over stdio, lists its tools (their schemas
pinned here) and calls each; a malformed call is a tool error and the next call works."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from sleuth.tui.cli import app

TOOLS = {  # name -> (required arguments, every argument): what a calling agent's prompt was written against
    "search": (["query"], ["collection", "filter", "k", "query"]),
    "ask": (["question"], ["collection", "question"]),
    "report": (["question"], ["collection", "question"]),
    "read": (["doc_id"], ["chunk_id", "collection", "context", "doc_id", "end", "start"]),
    "collections": ([], []),
}


def session(home: Path, calls: list[tuple[str, dict[str, Any]]]) -> tuple[list[Any], list[Any]]:
    """Start `sleuth mcp` as an MCP client would, list its tools, make `calls` in order on the one process."""
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    env = {**os.environ, "SLEUTH_HOME": str(home), "SLEUTH_LM": "scripted", "HF_HUB_OFFLINE": "1"}
    params = StdioServerParameters(command=sys.executable, args=["-m", "sleuth.tui.cli", "mcp"], env=env)

    async def run() -> tuple[list[Any], list[Any]]:
        async with Client(params) as client:
            tools = (await client.list_tools()).tools
            return tools, [await client.call_tool(name, arguments) for name, arguments in calls]

    return asyncio.run(run())


def structured(result: Any) -> Any:
    assert not result.is_error, result.content
    data = result.structured_content
    return data["result"] if set(data) == {"result"} else data


def test_an_mcp_client_lists_the_tools_searches_asks_reads_and_survives_bad_calls(
    corpus_file: Path, sleuth_home: Path
) -> None:
    assert CliRunner().invoke(app, ["ingest", str(corpus_file), "--quiet"]).exit_code == 0
    tools, results = session(
        sleuth_home,
        [
            ("collections", {}),
            ("search", {"query": "BM25 term frequency", "k": 3}),
            ("search", {"query": "BM25", "k": "many"}),  # wrong type
            ("search", {"k": 3}),  # missing argument
            ("ask", {"question": "What is BM25?"}),
            ("read", {"doc_id": "bm25", "start": 0, "end": 4, "context": 3}),
            ("read", {"doc_id": "no-such-document"}),
            ("ask", {"question": "What is BM25?", "collection": "typo"}),
            ("report", {"question": "What are the approaches to retrieval?"}),
            ("search", {"query": "sourdough", "k": 1, "filter": {"doc_id": "bread"}}),
        ],
    )
    schemas = {t.name: t.input_schema for t in tools}
    assert {name: (sorted(s.get("required", [])), sorted(s["properties"])) for name, s in schemas.items()} == {
        name: (sorted(req), props) for name, (req, props) in TOOLS.items()
    }
    assert schemas["search"]["properties"]["k"]["maximum"] == 50
    collections, found, wrong_type, missing, asked, read, unknown, typo, report, filtered = results

    assert structured(collections) == [{"name": "default", "documents": 6, "chunks": 6}]
    hits = structured(found)
    assert len(hits) == 3 and hits[0]["doc_id"] == "bm25" and "term frequency" in hits[0]["text"]
    assert {"chunk_id", "title", "source", "page", "start", "end", "score"} <= set(hits[0])

    assert wrong_type.is_error and "k" in wrong_type.content[0].text
    assert missing.is_error and "query" in missing.content[0].text

    answer = structured(asked)
    assert "[1]" in answer["answer"] and answer["error"] is None
    first = answer["citations"][0]
    assert first["n"] == 1 and first["doc_id"] == "bm25" and first["quotes"]
    assert first["quotes"][0] in first["text"]

    assert structured(read)["text"] == "BM25 is"  # 0-4 and 3 after (the start clamps at 0)
    assert unknown.is_error and "no document 'no-such-document'" in unknown.content[0].text
    assert typo.is_error and "no collection 'typo'" in typo.content[0].text and "sleuth ingest" in typo.content[0].text

    written = structured(report)
    assert written["sections"] and written["citations"] and "[1]" in written["answer"]
    assert [h["doc_id"] for h in structured(filtered)] == ["bread"]


def test_mcp_shows_in_the_help_with_the_config_a_client_needs() -> None:
    result = CliRunner().invoke(app, ["mcp", "--help"])
    assert result.exit_code == 0 and "stdin/stdout" in result.output
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("```json", 1)[1].split("```", 1)[0]
    config = json.loads(block)
    assert config["mcpServers"]["sleuth"]["args"] == ["mcp"]
