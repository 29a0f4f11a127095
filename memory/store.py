"""The SQLite store of experience, through sqlite-utils with ordered, named migrations.

Opening (and migrating, `memory/migrations.py`), the one write transaction, and the reads and small writes of
the memory commands. A run itself is written by `memory/record.py`'s `log_run`, in one `BEGIN IMMEDIATE`
transaction of this module, so a crash leaves either all of it or none, and concurrent writers (the TUI and a
batch) queue on SQLite's lock instead of failing. WAL mode lets readers go on meanwhile.
"""

from __future__ import annotations

import fcntl
import json
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from sleuth.errors import SleuthError
from sleuth.lexicon import STOPWORDS
from sleuth.memory.migrations import migrate

RUN_TABLES = ("citations", "feedback", "steps", "evidence", "lessons", "question_vectors")


def open_store(path: Path) -> sqlite_utils.Database:
    """Open (creating and migrating as needed) the memory database at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        db = sqlite_utils.Database(path)
        db.execute("PRAGMA busy_timeout=30000")
        with _opening_lock(path):  # one opener at a time switches the journal and migrates: SQLite may refuse a
            _use_wal(db)  # schema change at once, without waiting, while another connection does the same
            migrate(db)
    except sqlite_utils.db.sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise _damaged(path, exc) from exc
        raise SleuthError(
            f"The memory database {path} stayed locked by another sleuth process for 30 s.",
            "Wait for the other run to finish and try again.",
        ) from exc
    except sqlite_utils.db.sqlite3.DatabaseError as exc:
        raise _damaged(path, exc) from exc
    return db


@contextmanager
def _opening_lock(path: Path) -> Iterator[None]:
    with Path(f"{path}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _use_wal(db: sqlite_utils.Database, wait: float = 30.0) -> None:
    """Switch to WAL; SQLite does not apply the busy timeout to this switch, so retry while another process
    is creating or switching the same file."""
    deadline = time.monotonic() + wait
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite_utils.db.sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _damaged(path: Path, exc: Exception) -> SleuthError:
    return SleuthError(
        f"The memory database {path} is damaged or not a database ({exc}).",
        "Move it aside to start a fresh memory, or set SLEUTH_MEMORY__ENABLED=false.",
    )


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """One write transaction that takes the lock up front, so concurrent writers wait rather than fail."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.conn.commit()
    except BaseException as exc:
        db.conn.rollback()
        if isinstance(exc, sqlite_utils.db.sqlite3.DatabaseError):  # the disk full, the file damaged or read-only
            raise SleuthError(
                f"The memory database could not be written ({exc}); nothing of this write was kept.",
                "Free some disk space (or move memory.db aside if it is damaged) and try again.",
            ) from exc
        raise


def insert_rows(db: sqlite_utils.Database, table: str, rows: Iterable[dict[str, Any]]) -> None:
    """Insert-or-replace with plain SQL: sqlite-utils' own inserts commit, which would split a transaction."""
    rows = list(rows)
    if not rows:
        return
    columns = list(rows[0])
    names = ", ".join(f"[{c}]" for c in columns)
    sql = f"insert or replace into [{table}] ({names}) values ({', '.join('?' * len(columns))})"
    db.conn.executemany(sql, [[row[c] for c in columns] for row in rows])


def _missing(run_id: str) -> SleuthError:
    return SleuthError(f"No run '{run_id}' in memory.", "List runs with: sleuth memory list")


def resolve_run_id(db: sqlite_utils.Database, run_id: str) -> str:
    """A full run id from a unique prefix (as printed by `sleuth memory list`), or `last` for the newest run."""
    if run_id == "last":
        rows = [r["id"] for r in db.query("select id from runs order by created desc limit 1")]
        if not rows:
            raise SleuthError("Memory holds no runs yet, so there is no last one.", "Ask a question first.")
        return rows[0]
    rows = [r["id"] for r in db.query("select id from runs where id like ? limit 2", [run_id + "%"])]
    if len(rows) != 1:
        raise (
            _missing(run_id)
            if not rows
            else SleuthError(f"'{run_id}' matches several runs.", "Give more characters of the run id.")
        )
    return rows[0]


def list_runs(db: sqlite_utils.Database, limit: int = 20) -> list[dict[str, Any]]:
    sql = (
        "select id, created, question, model, seconds, llm_calls, error, "
        "(select sum(rating) from feedback f where f.run_id = runs.id) as rating "
        "from runs order by created desc limit ?"
    )
    return list(db.query(sql, [limit]))


def get_run(db: sqlite_utils.Database, run_id: str) -> dict[str, Any]:
    run = dict(db["runs"].get(resolve_run_id(db, run_id)))
    run["record"] = json.loads(run["record"])
    run["memory"] = json.loads(run["memory"]) if run.get("memory") else None
    where = "run_id = ?", [run["id"]]
    run["feedback"] = list(db["feedback"].rows_where(*where, order_by="created"))
    run["evidence"] = list(db["evidence"].rows_where(*where, order_by="rank"))
    run["lessons"] = list(db["lessons"].rows_where(*where, order_by="id"))
    return run


def fts_query(text: str) -> str:
    """An FTS5 query matching any word of `text`, each quoted so punctuation cannot break the syntax."""
    return " OR ".join(f'"{t}"' for t in text.replace('"', " ").split())


def search_runs(db: sqlite_utils.Database, text: str, limit: int = 20) -> list[dict[str, Any]]:
    terms = fts_query(text)
    if not terms:
        return []
    sql = (
        "select runs.id, runs.created, runs.question, runs.model from runs_fts "
        "join runs on runs.rowid = runs_fts.rowid where runs_fts match ? order by rank limit ?"
    )
    return list(db.query(sql, [terms, limit]))


def forget_run(db: sqlite_utils.Database, run_id: str) -> str:
    """Delete a run and every row that belongs to it."""
    full = resolve_run_id(db, run_id)
    question = db["runs"].get(full)["question"]
    with transaction(db):
        for table in RUN_TABLES:
            db.conn.execute(f"delete from {table} where run_id = ?", [full])
        db.conn.execute("delete from runs where id = ?", [full])
        db.conn.executemany("update profile set weight = weight - 1 where topic = ?", [[t] for t in topics(question)])
        db.conn.execute("delete from profile where weight <= 0")
    return full


def add_feedback(
    db: sqlite_utils.Database, run_id: str, rating: int, comment: str = "", citation: int | None = None
) -> str:
    """Rate a run, or one of its citations (`citation` = its [n]); a rated citation's source is judged everywhere."""
    full = resolve_run_id(db, run_id)
    if citation is not None and not db["citations"].count_where("run_id = ? and n = ?", [full, citation]):
        raise SleuthError(
            f"Run {full[:12]} has no citation [{citation}].", f"See its citations with: sleuth memory show {full[:12]}"
        )
    with transaction(db):
        insert_rows(
            db,
            "feedback",
            [{"run_id": full, "created": time.time(), "rating": rating, "comment": comment, "n": citation}],
        )
    return full


def stats(db: sqlite_utils.Database) -> dict[str, Any]:
    row = next(
        db.query(
            "select count(*) as runs, coalesce(sum(llm_calls), 0) as llm_calls, "
            "coalesce(sum(input_tokens + output_tokens), 0) as tokens, coalesce(avg(seconds), 0) as mean_seconds, "
            "coalesce(sum(error is not null), 0) as runs_with_error from runs"
        )
    )
    row["citations"] = db["citations"].count
    row["feedback_up"] = db["feedback"].count_where("rating > 0")
    row["feedback_down"] = db["feedback"].count_where("rating < 0")
    row["answers_reused"] = db["runs"].count_where("reused_from is not null")
    row["lessons"] = db["lessons"].count
    row["top_topics"] = [
        r["topic"] for r in db.query("select topic from profile order by weight desc, updated desc limit 10")
    ]
    return row


def profile(db: sqlite_utils.Database, limit: int = 20) -> list[dict[str, Any]]:
    """The user's topics of interest, learned from their questions: most asked first."""
    return list(db.query("select topic, weight from profile order by weight desc, updated desc limit ?", [limit]))


def export_runs(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return [get_run(db, r["id"]) for r in db.query("select id from runs order by created")]


def bump_collection(db: sqlite_utils.Database, name: str) -> int:
    """Mark a collection as changed (documents added or removed): answers from before are no longer reused."""
    with transaction(db):
        db.conn.execute(
            "insert into collections (name, generation, updated) values (?, 1, ?) "
            "on conflict(name) do update set generation = generation + 1, updated = excluded.updated",
            [name, time.time()],
        )
    return collection_generation(db, name)


def collection_generation(db: sqlite_utils.Database, name: str) -> int:
    row = db.conn.execute("select generation from collections where name = ?", [name]).fetchone()
    return row[0] if row else 0


def topics(question: str) -> list[str]:
    """The content words of a question, the unit of the user profile."""
    words = re.findall(r"[a-z][a-z0-9\-]{3,}", question.lower())
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS))
