"""`sleuth mcp`: the collection as tools another agent calls over the Model Context Protocol (stdio).

    search(query, k, filter)   hybrid search: passages with document, title, source, page and offsets
    ask(question)              a cited answer: text, short answer, citations (document, page, spans, quotes)
    report(question)           the sectioned report of a broad question, its citations numbered over it
    read(doc_id, chunk_id, start, end, context)
                               a passage, or the document's text around a span
    collections()              the collections of this SLEUTH_HOME with their sizes

One server process keeps one ResearchAgent per collection it was asked about, all sharing the embedder and the LM,
so the embedded models load once. A question's budget (agent.max_seconds, max_llm_calls) applies to every call.
A failure is a tool error carrying the message the CLI prints (what was wrong, what to do); the server goes on.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from sleuth.errors import InputError, SleuthError

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from sleuth.agent.api import ResearchAgent
    from sleuth.schema import Answer, Citation, Hit
    from sleuth.settings import Settings

MAX_K = 50
MAX_READ_CHARS = 20_000
Collection = Annotated[str, Field(description="Collection to use; empty: the server's own (sleuth mcp -c NAME).")]


class Agents:
    """One agent per collection, opened on first use; the embedder and the LM the first one opened serve all."""

    def __init__(self, settings: Settings, first: ResearchAgent | None = None) -> None:
        self.settings = settings
        self.default = settings.index.collection
        self._agents: dict[str, ResearchAgent] = {self.default: first} if first else {}
        self._lock = threading.Lock()

    def get(self, collection: str = "") -> ResearchAgent:
        from sleuth.agent.api import ResearchAgent

        name = collection.strip() or self.default
        with self._lock:
            if name not in self._agents:
                settings = self.settings.model_copy(deep=True)
                settings.index.collection = name
                self._agents[name] = ResearchAgent(settings)
            agent = self._agents[name]
            for other in self._agents.values():  # models opened by one agent serve every other
                agent._lm = agent._lm or other._lm
                agent._embedder = agent._embedder or other._embedder
            return agent

    def close(self) -> None:
        for agent in self._agents.values():
            agent.close()


def passage(hit: Hit) -> dict[str, Any]:
    chunk = hit.chunk
    return {
        "doc_id": chunk.doc_id,
        "chunk_id": chunk.chunk_id,
        "title": chunk.title,
        "source": chunk.source,
        "page": chunk.metadata.get("page"),
        "start": chunk.start,
        "end": chunk.end,
        "score": round(hit.score, 4),
        "text": chunk.text,
    }


def citation(c: Citation) -> dict[str, Any]:
    return {
        "n": c.n,
        "doc_id": c.doc_id,
        "chunk_id": c.chunk_id,
        "title": c.title,
        "authors": c.authors,
        "year": c.year,
        "source": c.source,
        "page": c.page,
        "spans": [list(span) for span in c.spans],
        "quotes": c.quotes,
        "text": c.text,
    }


def answered(answer: Answer) -> dict[str, Any]:
    """The answer as the calling agent cites from it: every `[n]` in `answer` is `citations[n-1]`."""
    return {
        "question": answer.question,
        "answer": answer.answer,
        "short_answer": answer.short_answer,
        "citations": [citation(c) for c in answer.citations],
        "path": answer.path,
        "seconds": round(answer.seconds, 3),
        "model": answer.model,
        "run_id": answer.run_id,
        "error": answer.error,
    }


def read_text(
    agent: ResearchAgent, doc_id: str, chunk_id: str, start: int | None, end: int | None, context: int
) -> dict[str, Any]:
    """One passage (by `chunk_id`), or the document's text from `start` to `end` (offsets as citations and search
    results give them) with `context` characters either side; the whole document, up to 20,000 characters, without."""
    hits = agent.document(doc_id)
    if not hits:
        raise InputError(f"There is no document '{doc_id}' in the collection.", "Use a doc_id from search or ask.")
    if chunk_id:
        for hit in hits:
            if hit.chunk_id == chunk_id:
                return passage(hit)
        raise InputError(
            f"The document '{doc_id}' has no passage '{chunk_id}'.", "Use a chunk_id from the same result."
        )
    if start is not None and end is not None and end < start:
        raise InputError(f"The span ends ({end}) before it starts ({start}).", "Give start <= end.")
    first, text = stitched(hits)
    last = first + len(text)
    lo = max(first, (start if start is not None else first) - context)
    hi = min(last, (end if end is not None else last) + context, lo + MAX_READ_CHARS)
    head = hits[0].chunk
    return {
        "doc_id": doc_id,
        "title": head.title,
        "source": head.source,
        "start": lo,
        "end": hi,
        "length": last,
        "text": text[lo - first : hi - first],
    }


def stitched(hits: list[Hit]) -> tuple[int, str]:
    """A document's text from its chunks in reading order, and the offset it starts at: where chunks overlap the
    earlier one's characters are kept, a gap between them is spaces."""
    first = cursor = hits[0].chunk.start
    parts = []
    for hit in hits:
        chunk = hit.chunk
        piece = chunk.text[: max(0, chunk.end - chunk.start)]
        if chunk.start > cursor:
            parts.append(" " * (chunk.start - cursor))
            cursor = chunk.start
        new = piece[cursor - chunk.start :]
        parts.append(new)
        cursor += len(new)
    return first, "".join(parts)


def build_server(agents: Agents) -> MCPServer:
    from anyio import to_thread
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    from sleuth import __version__

    server = MCPServer(
        "sleuth",
        version=__version__,
        instructions="Search and ask a local collection of documents; every answer cites the passages it came "
        "from ([n] in the answer is citations[n-1], with its document, page and the quoted spans).",
    )

    async def call(fn: Any, *args: Any) -> Any:
        """Run `fn` off the event loop; a sleuth error becomes a tool error with the CLI's two lines."""
        try:
            return await to_thread.run_sync(fn, *args)
        except SleuthError as exc:
            raise ToolError(exc.message + (f"\nWhat to do: {exc.hint}" if exc.hint else "")) from None

    @server.tool()
    async def search(
        query: Annotated[str, Field(description="What to look for.", min_length=1)],
        k: Annotated[int, Field(description="How many passages.", ge=1, le=MAX_K)] = 10,
        filter: Annotated[
            dict[str, str] | None, Field(description='Metadata that must match, e.g. {"doc_id": "..."}.')
        ] = None,
        collection: Collection = "",
    ) -> list[dict[str, Any]]:
        """Hybrid (dense + BM25) search of the collection: the best passages, each with its document, title,
        source, page and character offsets."""
        hits = await call(lambda: agents.get(collection).search(query, k=k, filters=filter or None))
        return [passage(h) for h in hits]

    @server.tool()
    async def ask(
        question: Annotated[str, Field(description="A question about the collection.", min_length=1)],
        collection: Collection = "",
    ) -> dict[str, Any]:
        """Answer a question from the collection with cited evidence: `answer` (every claim marked [n]),
        `short_answer`, and `citations` (n, doc_id, title, page, spans and the quoted sentences); `error` says when
        the answer is degraded."""
        return answered(await call(lambda: agents.get(collection).ask(question)))

    @server.tool()
    async def report(
        question: Annotated[str, Field(description="A broad question (what are the approaches to X).", min_length=1)],
        collection: Collection = "",
    ) -> dict[str, Any]:
        """A report on a broad question: an overview, then sections by aspect found in the evidence, each
        sentence cited; citations are numbered over the whole report."""
        made = await call(lambda: agents.get(collection).report(question))
        return {**answered(made), "overview": made.overview, "sections": [s.model_dump() for s in made.sections]}

    @server.tool()
    async def read(
        doc_id: Annotated[str, Field(description="A search result's or citation's doc_id.", min_length=1)],
        chunk_id: Annotated[str, Field(description="One passage of it; empty: the document's text.")] = "",
        start: Annotated[int | None, Field(description="Start offset of a span in the document.", ge=0)] = None,
        end: Annotated[int | None, Field(description="End offset of the span.", ge=0)] = None,
        context: Annotated[int, Field(description="Characters either side of the span.", ge=0, le=5000)] = 500,
        collection: Collection = "",
    ) -> dict[str, Any]:
        """Read a passage (chunk_id), or a document's text around a span (start, end) with `context` characters
        either side, or the document from its start (at most 20,000 characters)."""
        return await call(lambda: read_text(agents.get(collection), doc_id, chunk_id, start, end, context))

    @server.tool()
    async def collections() -> list[dict[str, Any]]:
        """The collections of this sleuth home: name, documents and chunks."""
        rows = await call(lambda: agents.get().collections())
        return [row._asdict() for row in rows]

    return server


def serve(settings: Settings) -> None:
    """Serve over stdio until the client closes the pipe."""
    agents = Agents(settings)
    try:
        build_server(agents).run("stdio")
    finally:
        agents.close()
