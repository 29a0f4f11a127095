"""Attribution: which passage each answer sentence came from, decided without an LM in milliseconds.

A small LM tends to cite every passage it was shown, to cite the wrong one, or to pack several claims into one
"sentence". The verifier splits such text into real sentences and, for each, keeps the cited passages that support
it (close in meaning, or holding at least half of its content words); when another passage of the evidence holds
clearly more of its words, or none of its own supports it, the marker is re-pointed to the passage that does.
A sentence must also find its names in its passages: "Chloë Leland directed Maximum Overdrive" citing a passage
about Chloë Leland that never mentions the film is not supported, however many other words match, and a sentence
about one method is not credited to a passage about another; one that bridges two passages ("Philip Carlo wrote of a
killer associated with the DeCavalcante family") cites both when one names the other. A sentence the LM left uncited
gets no citation, and one no passage supports loses its citation, so a reader who follows `[n]` lands on the passage
it came from.
"""

from __future__ import annotations

import numpy as np

from sleuth.lexicon import Tokens, content_words, coverage_of, names_of, sentence_offsets, split_sentences, subject_of
from sleuth.prompts.signatures import CitedSentence, split_markers
from sleuth.schema import Hit
from sleuth.tools.chunking import passage_text
from sleuth.tools.embedder import Embedder
from sleuth.tools.multihop import linked

RESTATED = 1.0  # share of a sentence's content words found in its cited passages that makes it a restatement
MIN_COVERAGE = 0.5  # share of a sentence's content words a passage must hold to support it on words alone
REPEATED = 0.8  # share of a sentence's content words an earlier sentence holds that makes it a repeat
MISATTRIBUTED = 0.25  # another passage holding this much more of a sentence's words is its real source
PARTLY = 0.25  # share of a sentence's content words a second passage must hold to be cited for the names it adds
BRIDGED = 0.75  # share of a sentence's content words two passages must hold between them to support it together


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
        read = _Read(evidence)
        removed = repointed = 0
        out = []
        for row, (text, cited) in zip(similarity, pieces, strict=True):
            coverage = np.array([coverage_of(text, w) for w in read.words])
            kept = self._named(text, self._attribute(row, coverage, cited), read, coverage)
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

    def _named(self, text: str, kept: list[int], read: _Read, coverage: np.ndarray) -> list[int]:
        """`kept`, if its passages name what the sentence names and one of them names its subject where it says
        what the sentence says (its title, the supporting sentence or the one before); else with the one passage
        that names the rest added, or re-pointed to the passage that names the subject there; else nothing."""
        names = names_of(text)
        if not kept or not names:
            return kept
        subject = subject_of(text)
        missing = {name for name in names if not any(read.names[n - 1].has(name) for n in kept)}
        if subject and not any(_local(text, read.hits[n - 1]).has_all(subject) for n in kept):
            return self._moved(text, kept, subject, names, read, coverage)
        if not missing:
            return kept
        extra = [
            j + 1
            for j in np.argsort(-coverage)
            if j + 1 not in kept and coverage[j] >= PARTLY and read.names[j].has_all(missing)
        ]
        return [*kept[: self.max_per_sentence - 1], extra[0]] if extra else []

    def _moved(
        self, text: str, kept: list[int], subject: list[str], names: set[str], read: _Read, coverage: np.ndarray
    ) -> list[int]:
        """Where a sentence whose subject its passages do not name goes: to the passage that names the subject where
        it says most of the sentence and names the rest too; else, for a sentence that bridges two passages ("Philip
        Carlo was a biographer of a contract killer associated with the DeCavalcante crime family"), to the passage
        that names the subject there plus the one, of those kept first, that names what it does not; else nowhere."""
        ranked = [j + 1 for j in np.argsort(-coverage)]
        heads = [n for n in ranked if _local(text, read.hits[n - 1]).has_all(subject)]
        whole = [n for n in heads if coverage[n - 1] >= MIN_COVERAGE and read.names[n - 1].has_all(names)]
        if whole:
            return whole[:1]
        head = next((n for n in heads if coverage[n - 1] >= PARTLY), None)
        if head is None:
            return []
        rest = {name for name in names if not read.names[head - 1].has(name)}
        for tail in [*kept, *ranked]:
            if (
                tail != head
                and linked(read.hits[head - 1], read.hits[tail - 1])
                and read.names[tail - 1].has_all(rest)
                and coverage_of(text, read.words[head - 1] | read.words[tail - 1]) >= BRIDGED
            ):
                return [head, tail]
        return []


class _Read:
    """The evidence as the verifier reads it, once per answer: each passage's content words and the names in it."""

    def __init__(self, hits: list[Hit]) -> None:
        self.hits = hits
        self.words = [content_words(passage_text(h.chunk)) for h in hits]
        self.names = [Tokens(passage_text(h.chunk)) for h in hits]


def _local(sentence: str, hit: Hit) -> Tokens:
    """The words near what a passage says of `sentence`: its title, its supporting sentence and the one before."""
    text = hit.chunk.text
    start, end = supporting_span(sentence, text)
    before = [a for a, b in sentence_offsets(text) if b <= start]
    return Tokens(f"{hit.chunk.title or ''} {text[before[-1] if before else start : end]}")


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


__all__ = ["CitationVerifier", "distinct", "restates", "spans_of", "supporting_span"]
