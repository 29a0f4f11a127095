"""The public API: `ResearchAgent(settings).ask(question) -> Answer`; the CLI, TUI and batch are shells over it."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sleuth.agent.experience import Around, Experience
from sleuth.agent.library import Library
from sleuth.agent.models import Models
from sleuth.agent.questions import check_question
from sleuth.errors import InputError, ModelUnavailableError, NoCollectionError
from sleuth.schema import Answer, AnswerToken, CollectionInfo, Hit, Report, Search, Step
from sleuth.settings import Settings, load_settings
from sleuth.tools.passages import DOCUMENT_CHUNKS

if TYPE_CHECKING:
    import dspy

    from sleuth.agent.loop.trace import StepSink, TokenSink
    from sleuth.tools.embedder import Embedder
    from sleuth.tools.index.base import VectorIndex
    from sleuth.tools.ingest import IngestReport, Progress


class ResearchAgent(Models):
    """Ask questions of a collection. Models, index and memory open lazily, on first use (agent/models.py)."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        lm: dspy.LM | None = None,
        index: VectorIndex | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        super().__init__(settings or load_settings(), lm, index, embedder)
        self.memory = Experience(self.settings, lambda: self.index, lambda: self.embedder)
        self.library = Library(
            self.settings, lambda: self.index, lambda: self.embedder, self.memory, lambda: self._index
        )

    def collections(self) -> list[CollectionInfo]:
        """Every collection of the configured backend with its document and chunk counts."""
        return self.library.collections()

    def document(self, doc_id: str, query: str = "") -> list[Hit]:
        """The chunks of one document in reading order (at most 64: those closest to `query` if it is longer)."""
        self._require_collection()
        hits = self.searcher.search(query or doc_id, k=DOCUMENT_CHUNKS, filters={"doc_id": doc_id})
        return sorted({h.chunk_id: h for h in hits}.values(), key=lambda h: h.chunk.position)

    @property
    def loop(self) -> str:
        """The research loop the settings name: adaptive (auto), full (guided) or react."""
        return {"auto": "adaptive", "guided": "full"}.get(self.settings.agent.loop, self.settings.agent.loop)

    def ingest(
        self,
        paths: Iterable[Path],
        on_progress: Progress | None = None,
        *,
        prune: bool = False,
        ray: str | None = None,
        workers: int = 2,
    ) -> IngestReport:
        """Add new and changed documents; with `prune`, drop those whose files under `paths` are gone; with `ray`,
        fan chunking and embedding out over Ray actors (agent/library.py)."""
        return self.library.ingest(paths, on_progress, prune=prune, ray=ray, workers=workers)

    def ingest_zotero(
        self, data_dir: Path | None = None, on_progress: Progress | None = None, *, collection: str = "", tag: str = ""
    ) -> IngestReport:
        """A Zotero library (default ~/Zotero), read-only: each item's PDFs, else its abstract, and its notes, with
        the item's metadata; a re-run reads only what changed and drops deleted and trashed items."""
        return self.library.ingest_zotero(data_dir, on_progress, collection=collection, tag=tag)

    def remove(self, targets: list[str]) -> tuple[list[str], int]:
        """Drop documents by id or by source file/folder; returns the document ids and the chunk count removed."""
        self._require_collection()
        return self.library.remove(targets)

    def search(self, query: str, k: int = 10, filters: dict[str, Any] | None = None) -> list[Hit]:
        self._require_collection()
        return self.searcher.search(query, k=k, filters=filters, rerank=True)

    def ask(
        self,
        question: str,
        *,
        id: str = "",
        on_step: StepSink | None = None,
        on_token: TokenSink | None = None,
        cancel: threading.Event | None = None,
        previous: tuple[str, str] | None = None,
    ) -> Answer:
        """Answer one question with cited evidence; failures of the LM come back in `Answer.error`. Setting `cancel`
        stops the run at its next step (or token) with `Cancelled`; nothing of it is stored."""
        import dspy

        from sleuth.agent.llm.adapters import adapter_for

        question = check_question(question)
        self._require_collection()
        started = time.perf_counter()
        try:
            lm = self.lm
        except ModelUnavailableError as exc:  # no LM here: the LLM-free multi-hop search still finds the evidence
            answer = self.retrieve_only(question, id=id)
            answer.error = f"no LM available, evidence only: {exc}"
            return answer
        self.warm_up()
        around = self.memory.around(question)
        program = self.program
        trace = program.trace(emit=on_step, on_token=on_token, cancel=cancel)
        with dspy.context(lm=lm, adapter=adapter_for(lm)):
            answer = program(question, trace, around.recollection, self.memory.lookup(around), self.loop, previous)
        return self._finished(answer, id, started, around, trace.lm_failed)

    def report(
        self,
        question: str,
        *,
        id: str = "",
        on_step: StepSink | None = None,
        on_token: TokenSink | None = None,
        cancel: threading.Event | None = None,
    ) -> Report:
        """A report on a broad question: an overview, then a section per aspect found in the evidence, each citing
        its own passages (agent/loop/report.py). Sections arrive as `section` steps while it is written."""
        import dspy

        from sleuth.agent.llm.adapters import adapter_for

        question = check_question(question)
        self._require_collection()
        if (documents := self.index.document_count()) < 2:
            raise InputError(
                f"A report draws on several documents; the collection '{self.index.collection}' holds {documents}.",
                "Ask the question without --report, or ingest more documents first.",
            )
        started = time.perf_counter()
        lm = self.lm
        self.warm_up()
        around = self.memory.around(question, recall=False)
        trace = self.program.trace(emit=on_step, on_token=on_token, cancel=cancel)
        with dspy.context(lm=lm, adapter=adapter_for(lm)):
            report = self.program.report(question, trace)
        self._finished(report, id, started, around, trace.lm_failed)
        return report

    def _finished(self, answer: Answer, id: str, started: float, around: Around, lm_failed: bool) -> Answer:
        """The answer of a run, named, timed and signed by its model, then kept in memory."""
        answer.id, answer.run_id = id, uuid.uuid4().hex
        answer.seconds = time.perf_counter() - started
        answer.model = answer.model if answer.path == "memory" else str(getattr(self.lm, "model", ""))
        self.memory.keep(around, answer, lm_failed)
        return answer

    def retrieve_only(self, question: str, *, id: str = "") -> Answer:
        """Evidence search with no LM: LLM-free multi-hop retrieval; `retrieved` is the result."""
        from sleuth.tools.multihop import multi_hop_search

        question = check_question(question)
        self._require_collection()
        started = time.perf_counter()
        hits, queries = multi_hop_search(self.searcher, question, k=self.settings.agent.candidates)
        elapsed = time.perf_counter() - started
        step = Step(kind="search", detail={"queries": queries, "candidates": len(hits)}, seconds=elapsed)
        return Answer(
            id=id,
            run_id=uuid.uuid4().hex,
            question=question,
            retrieved=list(dict.fromkeys(h.doc_id for h in hits)),
            sub_questions=[question],
            searches=[Search(query=q, source="question" if i == 0 else "hop") for i, q in enumerate(queries)],
            path="evidence-only",
            steps=[step],
            seconds=elapsed,
        )

    async def aask(self, question: str, *, id: str = "") -> Answer:
        return await asyncio.to_thread(self.ask, question, id=id)

    async def stream(self, question: str) -> AsyncIterator[Step | AnswerToken | Answer]:
        """Each Step as it happens, the answer's text as the LM writes it (AnswerToken), then the Answer.

        The tokens are the draft as written; the Answer is what verification kept of it (the text may lose a
        sentence or have its markers renumbered), so a display shows the tokens live and then the Answer."""
        from sleuth.agent.streaming import streamed

        async for item in streamed(self.ask, question):
            yield item

    def feedback(self, run_id: str, rating: int | str, comment: str = "", citation: int | None = None) -> str:
        """Rate a past answer (`rating`: up/down or +1/-1), or only its source [citation]; returns the run's id.
        An answer rated down is never reused; a source rated down is left out of later evidence."""
        score = {"up": 1, "down": -1}.get(str(rating), rating)
        if score not in (1, -1):
            raise InputError(f"Rating '{rating}' is neither up nor down.", "Rate with up or down (or +1 / -1).")
        return self.memory.feedback(run_id, int(score), comment, citation)

    def history(self, limit: int = 20, search: str = "") -> list[dict[str, Any]]:
        """Past runs, newest first, or those matching `search`; `agent.memory` reads, exports and forgets them."""
        return self.memory.runs(limit, search)

    def close(self) -> None:
        if self._index is not None:
            self._index.close()

    def __enter__(self) -> ResearchAgent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _require_collection(self) -> None:
        name = self.index.collection
        if not self.index.exists():
            from sleuth.tools.index import collection_names

            others = [n for n in collection_names(self.settings) if n != name]
            raise NoCollectionError(
                f"There is no collection '{name}'"
                + (f"; this SLEUTH_HOME has {', '.join(others)}." if others else "."),
                (f"Pick one with -c {others[0]}, or make '{name}': " if others else "Make one: ")
                + f"sleuth ingest PATH -c {name} (or sleuth ingest --demo for the bundled papers).",
            )
        if self.index.count() == 0:
            raise NoCollectionError(
                f"The collection '{name}' is empty: there is nothing to search yet.",
                "Ingest documents first: sleuth ingest PATH (or sleuth ingest --demo for the bundled papers).",
            )
