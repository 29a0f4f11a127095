"""Verify: the LLM-free attribution (agent/checks/attribution.py), the LM check where that cannot settle it, and the
checked answer with its citations, spans and short answer."""

from __future__ import annotations

from dataclasses import dataclass, field

import dspy

from sleuth.agent.checks.attribution import CitationVerifier, distinct, restates, spans_of
from sleuth.agent.checks.citations import resolve_citations
from sleuth.agent.checks.sentences import MIN_WORDS, adds_nothing, states_something, third_person
from sleuth.agent.checks.short import tidy_short_answer
from sleuth.agent.loop.draft import Draft
from sleuth.agent.loop.policy import Stage
from sleuth.agent.loop.trace import Trace
from sleuth.lexicon import YES_NO_QUESTION, split_sentences
from sleuth.prompts.signatures import CheckSupport, CitedSentence, render_sentences, split_markers
from sleuth.schema import Citation, Hit
from sleuth.settings import AgentSettings
from sleuth.tools.embedder import Embedder
from sleuth.tools.text import as_data, reads_as_instruction

NOT_FOUND = "Not found in the collection: none of the passages retrieved for this question supports an answer to it."
EXTRACTED = 3  # sentences in an extractive answer


class Verify(dspy.Module):
    """Checks a draft's citations and resolves them into the answer text and its Citations."""

    def __init__(self, settings: AgentSettings) -> None:
        super().__init__()
        self.settings = settings
        self.check = dspy.Predict(CheckSupport)

    def forward(
        self, trace: Trace, embedder: Embedder, question: str, draft: Draft, evidence: list[Hit], with_lm: bool = False
    ) -> Verified:
        with trace.stage("verify", failing="checking citations") as stage:
            sentences, narrowed, repointed = CitationVerifier(embedder).verify(draft.sentences, evidence)
            sentences = distinct([s for s in sentences if states_something(s)])
            if not YES_NO_QUESTION.match(question.strip()):  # there, restating the question is saying yes
                informative = [s for s in sentences if not adds_nothing(s, question)]
                stage.note(restating_removed=len(sentences) - len(informative))
                sentences = informative
            stated = [s for s in sentences if not reads_as_instruction(split_markers(s)[0])]  # not copied orders
            orders, sentences = len(sentences) - len(stated), stated
            cited = [s for s in sentences if s.sources]
            lost = len(sentences) - len(cited)
            unsupported: list[str] = []
            if with_lm and self.settings.verify_with_lm:
                cited, unsupported = self._check(stage, cited, evidence)
            cited = [third_person(s, evidence) for s in cited]
            text, citations, dangling = resolve_citations(render_sentences(cited), evidence, spans_of(cited, evidence))
            stage.note(
                cited=[c.chunk_id for c in citations],
                dangling_removed=dangling,
                citations_narrowed=narrowed,
                citations_repointed=repointed,
                unsupported_removed=unsupported,
                uncited_sentences_removed=lost,
                instructions_removed=orders,
            )
        said = [split_markers(s)[0] for s in cited]
        given = "" if reads_as_instruction(draft.short_answer) else draft.short_answer
        kept = lost + len(unsupported)
        verified = Verified(text, citations, "", kept, len(cited), said, given, draft.exchange, cited)
        verified.short = tidy_short_answer(given, question, said, verified.support)
        return verified

    def _check(
        self, stage: Stage, sentences: list[CitedSentence], evidence: list[Hit]
    ) -> tuple[list[CitedSentence], list[str]]:
        """The LM's entailment check of the cited sentences that do not restate their passages; unsupported ones go.
        Returns the sentences kept and the texts removed. Unchecked (no budget, a failed call) is reported, not
        fatal: the embedding check already ran."""
        doubtful = [s for s in sentences if not restates(s, evidence)]
        if not doubtful:
            return sentences, []
        blocks = []
        for i, sentence in enumerate(doubtful, 1):
            body, sources = split_markers(sentence)
            quoted = "\n".join(
                f"   passage [{n}]: {' '.join(evidence[n - 1].chunk.text.split())[:400]}" for n in sources
            )
            blocks.append(f"{i}. {body}\n{quoted}")
        claims = "\n\n".join(blocks)
        if not stage.affords(prompt_chars=len(claims), optional=True):
            return sentences, []
        prediction = stage.attempt(self.check, claims=claims)
        verdicts = list(prediction.supported or []) if prediction is not None else []
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
    cited: list[CitedSentence] = field(default_factory=list)  # the kept sentences, numbered as the evidence was

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


def extractive_answer(
    trace: Trace, embedder: Embedder, question: str, evidence: list[Hit], why: str
) -> tuple[Verified, list[Hit]]:
    """When the LM cannot answer: the sentences of `evidence` closest to the question, each cited to its passage;
    and the passages cited from."""
    from sleuth.tools.passages import key_sentences

    with trace.stage("verify") as stage:
        top = evidence[:EXTRACTED]
        texts = key_sentences(embedder, question, top, 160)
        sentences = []
        for n, text in enumerate(texts, 1):
            first = split_sentences(as_data(text))[:1]
            if first and len(first[0].split()) >= MIN_WORDS:
                sentences.append(CitedSentence(text=first[0][:500], sources=[n]))
        text, citations, _ = resolve_citations(render_sentences(sentences), top, spans_of(sentences, top))
        trace.errors[:] = [e for e in trace.errors if e != why]  # said once, with what became of the answer
        trace.errors.append(f"{why}; the answer is the evidence's key sentences, each cited")
        stage.note(extractive=True, cited=[c.chunk_id for c in citations])
    return Verified(text, citations, "", 0, len(sentences), cited=sentences), top


__all__ = ["NOT_FOUND", "Verified", "Verify", "extractive_answer"]
