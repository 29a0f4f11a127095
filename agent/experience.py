"""The agent's experience: memory recalled before a question is researched and the run remembered after it.

`ResearchAgent.ask` opens memory.db once per question (`open`), asks it for similar past runs (`recall`: reused
answers, plans, queries, pinned and avoided sources), gives the loop a memory tool (`passages`), and stores the
finished run (`remember`). Index and embedder are the agent's own, reached through it when first needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sleuth.errors import SleuthError
from sleuth.locations import memory_db
from sleuth.schema import Answer, Hit
from sleuth.settings import Settings

if TYPE_CHECKING:
    from sleuth.agent.api import ResearchAgent


class Experience:
    def __init__(self, agent: ResearchAgent) -> None:
        self.agent = agent

    @property
    def settings(self) -> Settings:
        return self.agent.settings

    @property
    def index(self) -> Any:
        return self.agent.index

    @property
    def embedder(self) -> Any:
        return self.agent.embedder

    def open(self) -> Any:
        """The memory database, or None when memory is off."""
        if not self.settings.memory.enabled:
            return None
        from sleuth.memory.store import open_store

        return open_store(memory_db(self.settings))

    def state(self, store: Any) -> str:
        """Changes whenever the collection's content does: its chunk count and its ingest generation."""
        from sleuth.memory.store import collection_generation

        return f"{self.index.count()}:{collection_generation(store, self.index.collection)}"

    def recall(self, store: Any, question: str, vector: Any, state: str) -> Any:
        opts = self.settings.memory
        if not opts.recall:
            return None
        from sleuth.memory.recall import recall

        memory = recall(store, question, vector, collection=self.index.collection, state=state, settings=opts)
        if memory.pinned:  # passages since removed from the collection are not offered
            present = self.index.existing([h.chunk_id for h in memory.pinned])
            memory.pinned = [h for h in memory.pinned if h.chunk_id in present]
        return memory

    def passages(self, store: Any, query: str) -> list[Hit]:
        """The memory tool: passages cited by past runs on questions like `query`, still in the collection."""
        from sleuth.memory.recall import cited_passages

        hits = cited_passages(store, query, self.embedder.embed_query(query), self.index.collection)
        present = self.index.existing([h.chunk_id for h in hits])
        return [h for h in hits if h.chunk_id in present]

    def remember(self, store: Any, answer: Answer, vector: Any, state: str) -> None:
        from sleuth.memory.record import log_run

        try:
            log_run(
                store,
                answer,
                vector=vector,
                collection=self.index.collection,
                collection_state=state,
                settings_hash=settings_hash(self.settings),
            )
        except SleuthError as exc:
            answer.error = "; ".join(filter(None, [answer.error, f"not stored in memory: {exc}"]))


def settings_hash(settings: Settings) -> str:
    """A short hash of the settings that shape an answer (secrets and paths left out)."""
    import hashlib
    import json

    data = settings.masked()
    data.pop("home", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
