"""Where the research loop's passages come from, each a list of hits: the collection searched, the passages around
one or its whole document, and past research in memory; and the LLM-free evidence extractor that shows the LM the
sentences of a long passage that matter for the question. (The LM's tool table, built on these, is
agent/loop/toolbox.py.)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sleuth.schema import Hit
from sleuth.tools.embedder import Embedder
from sleuth.tools.search import HybridSearcher

MemoryLookup = Callable[[str], list[Hit]]
DOCUMENT_CHUNKS = 64  # most chunks read from one document


class PassageSource:
    """The collection (through its searcher) and memory, as the loop reads them."""

    def __init__(
        self, searcher: HybridSearcher, candidates: int = 40, memory_lookup: MemoryLookup | None = None
    ) -> None:
        self.searcher = searcher
        self.candidates = candidates
        self.memory_lookup = memory_lookup

    def search(self, query: str, rerank: bool = False) -> list[Hit]:
        """Hybrid search of the collection for a keyword query, best first (`rerank`: with the second stage)."""
        return self.searcher.search(query, k=self.candidates, rerank=rerank)

    def document(self, hit: Hit, query: str, limit: int = 6) -> list[Hit]:
        """The chunks of `hit`'s document in reading order (the `limit` closest to `query` if it is long)."""
        return sorted(self._chunks_of_document(hit, query)[:limit], key=lambda h: h.chunk.position)

    def neighbours(self, hit: Hit, query: str) -> list[Hit]:
        """The chunks just before and after `hit` in its document."""
        around = {hit.chunk.position - 1, hit.chunk.position + 1}
        chunks = self._chunks_of_document(hit, query)
        return sorted((h for h in chunks if h.chunk.position in around), key=lambda h: h.chunk.position)

    def _chunks_of_document(self, hit: Hit, query: str) -> list[Hit]:
        """Up to DOCUMENT_CHUNKS chunks of `hit`'s document, closest to `query` first."""
        query = query or hit.chunk.title or hit.chunk.text[:200]
        return self.searcher.search(query, k=DOCUMENT_CHUNKS, filters={"doc_id": hit.doc_id})

    def recall(self, query: str) -> list[Hit]:
        """Passages cited by past runs on similar questions (nothing when memory is off)."""
        return self.memory_lookup(query) if self.memory_lookup else []


def key_sentences(embedder: Embedder, question: str, hits: list[Hit], max_chars: int) -> list[str]:
    """Each passage as the LM should read it: whole when it fits in `max_chars`, else its sentences most similar
    to the question, in their original order, up to `max_chars` (extraction as in Refiner, without an LM)."""
    from sleuth.lexicon import split_sentences

    texts = [" ".join(h.chunk.text.split()) for h in hits]
    long = [i for i, t in enumerate(texts) if len(t) > max_chars]
    if not long:
        return texts
    pieces = {i: split_sentences(texts[i]) for i in long}
    flat = [s for i in long for s in pieces[i]]
    if not flat:
        return texts
    scores = embedder.embed(flat) @ embedder.embed_query(question)
    at = 0
    for i in long:
        sentences = pieces[i]
        own = scores[at : at + len(sentences)]
        at += len(sentences)
        chosen: list[int] = []
        used = 0
        for j in np.argsort(-own):
            if used + len(sentences[j]) > max_chars and chosen:
                continue
            chosen.append(int(j))
            used += len(sentences[j]) + 1
        text = " ".join(sentences[j] for j in sorted(chosen))
        texts[i] = text if len(text) <= max_chars else text[:max_chars].rsplit(" ", 1)[0] + " ..."
    return texts
