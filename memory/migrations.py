"""The memory database's schema as ordered, named migrations; `migrate` applies those a database lacks."""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlite_utils

from sleuth.errors import SleuthError

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


def _m003_experience(db: sqlite_utils.Database) -> None:
    runs = db["runs"]
    for column in ("collection", "collection_state", "settings_hash", "reused_from", "memory"):
        runs.add_column(column, str)
    db["feedback"].add_column("n", int)  # the citation rated, or NULL for the whole answer
    db["steps"].create(
        {"run_id": str, "n": int, "kind": str, "detail": str, "seconds": float, "llm_calls": int},
        pk=("run_id", "n"),
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["evidence"].create(
        {
            "run_id": str,
            "chunk_id": str,
            "doc_id": str,
            "title": str,
            "rank": int,
            "score": float,
            "kept": int,
            "cited": int,
        },
        pk=("run_id", "chunk_id"),
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["lessons"].create(
        {"id": int, "run_id": str, "kind": str, "text": str, "doc_id": str, "weight": float},
        pk="id",
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["lessons"].create_index(["run_id"])
    db["question_vectors"].create({"run_id": str, "vector": bytes}, pk="run_id")
    db["profile"].create({"topic": str, "weight": float, "updated": float}, pk="topic")
    db["collections"].create({"name": str, "generation": int, "updated": float}, pk="name")
    db.execute(
        "create view answers as select id as run_id, question, answer, error, "
        "(select count(*) from citations c where c.run_id = runs.id) as citations, reused_from from runs"
    )
    for table in ("citations", "feedback", "steps", "evidence"):
        db[table].create_index(["run_id"], if_not_exists=True)


def _m004_citation_spans(db: sqlite_utils.Database) -> None:
    """Where in its passage each citation's support lies (character offsets, JSON), the passage's PDF page and the
    file or URL it came from."""
    db["citations"].add_column("spans", str)
    db["citations"].add_column("page", int)
    db["citations"].add_column("source", str)


def _m005_citation_authors(db: sqlite_utils.Database) -> None:
    """Who wrote each cited document and when, as the source panel and `sleuth memory show` name them."""
    db["citations"].add_column("authors", str)
    db["citations"].add_column("year", str)


def _m006_citation_reference(db: sqlite_utils.Database) -> None:
    """What a reference list and BibTeX need of each cited work: its library key (BibTeX, Zotero), DOI, URL, venue
    and entry type."""
    for column in ("key", "doi", "url", "venue", "kind"):
        db["citations"].add_column(column, str)


MIGRATIONS: list[tuple[str, Migration]] = [
    ("m001_runs", _m001_runs),
    ("m002_feedback_and_search", _m002_feedback_and_search),
    ("m003_experience", _m003_experience),
    ("m004_citation_spans", _m004_citation_spans),
    ("m005_citation_authors", _m005_citation_authors),
    ("m006_citation_reference", _m006_citation_reference),
]


def migrate(db: sqlite_utils.Database) -> None:
    """Apply the migrations this database lacks, in order (`open_store` holds the opening lock meanwhile)."""
    for name, migration in _pending(db):
        with db.conn:
            migration(db)
            db["_migrations"].insert({"name": name, "applied": time.time()})


def _pending(db: sqlite_utils.Database) -> list[tuple[str, Migration]]:
    known = {name for name, _ in MIGRATIONS}
    if not db["_migrations"].exists():
        with db.conn:
            db["_migrations"].create({"name": str, "applied": float}, pk="name", if_not_exists=True)
    applied = {row["name"] for row in db["_migrations"].rows}
    if applied - known:
        raise SleuthError(
            f"The memory database was written by a newer sleuth (migrations {sorted(applied - known)}).",
            "Upgrade sleuth, or point SLEUTH_HOME elsewhere.",
        )
    return [(name, migration) for name, migration in MIGRATIONS if name not in applied]


__all__ = ["MIGRATIONS", "migrate"]
