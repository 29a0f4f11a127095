"""Verify: the LLM-free attribution (agent/checks/attribution.py), the LM check where that cannot settle it, and the
checked answer with its citations, spans and short answer."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import dspy

from sleuth.agent.checks.attribution import CitationVerifier, distinct, restates, spans_of
from sleuth.agent.checks.citations import resolve_citations
from sleuth.agent.checks.short import tidy_short_answer
from sleuth.agent.loop.run import Draft, Run, call_lm
from sleuth.prompts.signatures import CheckSupport, CitedSentence, render_sentences, split_markers
from sleuth.schema import Citation, Hit
from sleuth.settings import AgentSettings
from sleuth.tools.text import as_data, reads_as_instruction, split_sentences

NOT_FOUND = "Not found in the collection: none of the passages retrieved for this question supports an answer to it."
MIN_WORDS = 3  # a "sentence" shorter than this ("Arthur!") states nothing a citation could support
EXTRACTED = 3  # sentences in an extractive answer


class Verify(dspy.Module):
    """Checks a draft's citations and resolves them into the answer text and its Citations."""

    def __init__(self, settings: AgentSettings) -> None:
        super().__init__()
        self.settings = settings
        self.check = dspy.Predict(CheckSupport)

    def forward(self, run: Run, draft: Draft, with_lm: bool = False) -> Verified:
        started = time.perf_counter()
        verifier = CitationVerifier(run.tools.searcher.embedder)
        sentences, narrowed, repointed = verifier.verify(draft.sentences, run.evidence)
        sentences = distinct([s for s in sentences if states_something(s)])
        stated = [s for s in sentences if not reads_as_instruction(split_markers(s)[0])]  # not copied orders
        orders, sentences = len(sentences) - len(stated), stated
        cited = [s for s in sentences if s.sources]
        lost = len(sentences) - len(cited)
        unsupported: list[str] | None = None
        if with_lm and self.settings.verify_with_lm:
            cited, unsupported = self._check(run, cited)
        cited = [third_person(s, run.evidence) for s in cited]
        text, citations, dangling = resolve_citations(
            render_sentences(cited), run.evidence, spans_of(cited, run.evidence)
        )
        run.record(
            "verify",
            started,
            llm_calls=int(unsupported is not None),
            cited=[c.chunk_id for c in citations],
            dangling_removed=dangling,
            citations_narrowed=narrowed,
            citations_repointed=repointed,
            unsupported_removed=unsupported or [],
            uncited_sentences_removed=lost,
            instructions_removed=orders,
        )
        said = [split_markers(s)[0] for s in cited]
        given = "" if reads_as_instruction(draft.short_answer) else draft.short_answer
        verified = Verified(text, citations, "", lost + len(unsupported or []), len(cited), said, given, draft.exchange)
        verified.short = tidy_short_answer(given, run.question, said, verified.support)
        return verified

    def _check(self, run: Run, sentences: list[CitedSentence]) -> tuple[list[CitedSentence], list[str] | None]:
        """The LM's entailment check of the cited sentences that do not restate their passages; unsupported ones go.
        Returns the sentences kept and the texts removed (None when the check did not run)."""
        doubtful = [s for s in sentences if not restates(s, run.evidence)]
        if not doubtful:
            return sentences, None
        blocks = []
        for i, sentence in enumerate(doubtful, 1):
            body, sources = split_markers(sentence)
            quoted = "\n".join(
                f"   passage [{n}]: {' '.join(run.evidence[n - 1].chunk.text.split())[:400]}" for n in sources
            )
            blocks.append(f"{i}. {body}\n{quoted}")
        claims = "\n\n".join(blocks)
        if not run.budget.allows_llm_call(prompt_chars=len(claims), optional=True):
            return sentences, None
        try:
            prediction, _ = call_lm(self.check, run, claims=claims)
        except Exception as exc:  # unchecked is reported, not fatal: the embedding check already ran
            run.fail("checking citations", exc)
            return sentences, None
        verdicts = list(prediction.supported or [])
        rejected = [s for i, s in enumerate(doubtful) if i < len(verdicts) and verdicts[i] is False]
        return [s for s in sentences if s not in rejected], [split_markers(s)[0] for s in rejected]


@dataclass
class Verified:
    """A checked answer: its text with resolved markers, its citations, and how many sentences verification lost."""

    text: str
    citations: list[Citation]
    short: str = ""
    lost: int = 0
    sentences: int = 0
    said: list[str] = field(default_factory=list)  # the cited sentences, markers removed
    drafted: str = ""  # the short answer as the draft wrote it
    exchange: list[dict[str, str]] = field(default_factory=list)  # the draft call's messages and reply

    @property
    def support(self) -> str:
        """The cited passages' text: what a short answer must be borne out by."""
        return " ".join(c.text for c in self.citations)

    @property
    def knows_answer(self) -> bool:
        return self.short.strip().lower() not in ("", "unknown")

    @property
    def score(self) -> tuple[int, int]:
        """Which of two answers to keep: one that knows its short answer, then the one with more cited sentences."""
        return int(self.knows_answer), self.sentences


def extractive_answer(run: Run, why: str) -> Verified:
    """When the LM cannot answer: the evidence's sentences closest to the question, each cited to its passage."""
    from sleuth.tools.passages import key_sentences

    started = time.perf_counter()
    top = run.evidence[:EXTRACTED] or run.pool[:EXTRACTED]
    texts = key_sentences(run.tools.searcher.embedder, run.question, top, 160)
    sentences = []
    for n, text in enumerate(texts, 1):
        first = split_sentences(as_data(text))[:1]
        if first and len(first[0].split()) >= MIN_WORDS:
            sentences.append(CitedSentence(text=first[0][:500], sources=[n]))
    run.evidence = top
    text, citations, _ = resolve_citations(render_sentences(sentences), top, spans_of(sentences, top))
    run.errors.append(f"{why}; the answer is the evidence's key sentences, each cited")
    run.record("verify", started, extractive=True, cited=[c.chunk_id for c in citations])
    return Verified(text, citations, "", 0, len(sentences))


def states_something(sentence: CitedSentence) -> bool:
    """False for a "sentence" too short to state anything a citation could support ("Arthur!") and for one that
    asks: the LM restating the question ("The Heinkel HD 23 was held on the craft that were first developed when
    [1][2]?") with the markers of the passages it was shown."""
    body = split_markers(sentence)[0].strip()
    return len(body.split()) >= MIN_WORDS and not body.endswith("?")


_FIRST_PERSON = re.compile(r"^(We|Our)\b")
_INNER_FIRST_PERSON = {"we": "they", "our": "their", "us": "them", "ourselves": "themselves"}


def third_person(sentence: CitedSentence, evidence: list[Hit]) -> CitedSentence:
    """A sentence copied from a paper's own voice ("We propose a RAG pipeline ...") names the work instead: "The
    authors of FIRST propose ..." (the cited passage's method name, or its title)."""
    body, sources = split_markers(sentence)
    if not sources or not re.search(r"\b(?:[Ww]e|[Oo]ur|us|ourselves)\b", body):
        return sentence
    title = (evidence[sources[0] - 1].chunk.title or "").strip()
    method = title.split(":")[0].strip()
    name = method if ":" in title and len(method) <= 40 else (f"“{title}”" if title else "the cited work")
    body = _FIRST_PERSON.sub(lambda m: f"The authors of {name}" if m.group(1) == "We" else f"{name}’s", body)
    body = re.sub(r"\b(we|our|us|ourselves)\b", lambda m: _INNER_FIRST_PERSON[m.group(1)], body)
    return CitedSentence(text=body, sources=sources)


__all__ = ["NOT_FOUND", "Verified", "Verify", "extractive_answer"]
