"""An LLM-free citation check: each sentence keeps only the cited passages that are close to it in meaning.

A small LM tends to cite every passage it was shown, or to pack several claims into one "sentence". The
verifier splits such text into real sentences and, for each, keeps the cited passages whose embedding is
similar enough to the sentence (and not far behind the best one), so a reader who follows `[n]` lands on a
passage that is about what the sentence says. Citations are only ever removed or narrowed to passages the
LM itself cited for that text; none are invented.
"""

from __future__ import annotations

import re

import numpy as np

from sleuth.prompts.signatures import CitedSentence, split_markers
from sleuth.schema import Hit
from sleuth.tools.chunking import passage_text
from sleuth.tools.embedder import Embedder

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


class CitationVerifier:
    def __init__(
        self, embedder: Embedder, min_similarity: float = 0.3, margin: float = 0.12, max_per_sentence: int = 2
    ) -> None:
        self.embedder = embedder
        self.min_similarity = min_similarity
        self.margin = margin
        self.max_per_sentence = max_per_sentence

    def verify(self, sentences: list[CitedSentence], evidence: list[Hit]) -> tuple[list[CitedSentence], int]:
        """The sentences with supported citations only, and how many citations were removed."""
        pieces: list[tuple[str, list[int]]] = []
        for sentence in sentences:
            body, sources = split_markers(sentence)
            valid = [n for n in sources if 1 <= n <= len(evidence)]
            pieces.extend((text, valid) for text in split_sentences(body))
        if not pieces:
            return [], 0
        claims = self.embedder.embed([text for text, _ in pieces])
        passages = self.embedder.embed([passage_text(h.chunk) for h in evidence])
        similarity = claims @ passages.T
        removed = 0
        out = []
        for row, (text, cited) in zip(similarity, pieces, strict=True):
            kept = self._supported(row, cited)
            removed += len(cited) - len(kept)
            out.append(CitedSentence(text=text, sources=kept))
        return out, removed

    def _supported(self, row: np.ndarray, cited: list[int]) -> list[int]:
        if not cited:
            return []
        scores = {n: float(row[n - 1]) for n in cited}
        best = max(scores.values())
        ranked = sorted(cited, key=lambda n: scores[n], reverse=True)
        return [n for n in ranked if scores[n] >= self.min_similarity and scores[n] >= best - self.margin][
            : self.max_per_sentence
        ]
