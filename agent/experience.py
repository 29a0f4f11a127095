"""The agent's experience: memory recalled before a question is researched, the run remembered after it, and the
history a person browses, searches, rates and prunes (the chat, `sleuth memory`, `sleuth feedback`).

`ResearchAgent.ask` opens memory.db once per question (`open`), asks it for similar past runs (`recall`: reused
answers, plans, queries, pinned and avoided sources), gives the loop a memory tool (`passages`), and stores the
finished run (`remember`). The index and embedder are the agent's, handed in as functions that open them on first
use, so nothing here reaches back into the agent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sleuth.errors import ConfigError, SleuthError
from sleuth.locations import memory_db
from sleuth.schema import Answer, Hit
from sleuth.settings import Settings

if TYPE_CHECKING:
    import numpy as np
    import sqlite_utils

    from sleuth.memory.recall import Recollection
    from sleuth.tools.embedder import Embedder
    from sleuth.tools.index.base import VectorIndex


@dataclass
class Around:
    """Memory around one question: the store (None when memory is off or damaged), the question's vector, the
    collection's state, what similar past runs lend (`recollection`), and a damaged memory's problem."""

    store: sqlite_utils.Database | None = None
    vector: np.ndarray | None = None
    state: str = ""
    recollection: Recollection | None = None
    problem: str = ""


class Experience:
    def __init__(self, settings: Settings, index: Callable[[], VectorIndex], embedder: Callable[[], Embedder]) -> None:
        self.settings = settings
        self._index = index
        self._embedder = embedder

    def open(self) -> sqlite_utils.Database | None:
        """The memory database, or None when memory is off."""
        if not self.settings.memory.enabled:
            return None
        from sleuth.memory.store import open_store

        return open_store(memory_db(self.settings))

    def required(self) -> sqlite_utils.Database:
        """The memory database; memory being off is an error that says so."""
        store = self.open()
        if store is None:
            raise ConfigError(
                "Memory is off (memory.enabled = false): nothing is stored, so there is no history or feedback.",
                "Turn it on with SLEUTH_MEMORY__ENABLED=true.",
            )
        return store

    # -- around a question -------------------------------------------------------------------------------------

    def around(self, question: str, recall: bool = True) -> Around:
        """Memory opened for a question, and (with `recall`) what similar past runs lend it. A damaged memory costs
        its help and the run's record, not the answer: the problem is said in `problem`."""
        around = Around()
        try:
            around.store = self.open()
            if around.store is not None:
                around.vector = self._embedder().embed_query(question)
                around.state = self.state(around.store)
                if recall:
                    around.recollection = self.recall(around.store, question, around.vector, around.state)
        except SleuthError as exc:
            return Around(problem=f"memory not used, and this run not stored: {exc}")
        return around

    def lookup(self, around: Around) -> Callable[[str], list[Hit]] | None:
        """The memory tool for a run (None when memory is off)."""
        store = around.store
        return (lambda query: self.passages(store, query)) if store is not None else None

    def keep(self, around: Around, answer: Answer, lm_failed: bool) -> None:
        """Store the finished run, unless the LM failed (the run teaches nothing); say so in `answer.error`."""
        answer.error = "; ".join(filter(None, [answer.error, around.problem])) or None
        if around.store is not None and lm_failed:
            answer.error = f"{answer.error}; not stored in memory: the LM failed, so the run teaches nothing"
        elif around.store is not None and around.vector is not None:
            self.remember(around.store, answer, around.vector, around.state)

    def state(self, store: sqlite_utils.Database) -> str:
        """Changes whenever the collection's content does: its chunk count and its ingest generation."""
        from sleuth.memory.store import collection_generation

        index = self._index()
        return f"{index.count()}:{collection_generation(store, index.collection)}"

    def recall(
        self, store: sqlite_utils.Database, question: str, vector: np.ndarray, state: str
    ) -> Recollection | None:
        opts = self.settings.memory
        if not opts.recall:
            return None
        from sleuth.memory.recall import recall

        index = self._index()
        fingerprint = settings_hash(self.settings)
        memory = recall(
            store, question, vector, collection=index.collection, state=state, settings=opts, fingerprint=fingerprint
        )
        if memory.pinned:  # passages since removed from the collection are not offered
            present = index.existing([h.chunk_id for h in memory.pinned])
            memory.pinned = [h for h in memory.pinned if h.chunk_id in present]
        return memory

    def passages(self, store: sqlite_utils.Database, query: str) -> list[Hit]:
        """The memory tool: passages cited by past runs on questions like `query`, still in the collection."""
        from sleuth.memory.recall import cited_passages

        index = self._index()
        hits = cited_passages(store, query, self._embedder().embed_query(query), index.collection)
        present = index.existing([h.chunk_id for h in hits])
        return [h for h in hits if h.chunk_id in present]

    def remember(self, store: sqlite_utils.Database, answer: Answer, vector: np.ndarray, state: str) -> None:
        from sleuth.memory.record import log_run

        try:
            log_run(
                store,
                answer,
                vector=vector,
                collection=self._index().collection,
                collection_state=state,
                settings_hash=settings_hash(self.settings),
            )
        except SleuthError as exc:
            answer.error = "; ".join(filter(None, [answer.error, f"not stored in memory: {exc}"]))

    def changed(self, collection: str) -> None:
        """Record that a collection's content changed, so no answer from before is reused."""
        store = self.open()
        if store is not None:
            from sleuth.memory.store import bump_collection

            bump_collection(store, collection)

    # -- the history a person reads --------------------------------------------------------------------------

    def runs(self, limit: int = 20, search: str = "") -> list[dict[str, Any]]:
        """Past runs, newest first; with `search`, those whose question or answer has one of its words, best first."""
        from sleuth.memory.store import list_runs, search_runs

        store = self.required()
        return search_runs(store, search, limit) if search.strip() else list_runs(store, limit)

    def run(self, run_id: str) -> dict[str, Any]:
        """One run as stored (`run_id`: an id, a unique prefix, or `last`): its record, feedback, evidence, lessons."""
        from sleuth.memory.store import get_run

        return get_run(self.required(), run_id)

    def answer(self, run_id: str) -> Answer:
        """The Answer a past run gave."""
        return Answer.model_validate(self.run(run_id)["record"])

    def feedback(self, run_id: str, rating: int, comment: str = "", citation: int | None = None) -> str:
        """Rate a run (+1 or -1), or only its source [citation]; returns the run's full id."""
        from sleuth.memory.store import add_feedback

        return add_feedback(self.required(), run_id, rating, comment, citation)

    def forget(self, run_id: str) -> str:
        """Delete a run and everything stored with it; returns its full id."""
        from sleuth.memory.store import forget_run

        return forget_run(self.required(), run_id)

    def export(self) -> list[dict[str, Any]]:
        """Every run, with its citations and feedback."""
        from sleuth.memory.store import export_runs

        return export_runs(self.required())

    def stats(self) -> dict[str, Any]:
        """Counts: runs, LM calls, tokens, citations, feedback."""
        from sleuth.memory.store import stats

        return stats(self.required())


def settings_hash(settings: Settings) -> str:
    """A short hash of the settings that shape an answer (secrets and paths left out)."""
    import hashlib
    import json

    data = settings.masked()
    data.pop("home", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
