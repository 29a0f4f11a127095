from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sleuth.errors import SleuthError
from sleuth.memory.store import log_run, open_store
from sleuth.schema import Answer, Citation, Usage
from sleuth.tui.cli import app

runner = CliRunner()


def _answer(run_id: str, question: str) -> Answer:
    return Answer(
        run_id=run_id,
        question=question,
        answer="BM25 weighs terms [1].",
        model="dummy",
        citations=[Citation(n=1, doc_id="bm25", chunk_id="c1", title="BM25", text="BM25 is...", score=0.9)],
        usage=Usage(llm_calls=2, input_tokens=100, output_tokens=20),
        seconds=1.5,
    )


@pytest.fixture
def db(sleuth_home: Path):
    store = open_store(sleuth_home / "memory.db")
    log_run(store, _answer("aaaa1111", "What is BM25 ranking?"))
    log_run(store, _answer("bbbb2222", "How does dense retrieval work?"))
    return store


def test_list_search_show_and_stats(db) -> None:
    listed = json.loads(runner.invoke(app, ["memory", "list", "--json"]).output)
    assert {r["id"] for r in listed} == {"aaaa1111", "bbbb2222"}
    found = json.loads(runner.invoke(app, ["memory", "search", "dense", "--json"]).output)
    assert [r["id"] for r in found] == ["bbbb2222"]
    shown = json.loads(runner.invoke(app, ["memory", "show", "aaaa", "--json"]).output)
    assert shown["record"]["citations"][0]["doc_id"] == "bm25"
    stats = json.loads(runner.invoke(app, ["memory", "stats", "--json"]).output)
    assert (stats["runs"], stats["llm_calls"], stats["citations"]) == (2, 4, 2)


def test_feedback_is_stored_and_forget_purges_every_row(db) -> None:
    assert runner.invoke(app, ["feedback", "aaaa", "down", "wrong source"]).exit_code == 0
    assert db["feedback"].count == 1
    result = runner.invoke(app, ["memory", "forget", "aaaa1111", "--json"])
    assert json.loads(result.output) == {"forgotten": "aaaa1111"}
    for table in ("runs", "citations", "feedback"):
        assert (
            db.execute(
                f"select count(*) from {table} where {'id' if table == 'runs' else 'run_id'} = 'aaaa1111'"
            ).fetchone()[0]
            == 0
        )
    assert db["runs"].count == 1


def test_export_writes_one_line_per_run(db, tmp_path: Path) -> None:
    out = tmp_path / "mem.jsonl"
    assert runner.invoke(app, ["memory", "export", str(out)]).exit_code == 0
    assert len(out.read_text().splitlines()) == 2


def test_unknown_run_and_bad_rating_are_explained(db) -> None:
    result = runner.invoke(app, ["memory", "show", "zzzz"])
    assert result.exit_code == 2 and "sleuth memory list" in result.output
    result = runner.invoke(app, ["feedback", "aaaa", "meh"])
    assert result.exit_code == 2 and "neither up nor down" in result.output


def test_a_database_from_a_newer_version_is_refused(sleuth_home: Path) -> None:
    store = open_store(sleuth_home / "memory.db")
    store["_migrations"].insert({"name": "m999_future", "applied": 0.0})
    with pytest.raises(SleuthError, match="newer sleuth"):
        open_store(sleuth_home / "memory.db")


def test_a_corrupt_database_names_its_path(sleuth_home: Path) -> None:
    sleuth_home.mkdir(parents=True)
    (sleuth_home / "memory.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(SleuthError, match="memory.db"):
        open_store(sleuth_home / "memory.db")
    assert sqlite3.sqlite_version
