"""The typed values that flow through sleuth, each defined once.

documents -> Document -> Chunk -> Hit -> (Evidence) -> Citation -> Answer; Step records what the agent did.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, NamedTuple

from pydantic import BaseModel, Field


def content_id(*parts: str) -> str:
    """A stable id from content: the same inputs give the same id in every run."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return str(uuid.UUID(digest[:32]))


class Document(BaseModel):
    """One source document as read from disk or a JSONL line."""

    doc_id: str
    title: str = ""
    text: str
    source: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)


class Chunk(BaseModel):
    """A passage of a document: the unit that is embedded, retrieved and cited."""

    chunk_id: str
    doc_id: str
    title: str = ""
    text: str
    source: str = ""
    position: int = 0
    start: int = 0
    end: int = 0
    metadata: dict[str, Any] = Field(default_factory=dict)


class Hit(BaseModel):
    """A chunk returned by a search, with the score of the stage that produced it."""

    chunk: Chunk
    score: float

    @property
    def chunk_id(self) -> str:
        return self.chunk.chunk_id

    @property
    def doc_id(self) -> str:
        return self.chunk.doc_id


class Citation(BaseModel):
    """A numbered source of an answer: `[n]` in the text resolves to exactly one of these. `spans` are the
    character offsets in `text` of the sentences that support the answer's sentences citing it; `page` is the
    passage's first page in a PDF; `authors`, `year`, `key`, `doi`, `url`, `venue` and `kind` come from the
    document's metadata when it has them (a .bib entry or a Zotero item has them all)."""

    n: int
    doc_id: str
    chunk_id: str
    title: str
    text: str
    score: float
    spans: list[tuple[int, int]] = Field(default_factory=list)
    page: int | None = None
    source: str = ""
    authors: str = ""
    year: str = ""
    key: str = Field("", description="The work's key in the library it came from: a BibTeX key or a Zotero item key.")
    doi: str = ""
    url: str = ""
    venue: str = ""
    kind: str = Field("", description="The BibTeX entry type of the work (article, inproceedings), when known.")

    @property
    def quotes(self) -> list[str]:
        return [self.text[start:end] for start, end in self.spans]


STEP_WORDS = {
    "route": "chose the research path",
    "recall": "recalled past research",
    "plan": "planned",
    "rewrite": "wrote queries",
    "search": "searched",
    "chain": "kept the question's chain",
    "parts": "took the question apart",
    "steps": "split the question into steps",
    "filter": "judged the evidence",
    "react": "researched with tools",
    "draft": "drafted the answer",
    "tool": "read more",
    "verify": "checked the citations",
    "answers": "added the evidence's sentence that answers",
    "short": "named the short answer",
    "aspects": "found the aspects of the evidence",
    "section": "wrote a section",
}  # what a step did, for progress lines


class CollectionInfo(NamedTuple):
    """A collection of the configured backend and how much it holds."""

    name: str
    documents: int
    chunks: int


class Step(BaseModel):
    """One thing the agent did, with what it cost."""

    kind: str
    detail: dict[str, Any] = Field(default_factory=dict)
    seconds: float = 0.0
    llm_calls: int = 0


class Usage(BaseModel):
    """What a run spent on the language model. `cached_tokens` of the `input_tokens` were not evaluated again: the
    engine reused them from an earlier prompt with the same prefix."""

    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0

    def add(self, other: Usage) -> None:
        self.llm_calls += other.llm_calls
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cached_tokens += other.cached_tokens

    @property
    def evaluated_tokens(self) -> int:
        """Prompt tokens the LM actually evaluated."""
        return max(0, self.input_tokens - self.cached_tokens)


class Seen(BaseModel):
    """A candidate passage of one run: where it ranked in the pool, and whether it became evidence and was cited."""

    chunk_id: str
    doc_id: str
    title: str = ""
    rank: int
    score: float = 0.0
    kept: bool = False
    cited: bool = False


class Search(BaseModel):
    """One search a run made, and the documents it found, best first."""

    query: str
    source: str = "question"  # question, sub_question, rewrite, hop, memory, gap, tool, part, step
    docs: list[str] = Field(default_factory=list)


class AnswerToken(BaseModel):
    """Text of the answer as the LM writes it (streamed); `draft` counts the drafts of one run from 1."""

    text: str
    draft: int = 1


class MemoryUse(BaseModel):
    """How past runs shaped this one: an answer reused outright, or the evidence and plans they lent."""

    used: bool = False
    reused_run: str | None = None
    similar_runs: list[dict[str, Any]] = Field(default_factory=list)
    plan_from: str | None = None
    queries: list[str] = Field(default_factory=list)
    pinned: list[str] = Field(default_factory=list)
    avoided: list[str] = Field(default_factory=list)

    def describe(self) -> str:
        """One line on how memory shaped the answer."""
        if self.reused_run:
            return f"Answered from memory: run {self.reused_run[:12]} asked this before; the collection is unchanged."
        parts = []
        if self.plan_from:
            parts.append(f"the plan of run {self.plan_from[:12]}")
        if self.queries:
            parts.append(f"{len(self.queries)} remembered queries")
        if self.pinned:
            parts.append(f"{len(self.pinned)} passages cited before")
        if self.avoided:
            parts.append(f"{len(self.avoided)} sources rated down left out")
        return "Memory used: " + (", ".join(parts) or "nothing") + "."


class Section(BaseModel):
    """A report's section: its title and its cited sentences (markers numbered over the report's citations)."""

    title: str
    text: str


class Answer(BaseModel):
    """What a question gets back: the cited answer and the trace of how it was made."""

    id: str = ""
    run_id: str = ""
    question: str
    answer: str = ""
    short_answer: str = Field("", description="The answer in a few words (a name, date, number, yes/no), or unknown.")
    citations: list[Citation] = Field(default_factory=list)
    retrieved: list[str] = Field(default_factory=list)
    sub_questions: list[str] = Field(default_factory=list)
    queries: list[str] = Field(default_factory=list, description="Search queries the LM wrote (the plan's rewrites).")
    searches: list[Search] = Field(default_factory=list)
    evidence: list[Seen] = Field(default_factory=list)
    path: str = Field(
        "",
        description="Which research path ran: fast, deep, parts, full, react, single-shot, memory or evidence-only.",
    )
    standalone: str = Field("", description="The follow-up question as it was researched, when it was rewritten.")
    steps: list[Step] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    seconds: float = 0.0
    model: str = ""
    error: str | None = None
    memory: MemoryUse | None = None

    def record(self) -> dict[str, Any]:
        """The batch-line form of docs/DESIGN.md: `steps` is a count, everything else as is."""
        return {
            "id": self.id,
            "question": self.question,
            "answer": self.answer,
            "short_answer": self.short_answer,
            "citations": [c.model_dump() for c in self.citations],
            "retrieved": self.retrieved,
            "sub_questions": self.sub_questions,
            "steps": len(self.steps),
            "path": self.path,
            "usage": self.usage.model_dump(),
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "run_id": self.run_id,
            "model": self.model,
        }


class Report(Answer):
    """A report on a broad question: an overview, then a section per aspect found in the evidence, each citing its
    own passages; `answer` holds the whole text (the overview, then each section under a `## title` line) and
    `citations` are numbered over all of it. A report is an Answer, so batches, memory and rendering take it as is."""

    overview: str = ""
    sections: list[Section] = Field(default_factory=list)

    def record(self) -> dict[str, Any]:
        """The batch-line form: an answer's, with the overview and the sections."""
        return {
            **super().record(),
            "overview": self.overview,
            "sections": [s.model_dump() for s in self.sections],
        }

    def papers(self) -> list[str]:
        """The distinct documents the report cites, in the order first cited."""
        return list(dict.fromkeys(c.doc_id for c in self.citations))
