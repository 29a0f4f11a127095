"""Reference libraries as documents: a BibTeX file (Zotero, JabRef and Better BibTeX exports) read with
bibtexparser, each entry becoming the text of its attached files (their `file` field) or else its abstract, with
the entry's metadata on every chunk: key, type, title, authors, year, venue, DOI, URL, keywords.

A document's id is `bib:KEY` (`bib:KEY#2` for a second attachment) and its source the .bib file, so `sleuth remove
refs.bib` and `ingest --prune` work on the library as on any file (an entry taken out of the .bib is pruned); the
attachment's own path and its pages stay in the metadata (`file`, `page_offsets`). A broken entry is a Failure
naming its line; the rest go in.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sleuth.schema import Document
from sleuth.tools.formats import YEAR, Failure

ATTACHMENT_SUFFIXES = (".pdf", ".html", ".htm", ".docx", ".md", ".txt")
KEPT_FIELDS = {"journal": "venue", "booktitle": "venue", "doi": "doi", "url": "url", "keywords": "keywords"}


def latex_text(value: str) -> str:
    """`Dense {Retrieval} for \\"Uber` -> `Dense Retrieval for Über`: what a reader sees, one line."""
    from pylatexenc.latex2text import LatexNodes2Text

    with contextlib.suppress(Exception):  # a field pylatexenc cannot read is kept as written
        value = LatexNodes2Text().latex_to_text(value)
    return " ".join(value.split())


def authors(value: str) -> list[str]:
    """`Smith, John and Doe, Jane` -> `["John Smith", "Jane Doe"]` (BibTeX's own `and` separates names)."""
    names = []
    for name in re.split(r"\s+and\s+", value.strip()):
        last, comma, first = name.partition(",")
        names.append(latex_text(f"{first} {last}" if comma else name))
    return [n for n in names if n and n.lower() != "others"]


def attachments(value: str, folder: Path) -> list[Path]:
    """The files of a `file` field: Zotero/JabRef's `Description:path:type` triples separated by `;` (JabRef
    escapes `:` and `\\` in Windows paths), or plain paths; relative ones are read from the .bib's folder."""
    found = []
    for part in re.split(r"(?<!\\);", value):
        part = part.strip()
        if not part:
            continue
        pieces = re.split(r"(?<!\\):", part)
        path = pieces[1] if len(pieces) >= 3 else part if len(pieces) == 1 else pieces[-1]
        if len(pieces) == 2 and re.fullmatch(r"[A-Za-z]", pieces[0]):  # C:/papers/x.pdf
            path = part
        path = path.replace("\\:", ":").replace("\\\\", "\\").strip()
        if path:
            found.append(Path(path) if Path(path).is_absolute() else folder / path)
    return found


def entry_metadata(key: str, kind: str, fields: dict[str, str]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"bibkey": key, "entry_type": kind}
    if fields.get("author"):
        metadata["authors"] = authors(fields["author"])
    if year := YEAR.search(fields.get("year") or fields.get("date") or ""):
        metadata["year"] = int(year.group(1))
    for field, name in KEPT_FIELDS.items():
        if fields.get(field) and name not in metadata:
            metadata[name] = latex_text(fields[field]) if name == "venue" else fields[field].strip()
    return metadata


def read_bib(path: Path) -> Iterator[Document | Failure]:
    """Every entry of a .bib file as documents (see the module docstring); broken entries as Failures."""
    import bibtexparser

    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        yield Failure(str(path), f"cannot be read ({exc.strerror or exc})")
        return
    logging.getLogger("bibtexparser").setLevel(logging.ERROR)  # its parse warnings are our Failures, said once
    library = bibtexparser.parse_string(text)
    source = str(path.resolve())
    for block in library.failed_blocks:
        raw = block.raw or ""
        first = raw.strip().splitlines()[0][:60] if raw.strip() else ""
        line = block.start_line + 1 + raw[: len(raw) - len(raw.lstrip())].count("\n")
        why = "its key is used by an earlier entry" if "Duplicate" in type(block).__name__ else "it is not valid BibTeX"
        yield Failure(f"{path}:{line}", f"entry '{first}' skipped: {why}; fix it and ingest again")
    for entry in library.entries:
        fields = {name.lower(): str(field.value) for name, field in entry.fields_dict.items()}
        metadata = entry_metadata(entry.key, entry.entry_type, fields)
        title = latex_text(fields.get("title", "")) or entry.key
        yield from _entry_documents(path, source, entry.key, title, metadata, fields)


def _entry_documents(
    path: Path, source: str, key: str, title: str, metadata: dict[str, Any], fields: dict[str, str]
) -> Iterator[Document | Failure]:
    from sleuth.tools.readers import read_file

    files = [f for f in attachments(fields.get("file", ""), path.parent) if f.suffix.lower() in ATTACHMENT_SUFFIXES]
    pdfs = [f for f in files if f.suffix.lower() == ".pdf"]
    read: list[Document] = []
    missing = []
    for attached in pdfs or files[:1]:
        if not attached.is_file():
            missing.append(str(attached))
            continue
        for item in read_file(attached):
            if isinstance(item, Failure):
                yield Failure(f"{path}#{key}", f"its file {attached}: {item.reason}")
            else:
                read.append(item)
    for number, doc in enumerate(read, start=1):
        doc_metadata = {**doc.metadata, **metadata, "file": doc.source}
        doc_id = f"bib:{key}" if number == 1 else f"bib:{key}#{number}"
        yield Document(doc_id=doc_id, title=title, text=doc.text, source=source, metadata=doc_metadata)
    abstract = latex_text(fields.get("abstract", ""))
    if not read and abstract:
        yield Document(doc_id=f"bib:{key}", title=title, text=abstract, source=source, metadata=dict(metadata))
    if missing:
        kept = "its abstract went in instead" if not read and abstract else "skipped"
        yield Failure(f"{path}#{key}", f"its file {', '.join(missing)} does not exist; {kept}")
    elif not read and not abstract:
        yield Failure(f"{path}#{key}", "the entry has no file and no abstract: nothing to read; skipped")
