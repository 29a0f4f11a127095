from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sleuth.tui.cli import app, demo_corpus

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("ingest", "ask", "search", "config"):
        assert command in result.output


def test_config_prints_effective_settings_with_secrets_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLEUTH_LM_API_KEY", "sk-secret-123")
    monkeypatch.setenv("SLEUTH_LM", "openai/gpt-4o-mini")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["models"]["lm"] == "openai/gpt-4o-mini"
    assert data["models"]["api_key"] == "****"
    assert "sk-secret-123" not in result.output


def test_ask_before_ingest_says_there_is_no_collection_and_how_to_make_one() -> None:
    result = runner.invoke(app, ["ask", "What is RAG?"])
    assert result.exit_code == 2
    assert "nothing to search" in result.output and "sleuth ingest" in result.output


def test_ingest_reports_bad_lines_and_exits_nonzero_but_keeps_the_rest(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"_id": "a", "title": "A", "text": "alpha beta"}\n{broken\n')
    result = runner.invoke(app, ["ingest", str(corpus), "--quiet"])
    assert result.exit_code == 1
    assert "1 new chunks" in result.output
    assert f"{corpus}:2" in result.output and "not valid JSON" in result.output
    search = runner.invoke(app, ["search", "alpha", "--json"])
    assert search.exit_code == 0
    assert json.loads(search.output)[0]["doc_id"] == "a"


def test_bad_filter_is_explained() -> None:
    result = runner.invoke(app, ["search", "x", "--filter", "nonsense"])
    assert result.exit_code == 2
    assert "field=value" in result.output


def test_the_demo_corpus_ships_inside_the_package() -> None:
    lines = demo_corpus().read_text().splitlines()
    assert len(lines) == 260
    assert {"_id", "title", "text"} <= set(json.loads(lines[0]))


def test_collections_lists_each_with_document_and_chunk_counts(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"_id": "a", "text": "alpha"}\n{"_id": "b", "text": "beta"}\n')
    empty = runner.invoke(app, ["collections"])
    assert empty.exit_code == 0 and "sleuth ingest" in empty.output
    assert runner.invoke(app, ["ingest", str(corpus), "-q", "-c", "notes"]).exit_code == 0
    rows = json.loads(runner.invoke(app, ["collections", "--json"]).output)
    assert rows == [{"collection": "notes", "documents": 2, "chunks": 2}]
