"""Split documents into passages that fit the embedder, on sentence boundaries, with overlap.

Each chunk keeps character offsets into its document's text, so a citation can show the exact span.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from functools import cached_property
from typing import Any

from sleuth.schema import Chunk, Document, content_id


class Chunker:
    def __init__(self, chunk_tokens: int, overlap: int, tokenizer: Callable[[str], list[Any]]) -> None:
        self.chunk_tokens = chunk_tokens
        self.overlap = overlap
        self.tokenizer = tokenizer

    @cached_property
    def _splitter(self) -> Any:
        from sleuth.agent.runtime import offline_environment

        offline_environment()
        from llama_index.core.node_parser import SentenceSplitter

        return SentenceSplitter(chunk_size=self.chunk_tokens, chunk_overlap=self.overlap, tokenizer=self.tokenizer)

    def split(self, doc: Document) -> list[Chunk]:
        pieces = self._splitter.split_text(doc.text)
        page_offsets = doc.metadata.get("page_offsets")
        shared = {k: v for k, v in doc.metadata.items() if k != "page_offsets"}
        chunks: list[Chunk] = []
        previous = -1
        for position, piece in enumerate(p for p in pieces if p.strip()):
            start = doc.text.find(piece, previous + 1)
            if start < 0:  # the splitter normalised whitespace: fall back to the piece's opening words
                start = doc.text.find(piece[:48], previous + 1)
            start = max(start, previous + 1, 0)
            end = min(len(doc.text), start + len(piece))
            previous = start
            pages = {}
            if page_offsets:
                pages = {"page": bisect_right(page_offsets, start), "page_end": bisect_right(page_offsets, end - 1)}
            chunks.append(
                Chunk(
                    chunk_id=content_id(doc.doc_id, str(position), piece),
                    doc_id=doc.doc_id,
                    title=doc.title,
                    text=piece,
                    source=doc.source,
                    position=position,
                    start=start,
                    end=end,
                    metadata={**shared, **pages},
                )
            )
        return chunks


def passage_text(chunk: Chunk) -> str:
    """What gets embedded and indexed for BM25: the title gives short passages their context."""
    return f"{chunk.title}. {chunk.text}" if chunk.title else chunk.text
