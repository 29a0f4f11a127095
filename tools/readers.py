"""Turn paths into Documents: BEIR-style JSONL files and folders of Markdown and text.

Problems with one file or line never stop the rest: they come back as `Failure`s for the end-of-run summary.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sleuth.schema import Document, content_id

TEXT_SUFFIXES = {".md", ".markdown", ".txt", ".text", ".rst"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
READABLE = TEXT_SUFFIXES | JSONL_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES
MAX_FILE_BYTES = 200 << 20


@dataclass(frozen=True)
class Failure:
    """Something that could not be read, and why."""

    path: str
    reason: str


def read_paths(paths: list[Path]) -> Iterator[Document | Failure]:
    for path in paths:
        if not path.exists():
            yield Failure(str(path), "no such file or folder")
        elif path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                if file.suffix.lower() in READABLE or file.name.endswith(".jsonl.gz"):
                    yield from read_file(file)
        else:
            yield from read_file(path)


def read_file(path: Path) -> Iterator[Document | Failure]:
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES or path.name.lower().endswith((".jsonl.gz", ".ndjson.gz")):
        yield from read_jsonl(path)
    elif path.stat().st_size > MAX_FILE_BYTES:
        yield Failure(str(path), f"larger than {MAX_FILE_BYTES >> 20} MB; split it or convert it to text first")
    elif suffix in TEXT_SUFFIXES:
        yield read_text(path)
    elif suffix in HTML_SUFFIXES:
        yield read_html(path)
    elif suffix in PDF_SUFFIXES:
        yield read_pdf(path)
    else:
        yield Failure(
            str(path), f"unsupported file type '{suffix or path.name}' (supported: .jsonl, .md, .txt, .html, .pdf)"
        )


def read_jsonl(path: Path) -> Iterator[Document | Failure]:
    """A BEIR corpus: one `{"_id", "title", "text", "metadata"}` object per line; `_id` becomes the doc id."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                yield Failure(where, f"line {number} is not valid JSON ({exc}); skipped")
                continue
            if not isinstance(row, dict) or not str(row.get("text") or "").strip():
                yield Failure(where, f"line {number} has no 'text' field; skipped")
                continue
            doc_id = str(row.get("_id") or row.get("id") or content_id(str(path), str(number)))
            metadata = row.get("metadata") if isinstance(row.get("metadata"), dict) else {}
            yield Document(
                doc_id=doc_id,
                title=str(row.get("title") or ""),
                text=str(row["text"]),
                source=str(path),
                metadata=metadata,
            )


def read_text(path: Path) -> Document | Failure:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return Failure(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start})")
    except OSError as exc:
        return Failure(str(path), f"cannot be read: {exc.strerror}")
    if not text.strip():
        return Failure(str(path), "the file is empty")
    if "\x00" in text:
        return Failure(str(path), "binary data in a text file")
    doc_id, source = _file_id(path)
    return Document(doc_id=doc_id, title=_title(text, path), text=text, source=source)


def _file_id(path: Path) -> tuple[str, str]:
    resolved = str(path.resolve())
    return content_id("file", resolved)[:16], resolved


def read_html(path: Path) -> Document | Failure:
    """Visible text of a web page (scripts, styles and navigation dropped); the <title> becomes the title."""
    from bs4 import BeautifulSoup

    try:
        raw = path.read_bytes()
    except OSError as exc:
        return Failure(str(path), f"cannot be read: {exc.strerror}")
    soup = BeautifulSoup(raw, "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript"]):
        tag.decompose()
    text = "\n\n".join(p for p in (" ".join(b.split()) for b in soup.get_text("\n").split("\n\n")) if p)
    if not text.strip():
        return Failure(str(path), "the page has no visible text")
    title = soup.title.get_text(" ", strip=True) if soup.title else _title(text, path)
    doc_id, source = _file_id(path)
    return Document(doc_id=doc_id, title=title, text=text, source=source)


def read_pdf(path: Path) -> Document | Failure:
    """Text of every page, pages separated by blank lines; page start offsets go into metadata."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            return Failure(str(path), "the PDF is encrypted; decrypt it first (e.g. qpdf --decrypt)")
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        return Failure(str(path), f"not a readable PDF ({type(exc).__name__}: {exc})")
    offsets, parts, cursor = [], [], 0
    for page in pages:
        offsets.append(cursor)
        parts.append(page.strip())
        cursor += len(page.strip()) + 2
    text = "\n\n".join(parts)
    if not text.strip():
        return Failure(str(path), "the PDF has no extractable text (scanned images need OCR first)")
    info = reader.metadata or {}
    title = str(info.get("/Title") or "").strip() or _title(text, path)
    metadata = {"page_offsets": offsets, "pages": len(pages)}
    if info.get("/Author"):
        metadata["authors"] = str(info["/Author"])
    doc_id, source = _file_id(path)
    return Document(doc_id=doc_id, title=title, text=text, source=source, metadata=metadata)


def _title(text: str, path: Path) -> str:
    for line in text.splitlines()[:20]:
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return path.stem.replace("_", " ").replace("-", " ")
