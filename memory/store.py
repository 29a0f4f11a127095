"""The SQLite store of experience, through sqlite-utils with ordered, named migrations.

`log_run(db, answer)` is the one way a run is written, used alike by the API, the CLI and the batch runner.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

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


MIGRATIONS: list[tuple[str, Migration]] = [("m001_runs", _m001_runs)]


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
