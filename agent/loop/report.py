"""A report for a broad question ("What are the main approaches to X?"): an overview, then a section per aspect of
what the question retrieves, each 2-4 cited sentences drafted from its own passages and verified like an answer.

    retrieve (one passage per document, the best 16) -> aspects (clusters of those passages, agent/loop/aspects.py)
    -> overview (1 LM call over each aspect's best passage) -> a section per aspect (1 LM call each: a title and
    its sentences) -> citations numbered over the whole report, in the order first cited

Each part streams as it is written and is emitted, numbered as the report will be, as a `section` step when it is
checked. Sections after the first are optional: when the question's time runs short the report ends with the
sections it has. With no LM answer at all, the overview is the evidence's key sentences, each cited.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import dspy

from sleuth.agent.checks.attribution import spans_of
from sleuth.agent.checks.citations import resolve_citations
from sleuth.agent.loop.aspects import aspects
from sleuth.agent.loop.draft import Draft, Drafter
from sleuth.agent.loop.research import diverse
from sleuth.agent.loop.retrieve import Retrieve
from sleuth.agent.loop.trace import Trace, unique_docs
from sleuth.agent.loop.verify import Verified, Verify, extractive_answer
from sleuth.prompts.signatures import CitedSentence, WriteOverview, WriteSection, render_sentences
from sleuth.schema import Citation, Hit, Section
from sleuth.settings import AgentSettings
from sleuth.tools.passages import PassageSource

REPORT_PASSAGES = 16  # documents a report reads (its best passage each)
MOST_SECTIONS = 4


@dataclass
class Written:
    """A report as checked: its overview and sections (markers numbered over `citations`), what it read."""

    overview: str = ""
    sections: list[Section] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    pool: list[Hit] = field(default_factory=list)
    read: list[Hit] = field(default_factory=list)


class Reporter(dspy.Module):
    def __init__(self, settings: AgentSettings, retriever: Retrieve, drafter: Drafter, verifier: Verify) -> None:
        super().__init__()
        self.settings = settings
        self.retriever = retriever
        self.drafter = drafter
        self.verifier = verifier
        self.write_overview = dspy.Predict(WriteOverview)
        self.write_section = dspy.Predict(WriteSection)

    def forward(self, trace: Trace, source: PassageSource, question: str) -> Written:
        pool = self.retriever(trace, source, question).hits
        embedder = source.searcher.embedder
        with trace.stage("aspects") as stage:
            groups = aspects(embedder, diverse(pool, REPORT_PASSAGES, per_doc=1), most=MOST_SECTIONS)
            stage.note(aspects=[unique_docs(group) for group in groups])
        written = Written(pool=pool, read=[h for group in groups for h in group])
        numbered = _Numbering()
        overview = self._part(trace, source, question, [g[0] for g in groups], self.write_overview, optional=False)
        if overview is not None:
            written.overview = numbered.text(overview.cited, [g[0] for g in groups])
            trace.record("section", time.perf_counter(), title="", text=written.overview)
        for number, group in enumerate(groups):
            section = self._part(trace, source, question, group, self.write_section, optional=number > 0)
            if section is None or not section.cited:
                continue
            title = section.title or _title_of(group)
            written.sections.append(Section(title=title, text=numbered.text(section.cited, group)))
            trace.record("section", time.perf_counter(), title=title, text=written.sections[-1].text)
        if not written.overview and not written.sections and written.read:
            why = trace.errors[-1] if trace.errors else "the LM wrote no report"
            fallback, used = extractive_answer(trace, embedder, question, written.read, why)
            written.overview = numbered.text(fallback.cited, used)
        written.citations = numbered.citations(written)
        return written

    def _part(
        self,
        trace: Trace,
        source: PassageSource,
        question: str,
        evidence: list[Hit],
        predictor: dspy.Predict,
        optional: bool,
    ) -> _Part | None:
        embedder = source.searcher.embedder
        draft = self.drafter.write(trace, embedder, question, evidence, predictor, _read, optional=optional)
        if draft is None:
            return None
        verified = self.verifier(trace, embedder, question, draft, evidence)
        return _Part(verified, draft.title)


@dataclass
class _Part:
    verified: Verified
    title: str

    @property
    def cited(self) -> list[CitedSentence]:
        return self.verified.cited


class _Numbering:
    """Citation numbers over the whole report, given in the order passages are first cited: a part's markers are
    final as soon as it is written, so it can be shown while the next is drafted."""

    def __init__(self) -> None:
        self.evidence: list[Hit] = []
        self.said: list[CitedSentence] = []

    def text(self, sentences: list[CitedSentence], evidence: list[Hit]) -> str:
        ids = [h.chunk_id for h in self.evidence]
        renumbered = []
        for sentence in sentences:
            sources = []
            for n in sentence.sources:
                hit = evidence[n - 1]
                if hit.chunk_id not in ids:
                    self.evidence.append(hit)
                    ids.append(hit.chunk_id)
                sources.append(ids.index(hit.chunk_id) + 1)
            renumbered.append(CitedSentence(text=sentence.text, sources=sources))
        self.said += renumbered
        return render_sentences(renumbered)

    def citations(self, written: Written) -> list[Citation]:
        whole = "\n\n".join([written.overview, *(s.text for s in written.sections)])
        _, citations, _ = resolve_citations(whole, self.evidence, spans_of(self.said, self.evidence))
        return citations


def _read(prediction: dspy.Prediction) -> Draft:
    """An overview's or a section's reply as a Draft (a section's title kept)."""
    body = getattr(prediction, "section", None) or getattr(prediction, "answer", None)
    title = " ".join(str(getattr(prediction, "title", "") or "").split()).strip(" .:#*\"'")
    return Draft(sentences=list(getattr(body, "sentences", None) or []), title=title)


def _title_of(group: list[Hit]) -> str:
    """A section title when the LM gave none: its best passage's paper title, up to its colon."""
    title = group[0].chunk.title or "Further work"
    return title.split(":")[0].strip()[:60]


__all__ = ["Reporter", "Written"]
