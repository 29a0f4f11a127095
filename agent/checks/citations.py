"""Citations are data: every `[n]` in an answer is checked against the evidence of this run.

A marker that names no retrieved passage is removed, the rest are renumbered in order of first use, and each
surviving number maps to exactly one Citation.
"""

from __future__ import annotations

import re
from typing import Any

from sleuth.prompts.signatures import SPACE_BEFORE_PUNCT
from sleuth.schema import Citation, Hit
from sleuth.tools.formats import YEAR

_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")


def resolve_citations(
    text: str, evidence: list[Hit], spans: dict[int, list[tuple[int, int]]] | None = None
) -> tuple[str, list[Citation], list[int]]:
    """Returns the answer text with valid, renumbered markers, its citations, and the numbers dropped. `spans` maps
    an evidence number to the offsets of its supporting sentences."""
    renumber: dict[int, int] = {}
    dropped: list[int] = []

    def replace(match: re.Match[str]) -> str:
        kept = []
        for raw in re.split(r"[,;]", match.group(1)):
            n = int(raw)
            if 1 <= n <= len(evidence):
                new = renumber.setdefault(n, len(renumber) + 1)
                if new not in kept:
                    kept.append(new)
            else:
                dropped.append(n)
        return "".join(f"[{n}]" for n in kept)

    cleaned = _MARKER.sub(replace, text)
    cleaned = SPACE_BEFORE_PUNCT.sub(r"\1", re.sub(r"[ \t]{2,}", " ", cleaned)).strip()
    citations = [
        Citation(
            n=new,
            doc_id=evidence[old - 1].doc_id,
            chunk_id=evidence[old - 1].chunk_id,
            title=evidence[old - 1].chunk.title,
            text=evidence[old - 1].chunk.text,
            score=round(evidence[old - 1].score, 6),
            spans=sorted(set((spans or {}).get(old, []))),
            page=evidence[old - 1].chunk.metadata.get("page"),
            source=evidence[old - 1].chunk.source,
            authors=authors_of(evidence[old - 1].chunk.metadata),
            year=year_of(evidence[old - 1].chunk.metadata),
            **reference_of(evidence[old - 1].chunk.metadata),
        )
        for old, new in sorted(renumber.items(), key=lambda item: item[1])
    ]
    return cleaned, citations, dropped


def authors_of(metadata: dict[str, Any]) -> str:
    """The document's authors as one line ("A. Smith, B. Jones"), from a list or a string; "" if unknown."""
    authors = metadata.get("authors") or metadata.get("author") or ""
    if isinstance(authors, list):
        return ", ".join(str(a) for a in authors if a)
    return " ".join(str(authors).split())


def reference_of(metadata: dict[str, Any]) -> dict[str, str]:
    """What a reference list or a BibTeX entry needs beyond title, authors and year, from the document's metadata:
    its library key (`bibkey`, `zotero_key`), DOI, URL, venue and entry type."""
    found = {
        "key": metadata.get("bibkey") or metadata.get("zotero_key"),
        "doi": metadata.get("doi"),
        "url": metadata.get("url"),
        "venue": metadata.get("venue") or metadata.get("journal"),
        "kind": metadata.get("entry_type"),
    }
    return {name: str(value) for name, value in found.items() if isinstance(value, str | int) and str(value)}


def year_of(metadata: dict[str, Any]) -> str:
    """The document's year, from `year` or a date (`date`, `published`: "Nov 8, 2024" -> "2024"); "" if none."""
    for key in ("year", "date", "published"):
        found = YEAR.search(str(metadata.get(key) or ""))
        if found:
            return found.group(1)
    return ""
