from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sleuth.errors import SleuthError
from sleuth.memory.record import log_run
from sleuth.memory.store import RUN_TABLES, open_store, profile
from sleuth.schema import Answer, Citation, Search, Seen, Step, Usage
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
        sub_questions=[question],
        queries=["bm25"],
        searches=[Search(query=question, docs=["bm25"])],
        evidence=[Seen(chunk_id="c1", doc_id="bm25", title="BM25", rank=0, score=1.0, kept=True, cited=True)],
        steps=[Step(kind="plan", llm_calls=1), Step(kind="search"), Step(kind="draft", llm_calls=1)],
    )


@pytest.fixture
def db(sleuth_home: Path):
    store = open_store(sleuth_home / "memory.db")
    log_run(store, _answer("aaaa1111", "What is BM25 ranking?"), vector=np.ones(4))
    log_run(store, _answer("bbbb2222", "How does dense retrieval work?"), vector=np.ones(4))
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
    assert runner.invoke(app, ["feedback", "aaaa", "up", "--citation", "1"]).exit_code == 0
    assert db["feedback"].count == 2
    tables = ("runs", *RUN_TABLES)
    assert all(_rows_of(db, t, "aaaa1111") for t in tables)
    result = runner.invoke(app, ["memory", "forget", "aaaa1111", "--json"])
    assert json.loads(result.output) == {"forgotten": "aaaa1111"}
    assert {t: _rows_of(db, t, "aaaa1111") for t in tables} == dict.fromkeys(tables, 0)
    assert _rows_of(db, "runs", "bbbb2222") == 1
    assert "bm25" not in {r["topic"] for r in profile(db)}  # only the forgotten run asked about it
    assert "dense" in {r["topic"] for r in profile(db)}


def _rows_of(db, table: str, run_id: str) -> int:
    column = "id" if table == "runs" else "run_id"
    return db.execute(f"select count(*) from {table} where {column} = ?", [run_id]).fetchone()[0]


def test_rating_a_citation_the_run_lacks_is_explained(db) -> None:
    result = runner.invoke(app, ["feedback", "aaaa", "down", "--citation", "7"])
    assert result.exit_code == 2 and "no citation [7]" in result.output


def test_an_older_database_is_migrated_in_place_keeping_its_runs(sleuth_home: Path, monkeypatch) -> None:
    from sleuth.memory import migrations as store

    path = sleuth_home / "memory.db"
    monkeypatch.setattr(store, "MIGRATIONS", store.MIGRATIONS[:2])
    old = open_store(path)
    old["runs"].insert({"id": "old1", "created": 1.0, "question": "What is BM25?", "answer": "x", "record": "{}"})
    monkeypatch.undo()
    upgraded = open_store(path)
    assert {r["name"] for r in upgraded["_migrations"].rows} == {name for name, _ in store.MIGRATIONS}
    assert upgraded["runs"].get("old1")["question"] == "What is BM25?"
    assert {"steps", "evidence", "lessons", "profile", "question_vectors"} <= set(upgraded.table_names())
    assert "answers" in upgraded.view_names()


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


WRITER = """
import sys, time
from pathlib import Path
from sleuth.memory.record import log_run
from sleuth.memory.store import open_store
from sleuth.schema import Answer, Citation, Seen, Step

db = open_store(Path(sys.argv[1]))
name, count = sys.argv[2], int(sys.argv[3])
for i in range(count):
    cites = [Citation(n=n, doc_id=f"d{n}", chunk_id=f"c{n}", title="t", text="x" * 2000, score=1.0) for n in (1, 2)]
    seen = [Seen(chunk_id=f"c{n}", doc_id=f"d{n}", title="t", rank=n, kept=n < 3, cited=n < 3) for n in range(20)]
    log_run(db, Answer(run_id=f"{name}-{i}", question=f"question {i} from {name}", answer="a [1][2]",
                       citations=cites, evidence=seen, steps=[Step(kind="search")] * 3))
    print(i, flush=True)
"""


def _writer(path: Path, name: str, count: int):
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), name, str(count)], stdout=subprocess.PIPE, text=True
    )


def _consistent(db) -> None:
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    for (run_id,) in db.execute("select id from runs").fetchall():
        assert _rows_of(db, "steps", run_id) == 3 and _rows_of(db, "citations", run_id) == 2
        assert _rows_of(db, "evidence", run_id) == 20
    orphans = db.execute("select count(*) from steps where run_id not in (select id from runs)").fetchone()[0]
    assert orphans == 0


def test_a_writer_killed_mid_run_leaves_the_store_consistent(sleuth_home: Path) -> None:
    import signal

    path = sleuth_home / "memory.db"
    open_store(path)
    writer = _writer(path, "w", 100_000)
    assert writer.stdout is not None
    for _ in range(30):  # let it get well into writing
        writer.stdout.readline()
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    db = open_store(path)
    assert db["runs"].count >= 30
    _consistent(db)
    log_run(db, _answer("after", "Does the store still take runs?"))
    assert db["runs"].get("after")


def test_concurrent_writers_lose_no_run(sleuth_home: Path) -> None:
    path = sleuth_home / "memory.db"
    writers = [_writer(path, name, 40) for name in ("tui", "batch")]  # the first to open also migrates
    for writer in writers:
        writer.communicate(timeout=120)
        assert writer.returncode == 0
    db = open_store(path)
    assert db["runs"].count == 80
    _consistent(db)
