"""Verify: an LLM-free citation check, the LM check where that cannot settle it, and the cited answer.

The LLM-free check: a small LM tends to cite every passage it was shown, to cite the wrong one, or to pack several
claims into one "sentence". The verifier splits such text into real sentences and, for each, keeps the cited
passages that support it (close in meaning, or holding at least half of its content words); when another passage
of the evidence holds clearly more of its words, or none of its own supports it, the marker is re-pointed to the
passage that does. A sentence the LM left uncited gets no citation, and one no passage supports loses its
citation, so a reader who follows `[n]` lands on the passage the sentence came from.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import dspy
import numpy as np

from sleuth.agent.citations import resolve_citations
from sleuth.agent.run import Draft, Run, call_lm
from sleuth.agent.short import tidy_short_answer
from sleuth.prompts.signatures import CheckSupport, CitedSentence, render_sentences, split_markers
from sleuth.schema import Citation, Hit
from sleuth.settings import AgentSettings
from sleuth.tools.chunking import passage_text
from sleuth.tools.embedder import Embedder

NOT_FOUND = "Not found in the collection: none of the passages retrieved for this question supports an answer to it."
RESTATED = 1.0  # share of a sentence's content words found in its cited passages that makes it a restatement
MIN_WORDS = 3  # a "sentence" shorter than this ("Arthur!") states nothing a citation could support
EXTRACTED = 3  # sentences in an extractive answer
MIN_COVERAGE = 0.5  # share of a sentence's content words a passage must hold to support it on words alone
REPEATED = 0.8  # share of a sentence's content words an earlier sentence holds that makes it a repeat
MISATTRIBUTED = 0.25  # another passage holding this much more of a sentence's words is its real source

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


def sentence_offsets(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, as offsets into `text` itself."""
    spans, start = [], 0
    for boundary in _SENTENCE_END.finditer(text):
        spans.append((start, boundary.start()))
        start = boundary.end()
    spans.append((start, len(text.rstrip())))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def spans_of(sentences: list[CitedSentence], evidence: list[Hit]) -> dict[int, list[tuple[int, int]]]:
    """Per evidence number, the offsets of its sentences that support the answer sentences citing it."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for sentence in sentences:
        body, sources = split_markers(sentence)
        for n in sources:
            if 1 <= n <= len(evidence):
                spans.setdefault(n, []).append(supporting_span(body, evidence[n - 1].chunk.text))
    return spans


def supporting_span(sentence: str, passage: str) -> tuple[int, int]:
    """The passage sentence that holds most of `sentence`'s content words (the first one on a tie)."""
    words = content_words(sentence)
    spans = sentence_offsets(passage) or [(0, len(passage))]
    return max(spans, key=lambda span: len(words & content_words(passage[span[0] : span[1]])))


class CitationVerifier:
    def __init__(
        self, embedder: Embedder, min_similarity: float = 0.3, margin: float = 0.12, max_per_sentence: int = 2
    ) -> None:
        self.embedder = embedder
        self.min_similarity = min_similarity
        self.margin = margin
        self.max_per_sentence = max_per_sentence

    def verify(self, sentences: list[CitedSentence], evidence: list[Hit]) -> tuple[list[CitedSentence], int, int]:
        """The sentences with supported citations only, how many citations were removed, and how many sentences
        had their markers re-pointed to the passage that supports them."""
        pieces: list[tuple[str, list[int]]] = []
        for sentence in sentences:
            body, sources = split_markers(sentence)
            valid = [n for n in sources if 1 <= n <= len(evidence)]
            pieces.extend((text, valid) for text in split_sentences(body))
        if not pieces:
            return [], 0, 0
        claims = self.embedder.embed([text for text, _ in pieces])
        passages = self.embedder.embed([passage_text(h.chunk) for h in evidence])
        similarity = claims @ passages.T
        words = [content_words(passage_text(h.chunk)) for h in evidence]
        removed = repointed = 0
        out = []
        for row, (text, cited) in zip(similarity, pieces, strict=True):
            coverage = np.array([coverage_of(text, w) for w in words])
            kept = self._attribute(row, coverage, cited)
            removed += len(set(cited) - set(kept))
            repointed += bool(set(kept) - set(cited))
            out.append(CitedSentence(text=text, sources=kept))
        return out, removed, repointed

    def _attribute(self, row: np.ndarray, coverage: np.ndarray, cited: list[int]) -> list[int]:
        """The passages that support the sentence. A passage supports it when it is close in meaning (embedding)
        or holds at least half of its content words (a copied sentence may embed far from the whole passage).
        The LM's own citations are kept when they support it and no other passage holds clearly more of its words;
        otherwise the marker is re-pointed to the passage that does. A sentence no passage supports keeps none."""
        if not cited:
            return []
        supports = (row >= self.min_similarity) | (coverage >= MIN_COVERAGE)
        scores = np.maximum(row, coverage)
        best_words = int(np.argmax(coverage))
        own_words = max(float(coverage[n - 1]) for n in cited)
        if supports[best_words] and coverage[best_words] >= own_words + MISATTRIBUTED:
            candidates = [best_words + 1]  # another passage holds clearly more of the sentence: it is the source
        else:
            candidates = [n for n in cited if supports[n - 1]]
        if not candidates and supports.any():
            candidates = [int(np.argmax(np.where(supports, scores, -1.0))) + 1]
        if not candidates:
            return []
        best = max(float(scores[n - 1]) for n in candidates)
        ranked = sorted(candidates, key=lambda n: float(scores[n - 1]), reverse=True)
        return [n for n in ranked if scores[n - 1] >= best - self.margin][: self.max_per_sentence]


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
        sentences = distinct([s for s in sentences if len(split_markers(s)[0].split()) >= MIN_WORDS])
        cited = [s for s in sentences if s.sources]
        lost = len(sentences) - len(cited)
        unsupported: list[str] | None = None
        if with_lm and self.settings.verify_with_lm:
            cited, unsupported = self._check(run, cited)
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
        )
        short = tidy_short_answer(draft.short_answer, run.question, [split_markers(s)[0] for s in cited])
        return Verified(text, citations, short, lost + len(unsupported or []), len(cited))

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

    @property
    def knows_answer(self) -> bool:
        return self.short.strip().lower() not in ("", "unknown")

    @property
    def score(self) -> tuple[int, int]:
        """Which of two answers to keep: one that knows its short answer, then the one with more cited sentences."""
        return int(self.knows_answer), self.sentences


def extractive_answer(run: Run, why: str) -> Verified:
    """When the LM cannot answer: the evidence's sentences closest to the question, each cited to its passage."""
    from sleuth.tools.research import key_sentences

    started = time.perf_counter()
    top = run.evidence[:EXTRACTED] or run.pool[:EXTRACTED]
    texts = key_sentences(run.tools.searcher.embedder, run.question, top, 160)
    sentences = []
    for n, text in enumerate(texts, 1):
        first = split_sentences(text)[:1]
        if first and len(first[0].split()) >= MIN_WORDS:
            sentences.append(CitedSentence(text=first[0][:500], sources=[n]))
    run.evidence = top
    text, citations, _ = resolve_citations(render_sentences(sentences), top, spans_of(sentences, top))
    run.errors.append(f"{why}; the answer is the evidence's key sentences, each cited")
    run.record("verify", started, extractive=True, cited=[c.chunk_id for c in citations])
    return Verified(text, citations, "", 0, len(sentences))


def distinct(sentences: list[CitedSentence]) -> list[CitedSentence]:
    """The sentences without those that repeat an earlier one (a small LM loops on its best sentence)."""
    kept: list[CitedSentence] = []
    seen: list[set[str]] = []
    for sentence in sentences:
        words = content_words(split_markers(sentence)[0])
        if any(len(words & before) >= REPEATED * max(1, len(words)) for before in seen):
            continue
        kept.append(sentence)
        seen.append(words)
    return kept


def restates(sentence: CitedSentence, evidence: list[Hit]) -> bool:
    """True if the sentence's content words all occur in the passages it cites: it restates them, and the LM check
    (which a small LM gets wrong on exactly such sentences) is not needed."""
    body, sources = split_markers(sentence)
    words = content_words(body)
    if not words or not sources:
        return False
    cited = set().union(*(content_words(evidence[n - 1].chunk.text) for n in sources if 1 <= n <= len(evidence)))
    return len(words & cited) / len(words) >= RESTATED


def content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 3 or w.isdigit()}


def coverage_of(sentence: str, passage_words: set[str]) -> float:
    """The share of the sentence's content words that the passage holds."""
    words = content_words(sentence)
    return len(words & passage_words) / len(words) if words else 0.0


__all__ = ["NOT_FOUND", "CitationVerifier", "Verified", "Verify", "extractive_answer"]
