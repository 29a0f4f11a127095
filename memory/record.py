"""Writing a run: `log_run(db, answer)` is the one way a run is stored, used alike by the API, the CLI and the
batch runner. The run and every row derived from it (steps, evidence, citations, lessons, the profile, its question
vector) go in one transaction (`store.transaction`): all of it or none."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import sqlite_utils

from sleuth.memory.store import insert_rows, topics, transaction
from sleuth.schema import Answer


def log_run(
    db: sqlite_utils.Database,
    answer: Answer,
    *,
    vector: np.ndarray | None = None,
    collection: str = "",
    collection_state: str = "",
    settings_hash: str = "",
) -> None:
    """Store a run with its steps, evidence, citations and the lessons drawn from it, all or nothing."""
    now = time.time()
    run = answer.run_id
    with transaction(db):
        insert_rows(
            db,
            "runs",
            [
                {
                    "id": run,
                    "created": now,
                    "question": answer.question,
                    "answer": answer.answer,
                    "model": answer.model,
                    "seconds": answer.seconds,
                    "llm_calls": answer.usage.llm_calls,
                    "input_tokens": answer.usage.input_tokens,
                    "output_tokens": answer.usage.output_tokens,
                    "error": answer.error,
                    "record": json.dumps(answer.model_dump(mode="json")),
                    "collection": collection,
                    "collection_state": collection_state,
                    "settings_hash": settings_hash,
                    "reused_from": answer.memory.reused_run if answer.memory else None,
                    "memory": json.dumps(answer.memory.model_dump()) if answer.memory else None,
                }
            ],
        )
        insert_rows(
            db,
            "citations",
            ({"run_id": run, **c.model_dump(), "spans": json.dumps(c.spans)} for c in answer.citations),
        )
        insert_rows(
            db,
            "steps",
            (
                {
                    "run_id": run,
                    "n": n,
                    "kind": step.kind,
                    "detail": json.dumps(step.detail, default=str),
                    "seconds": step.seconds,
                    "llm_calls": step.llm_calls,
                }
                for n, step in enumerate(answer.steps)
            ),
        )
        insert_rows(db, "evidence", _evidence_rows(answer))
        insert_rows(db, "lessons", _lessons(answer))
        if vector is not None:
            insert_rows(db, "question_vectors", [{"run_id": run, "vector": np.asarray(vector, np.float32).tobytes()}])
        db.conn.executemany(
            "insert into profile (topic, weight, updated) values (?, 1, ?) "
            "on conflict(topic) do update set weight = weight + 1, updated = excluded.updated",
            [[t, now] for t in topics(answer.question)],
        )


def _evidence_rows(answer: Answer) -> Iterator[dict[str, Any]]:
    """The run's candidate passages as it ranked them, with whether each became evidence and was cited."""
    for seen in answer.evidence:
        yield {"run_id": answer.run_id, **seen.model_dump(), "kept": int(seen.kept), "cited": int(seen.cited)}


def _lessons(answer: Answer) -> Iterator[dict[str, Any]]:
    """What a run teaches: queries that found cited sources, queries that found none, and the useful sources."""
    cited_docs = {c.doc_id for c in answer.citations}
    if not cited_docs:
        return
    for search in answer.searches:
        if search.source == "hop" or not search.docs:
            continue  # a multi-hop follow-up is remade from the passages themselves; nothing to remember
        found = len(cited_docs & set(search.docs))
        kind = "query" if found else "dead_end"
        yield {"run_id": answer.run_id, "kind": kind, "text": search.query, "doc_id": None, "weight": float(found)}
    for citation in {c.doc_id: c for c in answer.citations}.values():
        yield {
            "run_id": answer.run_id,
            "kind": "source",
            "text": citation.title,
            "doc_id": citation.doc_id,
            "weight": 1.0,
        }


__all__ = ["log_run"]
