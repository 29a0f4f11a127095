"""Storage that fails: the disk full while memory or the index is written, a damaged memory.db. Each gives a clear
error or an answer that says what was not stored; nothing is half-written, and the next run works."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
import sqlite_utils
from conftest import make_agent, sentences

from sleuth.agent.llm.testing import scripted_lm
from sleuth.errors import SleuthError

QUESTION = "How does ColBERT score passages?"
COLBERT = sentences(("ColBERT keeps one embedding per token.", [1]), ("It scores by late interaction.", [1]))


def _runs(home: Path) -> int:
    return sqlite_utils.Database(home / "memory.db")["runs"].count


def test_a_full_disk_while_memory_is_written_keeps_the_answer_and_stores_nothing_of_the_run(
    settings, embedder, corpus_file, sleuth_home, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sleuth.memory import store

    agent = make_agent(settings, embedder, lm=scripted_lm([COLBERT, COLBERT, COLBERT]))
    agent.ingest([corpus_file])
    first = agent.ask(QUESTION)
    assert first.error is None and _runs(sleuth_home) == 1
    opened = store.open_store

    def full(path: Path) -> sqlite_utils.Database:  # SQLite's own disk-full path: no page may be added
        db = opened(path)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")
        return db

    monkeypatch.setattr(store, "open_store", full)
    agent.settings.memory.reuse_answers = False
    second = agent.ask("What does ColBERT keep for every token of a passage?")
    assert second.answer and second.citations  # the user still gets the answer
    assert second.error and "not stored in memory" in second.error and "full" in second.error
    assert _runs(sleuth_home) == 1  # no partial run: the write was rolled back whole
    monkeypatch.setattr(store, "open_store", opened)
    agent.ask("Which passages does BM25 rank first?")
    assert _runs(sleuth_home) == 2  # space again: the next run is stored


def test_a_damaged_memory_database_is_left_alone_and_the_question_still_answered(
    settings, embedder, corpus_file, sleuth_home
) -> None:
    import gc

    agent = make_agent(settings, embedder, lm=scripted_lm([COLBERT]))
    agent.ingest([corpus_file])
    gc.collect()  # every connection closed: the file alone holds the memory
    damaged = b"SQLite format 3\x00" + b"\xde\xad" * 4000
    for journal in ("memory.db-wal", "memory.db-shm"):  # no intact pages left to recover from
        (sleuth_home / journal).unlink(missing_ok=True)
    (sleuth_home / "memory.db").write_bytes(damaged)
    answer = agent.ask(QUESTION)
    assert answer.citations and answer.error and "memory.db" in answer.error and "not stored" in answer.error
    assert (sleuth_home / "memory.db").read_bytes() == damaged  # nothing overwritten: the user can recover it


def test_a_full_disk_while_the_index_is_written_is_a_clear_error_and_the_rerun_completes(
    settings, embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "many.jsonl"
    with corpus.open("w") as handle:
        for i in range(100):
            handle.write(json.dumps({"_id": f"d{i}", "title": f"Doc {i}", "text": f"Document {i} on topic {i % 7}."}))
            handle.write("\n")
    agent = make_agent(settings, embedder)
    real = agent.index.upsert
    calls = {"n": 0}

    def filling(chunks, dense, sparse):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(chunks, dense, sparse)

    monkeypatch.setattr(agent.index, "upsert", filling)
    with pytest.raises(SleuthError, match="index could not be written.*No space left") as raised:
        agent.ingest([corpus])
    assert "run the same command again" in str(raised.value)
    written = agent.index.count()
    assert 0 < written < 100
    monkeypatch.setattr(agent.index, "upsert", real)
    report = agent.ingest([corpus])
    assert report.unchanged == written and report.added == 100 - written
    ids = [ref.chunk_id for ref in agent.index.chunks_of()]
    assert len(ids) == len(set(ids)) == 100
