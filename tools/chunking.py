"""Split documents into passages that fit the embedder, on sentence boundaries, with overlap.

Structure first: a document whose reader found headings (`metadata.section_offsets`) is cut at each heading,
and each section is split into paragraphs and sentences by llama-index's SentenceSplitter within the token
budget. Each chunk keeps its section, its page span (PDFs) and character offsets into its document's text, so a
citation can show the exact span.
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
        from sleuth.runtime import offline_environment

        offline_environment()
        from llama_index.core.node_parser import SentenceSplitter

        return SentenceSplitter(chunk_size=self.chunk_tokens, chunk_overlap=self.overlap, tokenizer=self.tokenizer)

    def split(self, doc: Document) -> list[Chunk]:
        """Chunks of at most `chunk_tokens`, never across a section heading, each with its exact offsets."""
        page_offsets = doc.metadata.get("page_offsets")
        sections = doc.metadata.get("section_offsets") or []
        shared = {k: v for k, v in doc.metadata.items() if k not in ("page_offsets", "section_offsets")}
        digest = str(doc.metadata.get("doc_hash", ""))
        bounds = [0, *(int(o) for o, _ in sections if 0 < int(o) < len(doc.text)), len(doc.text)]
        starts, headings = [int(o) for o, _ in sections], [str(h) for _, h in sections]
        chunks: list[Chunk] = []
        for lo, hi in zip(bounds, bounds[1:], strict=False):
            for start, end, piece in self._pieces(doc.text, lo, hi):
                where: dict[str, Any] = {}
                if page_offsets:
                    where["page"] = bisect_right(page_offsets, start)
                    where["page_end"] = bisect_right(page_offsets, end - 1)
                if starts and (i := bisect_right(starts, start)):
                    where["section"] = headings[i - 1]
                position = len(chunks)
                chunks.append(
                    Chunk(
                        chunk_id=content_id(doc.doc_id, digest, str(position), piece),
                        doc_id=doc.doc_id,
                        title=doc.title,
                        text=piece,
                        source=doc.source,
                        position=position,
                        start=start,
                        end=end,
                        metadata={**shared, **where},
                    )
                )
        return chunks

    def _pieces(self, text: str, lo: int, hi: int) -> list[tuple[int, int, str]]:
        """The splitter's pieces of text[lo:hi], located in `text`."""
        out = []
        previous = lo - 1
        for piece in (p for p in self._splitter.split_text(text[lo:hi]) if p.strip()):
            start = text.find(piece, previous + 1, hi)
            if start < 0:  # the splitter normalised whitespace: fall back to the piece's opening words
                start = text.find(piece[:48], previous + 1, hi)
            start = max(start, previous + 1, lo)
            end = min(hi, start + len(piece))
            previous = start
            out.append((start, end, piece))
        return out


def passage_text(chunk: Chunk) -> str:
    """What gets embedded and indexed for BM25: the title gives short passages their context."""
    return f"{chunk.title}. {chunk.text}" if chunk.title else chunk.text
