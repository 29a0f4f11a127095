"""Turn paths into Documents: which files a path holds, and the reader each file's type goes to
(`tools/formats.py`: PDF, DOCX, HTML, Markdown and text files, BEIR JSONL, and JSONL/CSV records;
`tools/bibliography.py`: BibTeX libraries).

Problems with one file or line never stop the rest: they come back as `Failure`s for the end-of-run summary.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

from sleuth.schema import Document
from sleuth.tools.formats import (
    Failure,
    Fields,
    read_csv,
    read_docx,
    read_html,
    read_jsonl,
    read_pdf,
    read_text,
)

TEXT_SUFFIXES = {".md", ".markdown", ".txt", ".text", ".rst"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
DOCX_SUFFIXES = {".docx"}
CSV_SUFFIXES = {".csv", ".tsv"}
BIB_SUFFIXES = {".bib"}
READABLE = TEXT_SUFFIXES | JSONL_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES | DOCX_SUFFIXES | CSV_SUFFIXES | BIB_SUFFIXES
MAX_FILE_BYTES = 40 << 20  # one file; JSONL/CSV collections are read line by line and exempt


def files_in(paths: list[Path]) -> Iterator[Path]:
    """The readable files under `paths` (folders searched recursively), in a stable order; never a file outside
    the folder it was found in (see `_found_in`)."""
    for path, outside in _found_in(paths):
        if outside is None:
            yield path


def _found_in(paths: list[Path]) -> Iterator[tuple[Path, str | None]]:
    """Each file under `paths`, with why it must not be read: a symbolic link (or a link in its path) that leads
    out of the folder the user gave. Links to folders are not followed at all (`rglob`); a file named directly is
    the user's own choice and is read wherever it is."""
    for path in paths:
        if not path.is_dir():
            yield path, None
            continue
        root = path.resolve()
        for found in sorted(p for p in path.rglob("*") if p.is_file() and _readable(p)):
            target = found.resolve()
            inside = target.is_relative_to(root)
            yield found, None if inside else f"a link to {target}, outside the folder {root}; not read"


def estimate_documents(paths: list[Path]) -> int:
    """About how many documents `paths` hold (one per file, one per JSONL line or CSV row), for progress bars."""
    total = 0
    for path in files_in(paths):
        name = path.name.lower()
        try:
            if name.endswith((".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz", ".csv", ".tsv")):
                opener = gzip.open if name.endswith(".gz") else open
                with opener(path, "rb") as handle:
                    lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
                total += max(lines - name.endswith((".csv", ".tsv")), 1)
            else:
                total += 1
        except (OSError, EOFError):
            total += 1
    return total


def _readable(path: Path) -> bool:
    return path.suffix.lower() in READABLE or path.name.lower().endswith((".jsonl.gz", ".ndjson.gz"))


def read_paths(
    paths: list[Path], fields: Fields | None = None, max_bytes: int = MAX_FILE_BYTES
) -> Iterator[Document | Failure]:
    for path, outside in _found_in(paths):
        if outside is not None:
            yield Failure(str(path), outside)
        elif not path.exists():
            yield Failure(str(path), "no such file or folder")
        else:
            yield from read_file(path, fields or Fields(), max_bytes)


def read_file(
    path: Path, fields: Fields | None = None, max_bytes: int = MAX_FILE_BYTES
) -> Iterator[Document | Failure]:
    suffix = path.suffix.lower()
    fields = fields or Fields()
    if suffix in JSONL_SUFFIXES or path.name.lower().endswith((".jsonl.gz", ".ndjson.gz")):
        yield from read_jsonl(path, fields)
    elif suffix in CSV_SUFFIXES:
        yield from read_csv(path, fields)
    elif (size := path.stat().st_size) > max_bytes:
        yield Failure(
            str(path),
            f"{size / (1 << 20):.0f} MB, over the {max_bytes >> 20} MB limit for one file; split it, or raise "
            f"SLEUTH_INDEX__MAX_FILE_MB",
        )
    elif suffix in BIB_SUFFIXES:
        from sleuth.tools.bibliography import read_bib

        yield from read_bib(path)
    elif suffix in TEXT_SUFFIXES:
        yield read_text(path)
    elif suffix in HTML_SUFFIXES:
        yield read_html(path)
    elif suffix in PDF_SUFFIXES:
        yield read_pdf(path)
    elif suffix in DOCX_SUFFIXES:
        yield read_docx(path)
    else:
        kinds = ", ".join(sorted(READABLE))
        yield Failure(str(path), f"unsupported file type '{suffix or path.name}' (supported: {kinds})")


__all__ = ["MAX_FILE_BYTES", "Failure", "Fields", "estimate_documents", "files_in", "read_file", "read_paths"]
