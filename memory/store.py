"""The SQLite store of experience, through sqlite-utils with ordered, named migrations.

`log_run(db, answer)` is the one way a run is written, used alike by the API, the CLI and the batch runner.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlite_utils

from sleuth.errors import SleuthError
from sleuth.schema import Answer

Migration = Callable[[sqlite_utils.Database], None]


def _m001_runs(db: sqlite_utils.Database) -> None:
    db["runs"].create(
        {
            "id": str,
            "created": float,
            "question": str,
            "answer": str,
            "model": str,
            "seconds": float,
            "llm_calls": int,
            "input_tokens": int,
            "output_tokens": int,
            "error": str,
            "record": str,
        },
        pk="id",
    )
    db["citations"].create(
        {"run_id": str, "n": int, "doc_id": str, "chunk_id": str, "title": str, "text": str, "score": float},
        pk=("run_id", "n"),
        foreign_keys=[("run_id", "runs", "id")],
    )


def _m002_feedback_and_search(db: sqlite_utils.Database) -> None:
    db["feedback"].create(
        {"id": int, "run_id": str, "created": float, "rating": int, "comment": str},
        pk="id",
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["runs"].enable_fts(["question", "answer"], fts_version="FTS5", create_triggers=True)


MIGRATIONS: list[tuple[str, Migration]] = [
    ("m001_runs", _m001_runs),
    ("m002_feedback_and_search", _m002_feedback_and_search),
]
RUN_TABLES = ("citations", "feedback")


def open_store(path: Path) -> sqlite_utils.Database:
    """Open (creating and migrating as needed) the memory database at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        db = sqlite_utils.Database(path)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA busy_timeout=10000")
        migrate(db)
    except sqlite_utils.db.sqlite3.DatabaseError as exc:
        raise SleuthError(
            f"The memory database {path} is damaged or not a database ({exc}).",
            "Move it aside to start a fresh memory, or set SLEUTH_MEMORY__ENABLED=false.",
        ) from exc
    return db


def migrate(db: sqlite_utils.Database) -> None:
    known = {name for name, _ in MIGRATIONS}
    db["_migrations"].create({"name": str, "applied": float}, pk="name", if_not_exists=True)
    applied = {row["name"] for row in db["_migrations"].rows}
    if applied - known:
        raise SleuthError(
            f"The memory database was written by a newer sleuth (migrations {sorted(applied - known)}).",
            "Upgrade sleuth, or point SLEUTH_HOME elsewhere.",
        )
    for name, migration in MIGRATIONS:
        if name not in applied:
            with db.conn:
                migration(db)
                db["_migrations"].insert({"name": name, "applied": time.time()})


def _missing(run_id: str) -> SleuthError:
    return SleuthError(f"No run '{run_id}' in memory.", "List runs with: sleuth memory list")


def resolve_run_id(db: sqlite_utils.Database, run_id: str) -> str:
    """A full run id from a unique prefix (as printed by `sleuth memory list`)."""
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
    run["feedback"] = list(db["feedback"].rows_where("run_id = ?", [run["id"]], order_by="created"))
    return run


def search_runs(db: sqlite_utils.Database, text: str, limit: int = 20) -> list[dict[str, Any]]:
    terms = " OR ".join(f'"{t}"' for t in text.replace('"', " ").split())
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
    with db.conn:
        for table in RUN_TABLES:
            db.execute(f"delete from {table} where run_id = ?", [full])
        db.execute("delete from runs where id = ?", [full])
    return full


def add_feedback(db: sqlite_utils.Database, run_id: str, rating: int, comment: str = "") -> str:
    full = resolve_run_id(db, run_id)
    with db.conn:
        db["feedback"].insert({"run_id": full, "created": time.time(), "rating": rating, "comment": comment})
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
    return row


def export_runs(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return [get_run(db, r["id"]) for r in db.query("select id from runs order by created")]


def log_run(db: sqlite_utils.Database, answer: Answer) -> None:
    with db.conn:
        db["runs"].insert(
            {
                "id": answer.run_id,
                "created": time.time(),
                "question": answer.question,
                "answer": answer.answer,
                "model": answer.model,
                "seconds": answer.seconds,
                "llm_calls": answer.usage.llm_calls,
                "input_tokens": answer.usage.input_tokens,
                "output_tokens": answer.usage.output_tokens,
                "error": answer.error,
                "record": json.dumps(answer.model_dump(mode="json")),
            },
            replace=True,
        )
        db["citations"].insert_all(
            ({"run_id": answer.run_id, **c.model_dump()} for c in answer.citations), replace=True
        )
