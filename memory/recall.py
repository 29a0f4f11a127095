"""Recall: what past runs offer a new question, found by full-text search and question-embedding similarity.

Three uses, from the strongest match down (ERAGent's retrieval trigger and experiential learner):
- **reuse**: a recent run asked the same thing of the same, unchanged collection and was not rated down; its
  answer may be returned without retrieval (the agent confirms with the LM unless the questions are identical);
- **plan**: a very similar run's sub-questions and queries replace the planning call;
- **hints**: similar runs lend the queries that found cited sources and the passages they cited; sources the
  user rated down are avoided.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import sqlite_utils

from sleuth.memory.store import fts_query
from sleuth.schema import Answer, Chunk, Hit, MemoryUse
from sleuth.settings import MemorySettings

IDENTICAL = 0.99
RECENT_RUNS = 2000
MAX_QUERIES = 3
MAX_PINNED = 4


@dataclass
class PastRun:
    run_id: str
    question: str
    similarity: float
    rating: int
    created: float
    state: str
    error: str | None
    citations: int
    fingerprint: str = ""  # the settings (model included) that shaped its answer

    @property
    def usable(self) -> bool:
        return not self.error and self.rating >= 0 and self.citations > 0


@dataclass
class Recollection:
    """What memory offers one question; the agent decides what to use and reports it in `Answer.memory`."""

    similar: list[PastRun] = field(default_factory=list)
    reuse: PastRun | None = None
    reused_answer: Answer | None = None
    plan: tuple[str, list[str], list[str]] | None = None
    queries: list[str] = field(default_factory=list)
    pinned: list[Hit] = field(default_factory=list)
    avoid_docs: set[str] = field(default_factory=set)

    def report(self, reused: bool, plan_used: bool) -> MemoryUse:
        """What was used: a reused answer takes nothing else; otherwise the plan (if taken) and the hints."""
        similar = [{"run_id": r.run_id, "similarity": round(r.similarity, 3)} for r in self.similar[:5]]
        if reused and self.reuse:
            return MemoryUse(used=True, reused_run=self.reuse.run_id, similar_runs=similar)
        return MemoryUse(
            used=plan_used or bool(self.queries or self.pinned or self.avoid_docs),
            similar_runs=similar,
            plan_from=self.plan[0] if plan_used and self.plan else None,
            queries=list(self.queries),
            pinned=[h.chunk_id for h in self.pinned],
            avoided=sorted(self.avoid_docs),
        )


def recall(
    db: sqlite_utils.Database,
    question: str,
    vector: np.ndarray,
    *,
    collection: str,
    state: str,
    settings: MemorySettings,
    fingerprint: str = "",
) -> Recollection:
    """Past runs on `collection` similar to `question`, and what each of the three uses may take from them. An
    answer is reused only from a run whose model and answer-shaping settings were these (`fingerprint`, the
    settings' hash): an answer written by another model is no answer of this one's."""
    similar = _similar_runs(db, question, vector, collection)
    memory = Recollection(similar=[r for r in similar if r.similarity >= settings.hint_similarity])
    memory.avoid_docs = _avoided_sources(db, memory.similar)
    oldest = time.time() - settings.max_age_days * 86400
    if settings.reuse_answers:
        for run in memory.similar:
            if run.similarity < settings.reuse_similarity:
                break
            same_setup = not fingerprint or run.fingerprint == fingerprint
            if run.usable and run.state == state and run.created >= oldest and same_setup:
                answer = _stored_answer(db, run.run_id)
                if answer.path != "report" and not {c.doc_id for c in answer.citations} & memory.avoid_docs:
                    memory.reuse, memory.reused_answer = run, answer
                    break
    good = [r for r in memory.similar if r.usable]
    for run in good:
        if run.similarity < settings.plan_similarity:
            break
        plan = _stored_plan(db, run.run_id)
        if plan:
            memory.plan = (run.run_id, *plan)
            break
    memory.queries = _useful_queries(db, good, question)
    memory.pinned = [h for h in _cited_passages(db, good) if h.doc_id not in memory.avoid_docs]
    return memory


def cited_passages(
    db: sqlite_utils.Database, query: str, vector: np.ndarray, collection: str, min_similarity: float = 0.5
) -> list[Hit]:
    """The agent's memory tool: passages that past usable runs on questions like `query` cited, leaving out
    sources rated down."""
    runs = [r for r in _similar_runs(db, query, vector, collection) if r.usable and r.similarity >= min_similarity]
    avoid = _avoided_sources(db, runs)
    return [h for h in _cited_passages(db, runs) if h.doc_id not in avoid]


def is_identical(first: str, second: str, similarity: float) -> bool:
    return similarity >= IDENTICAL or _normalise(first) == _normalise(second)


def _normalise(text: str) -> str:
    return " ".join("".join(ch for ch in text.lower() if ch.isalnum() or ch.isspace()).split())


def _similar_runs(db: sqlite_utils.Database, question: str, vector: np.ndarray, collection: str) -> list[PastRun]:
    """Candidates from recent runs and from FTS5 over all runs, ranked by cosine similarity of the questions."""
    ids = [r[0] for r in db.conn.execute("select id from runs order by created desc limit ?", [RECENT_RUNS])]
    terms = fts_query(question)
    if terms:
        sql = "select runs.id from runs_fts join runs on runs.rowid = runs_fts.rowid where runs_fts match ? limit 50"
        ids += [r[0] for r in db.conn.execute(sql, [terms])]
    if not ids:
        return []
    marks = ", ".join("?" * len(set(ids)))
    rows = db.conn.execute(
        f"""select r.id, r.question, r.created, r.collection_state, r.error, v.vector,
        (select coalesce(sum(rating), 0) from feedback f where f.run_id = r.id and f.n is null) as rating,
        (select count(*) from citations c where c.run_id = r.id) as citations, r.settings_hash
        from runs r join question_vectors v on v.run_id = r.id
        where r.collection = ? and r.id in ({marks})""",
        [collection, *set(ids)],
    ).fetchall()
    if not rows:
        return []
    matrix = np.stack([np.frombuffer(row[5], dtype=np.float32) for row in rows])
    query = np.asarray(vector, dtype=np.float32)
    sims = matrix @ query / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(query) + 1e-9)
    runs = [
        PastRun(
            run_id=row[0],
            question=row[1],
            similarity=float(sim),
            rating=int(row[6]),
            created=row[2],
            state=row[3] or "",
            error=row[4],
            citations=int(row[7]),
            fingerprint=row[8] or "",
        )
        for row, sim in zip(rows, sims, strict=True)
    ]
    return sorted(runs, key=lambda r: (-r.similarity, -r.created))


def _avoided_sources(db: sqlite_utils.Database, similar: list[PastRun]) -> set[str]:
    """Documents with a negative net rating: ratings of a citation count everywhere, ratings of a whole answer
    count for the sources it cited, on similar questions only."""
    score: dict[str, int] = {}
    targeted = db.conn.execute(
        "select c.doc_id, sum(f.rating) from feedback f join citations c on c.run_id = f.run_id and c.n = f.n "
        "where f.n is not null group by c.doc_id"
    )
    for doc_id, rating in targeted:
        score[doc_id] = score.get(doc_id, 0) + int(rating)
    for run in similar:
        if run.rating:
            for (doc_id,) in db.conn.execute("select distinct doc_id from citations where run_id = ?", [run.run_id]):
                score[doc_id] = score.get(doc_id, 0) + run.rating
    return {doc_id for doc_id, value in score.items() if value < 0}


def _stored_answer(db: sqlite_utils.Database, run_id: str) -> Answer:
    record = db.conn.execute("select record from runs where id = ?", [run_id]).fetchone()[0]
    return Answer.model_validate_json(record)


def _stored_plan(db: sqlite_utils.Database, run_id: str) -> tuple[list[str], list[str]] | None:
    """A past run's sub-questions and the queries written for them, from its stored Answer."""
    past = _stored_answer(db, run_id)
    subs = [s for s in past.sub_questions if s.strip()]
    return (subs, list(past.queries)) if subs else None


def _useful_queries(db: sqlite_utils.Database, runs: list[PastRun], question: str) -> list[str]:
    """Queries that found sources the answer cited, best first; never the question itself or a dead end."""
    found: dict[str, float] = {}
    dead: set[str] = set()
    for run in runs[:3]:
        for kind, text, weight in db.conn.execute(
            "select kind, text, weight from lessons where run_id = ? and kind in ('query', 'dead_end')", [run.run_id]
        ):
            if kind == "dead_end":
                dead.add(text)
            elif _normalise(text) not in (_normalise(question), _normalise(run.question)):
                found[text] = found.get(text, 0.0) + weight * run.similarity
    ranked = sorted((q for q in found if q not in dead), key=lambda q: -found[q])
    return ranked[:MAX_QUERIES]


def _cited_passages(db: sqlite_utils.Database, runs: list[PastRun]) -> list[Hit]:
    """The passages similar runs cited, most similar run first."""
    hits: dict[str, Hit] = {}
    for run in runs[:3]:
        rows = db.conn.execute(
            "select chunk_id, doc_id, title, text from citations where run_id = ? order by n", [run.run_id]
        )
        for chunk_id, doc_id, title, text in rows:
            chunk = Chunk(chunk_id=chunk_id, doc_id=doc_id, title=title or "", text=text or "")
            hits.setdefault(chunk_id, Hit(chunk=chunk, score=run.similarity))
    return list(hits.values())[:MAX_PINNED]
