"""One reader per kind of file, each turning a file (or a collection's lines) into Documents or `Failure`s.

Kept with each document: title, authors, year, source path or URL, and for PDFs the page of every character
(`page_offsets`); readers that see headings record where each section starts (`section_offsets`) so chunks
never straddle a heading and know their section.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sleuth.schema import Document, content_id

MARKDOWN_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")


@dataclass(frozen=True)
class Fields:
    """Which keys of a JSONL object or columns of a CSV row hold the id, title, text and metadata.

    Defaults read BEIR (`_id`, `title`, `text`, plus a `metadata` object); `metadata` lists further keys to keep
    (`year`, `authors`, `url` ... are kept by default when present)."""

    id: str = "_id"
    title: str = "title"
    text: str = "text"
    metadata: tuple[str, ...] = ()

    KEPT = ("authors", "author", "year", "url", "doi", "date", "venue", "source")

    def document(self, row: dict[str, Any], where: str, source: str, number: int) -> Document | Failure:
        text = row.get(self.text)
        if not isinstance(text, str) or not text.strip():
            return Failure(
                where,
                f"record {number} has no text in field '{self.text}'; skipped (set its name with --field text=NAME)",
            )
        raw_id = row.get(self.id) if row.get(self.id) not in (None, "") else row.get("id")
        doc_id = str(raw_id) if raw_id not in (None, "") else content_id(source, str(number))[:16]
        metadata = dict(row["metadata"]) if isinstance(row.get("metadata"), dict) else {}
        for key in (*self.KEPT, *self.metadata):
            if key in row and row[key] not in (None, "") and key not in (self.id, self.title, self.text):
                metadata.setdefault("authors" if key == "author" else key, row[key])
        return Document(
            doc_id=doc_id, title=str(row.get(self.title) or ""), text=text, source=source, metadata=metadata
        )


@dataclass(frozen=True)
class Failure:
    """Something that could not be read, and why."""

    path: str
    reason: str


def read_jsonl(path: Path, fields: Fields | None = None) -> Iterator[Document | Failure]:
    """One record per line; by default a BEIR corpus (`{"_id", "title", "text", "metadata"}`)."""
    fields = fields or Fields()
    source = str(path.resolve())
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
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
                if not isinstance(row, dict):
                    yield Failure(where, f"line {number} is not a JSON object; skipped")
                    continue
                yield fields.document(row, where, source, number)
    except (OSError, EOFError) as exc:  # e.g. a truncated .gz
        yield Failure(str(path), f"cannot be read to the end ({exc})")


def read_csv(path: Path, fields: Fields | None = None) -> Iterator[Document | Failure]:
    """One record per row; the header names the columns (tab-separated for .tsv, else sniffed)."""
    fields = fields or Fields()
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield Failure(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8 CSV")
        return
    if not raw.strip():
        yield Failure(str(path), "the file is empty")
        return
    try:
        dialect: Any = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.Sniffer().sniff(raw[:8192], ",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(raw, newline=""), dialect=dialect)
    if fields.text not in (reader.fieldnames or []):
        columns = ", ".join(reader.fieldnames or [])
        yield Failure(
            str(path), f"no column '{fields.text}' (columns: {columns}); name the text column with --field text=COLUMN"
        )
        return
    source = str(path.resolve())
    try:
        for number, row in enumerate(reader, start=2):
            yield fields.document(row, f"{path}:{number}", source, number)
    except csv.Error as exc:
        yield Failure(str(path), f"malformed CSV ({exc}); rows before it were read")


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
    metadata: dict[str, Any] = {}
    if path.suffix.lower() in (".md", ".markdown"):
        text, metadata = _front_matter(text)
        metadata["section_offsets"] = [[m.start(), m.group(2).strip()] for m in MARKDOWN_HEADING.finditer(text)]
    title = str(metadata.pop("title", "") or "") or _title(text, path)
    return Document(doc_id=doc_id, title=title, text=text, source=source, metadata=metadata)


def _front_matter(text: str) -> tuple[str, dict[str, Any]]:
    """Simple `key: value` YAML front matter (title, authors, year, url ...) lifted into metadata."""
    if not text.startswith("---"):
        return text, {}
    end = text.find("\n---", 3)
    if end < 0:
        return text, {}
    metadata: dict[str, Any] = {}
    for line in text[3:end].splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and value.strip():
            metadata[key.strip().lower()] = value.strip().strip("'\"")
    if "author" in metadata:
        metadata["authors"] = metadata.pop("author")
    body = text[end + 4 :].lstrip("\n")
    return body, metadata


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
    headings = [" ".join(h.get_text(" ").split()) for h in soup.find_all(["h1", "h2", "h3"])]
    metadata = _html_metadata(soup)
    text = "\n\n".join(p for p in (" ".join(b.split()) for b in soup.get_text("\n").split("\n\n")) if p)
    if not text.strip():
        return Failure(str(path), "the page has no visible text")
    title = soup.title.get_text(" ", strip=True) if soup.title else _title(text, path)
    metadata["section_offsets"] = _locate(text, headings)
    doc_id, source = _file_id(path)
    # the page's own URL (og:url, canonical) is metadata: the source stays the file, so `sleuth remove FILE` and
    # `ingest --prune` find the document by the file it came from, whatever the page says of itself
    return Document(doc_id=doc_id, title=title, text=text, source=source, metadata=metadata)


def _html_metadata(soup: Any) -> dict[str, Any]:
    """Authors, year and canonical URL from the usual <meta> tags (Highwire/Google Scholar, Dublin Core, OG)."""
    found: dict[str, Any] = {}
    names = {
        "citation_author": "authors", "author": "authors", "dc.creator": "authors",
        "citation_publication_date": "year", "citation_date": "year", "dc.date": "year",
        "article:published_time": "year", "og:url": "url",
    }  # fmt: skip
    for meta in soup.find_all("meta"):
        key = names.get(str(meta.get("name") or meta.get("property") or "").lower())
        content = str(meta.get("content") or "").strip()
        if key == "authors" and content:
            found.setdefault("authors", []).append(content)
        elif key == "year" and (m := YEAR.search(content)):
            found.setdefault("year", int(m.group(1)))
        elif key == "url" and content:
            found.setdefault("url", content)
    canonical = soup.find("link", rel="canonical")
    if canonical and canonical.get("href"):
        found.setdefault("url", str(canonical["href"]))
    if "authors" in found:
        found["authors"] = "; ".join(found["authors"])
    return found


def _locate(text: str, headings: list[str]) -> list[list[Any]]:
    """Offsets of headings found in order in `text`."""
    out, cursor = [], 0
    for heading in headings:
        at = text.find(heading, cursor) if heading else -1
        if at >= 0:
            out.append([at, heading])
            cursor = at + len(heading)
    return out


def read_docx(path: Path) -> Document | Failure:
    """Paragraphs and tables of a Word document in order; `Heading N` paragraphs start sections."""
    import docx

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # PackageNotFoundError, zipfile.BadZipFile, lxml errors: a damaged package
        return Failure(
            str(path), f"not a readable .docx file ({type(exc).__name__}: {exc}); re-save it from Word or LibreOffice"
        )
    parts: list[str] = []
    sections: list[list[Any]] = []
    cursor = 0
    for block in document.iter_inner_content():
        if hasattr(block, "rows"):
            rows = [" | ".join(" ".join(c.text.split()) for c in row.cells) for row in block.rows]
            piece = "\n".join(r for r in rows if r.strip(" |"))
        else:
            piece = block.text.strip()
            style = (block.style.name if block.style is not None else "") or ""
            if piece and (style.startswith("Heading") or style == "Title"):
                sections.append([cursor, piece])
        if piece:
            parts.append(piece)
            cursor += len(piece) + 2
    text = "\n\n".join(parts)
    if not text.strip():
        return Failure(str(path), "the document has no text")
    props = document.core_properties
    metadata: dict[str, Any] = {"section_offsets": sections}
    if props.author:
        metadata["authors"] = props.author
    if props.created:
        metadata["year"] = props.created.year
    doc_id, source = _file_id(path)
    title = (props.title or "").strip() or (sections[0][1] if sections else _title(text, path))
    return Document(doc_id=doc_id, title=title, text=text, source=source, metadata=metadata)


def read_pdf(path: Path) -> Document | Failure:
    """Text of every page through PDFium (pypdfium2), pages separated by blank lines; page start offsets go
    into metadata. PDFium matched pypdf's text exactly on typeset ground truth and read 4-10x more pages per
    second (bench/results/pdf_study.txt)."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            return Failure(str(path), "the PDF is encrypted; decrypt it first (e.g. qpdf --decrypt)")
        return Failure(str(path), f"not a readable PDF ({exc}); re-export it, or repair it with qpdf")
    try:
        pages = [page.get_textpage().get_text_bounded() for page in document]
        info = document.get_metadata_dict(skip_empty=True)
    except pdfium.PdfiumError as exc:
        return Failure(str(path), f"not a readable PDF ({exc}); re-export it, or repair it with qpdf")
    finally:
        document.close()
    offsets, parts, cursor = [], [], 0
    for page in pages:
        clean = page.replace("\r\n", "\n").replace("\r", "\n").strip()
        offsets.append(cursor)
        parts.append(clean)
        cursor += len(clean) + 2
    text = "\n\n".join(parts)
    if not text.strip():
        return Failure(str(path), "the PDF has no extractable text (scanned images need OCR first)")
    title = str(info.get("Title") or "").strip() or _title(text, path)
    metadata: dict[str, Any] = {"page_offsets": offsets, "pages": len(pages)}
    if info.get("Author"):
        metadata["authors"] = str(info["Author"])
    if m := YEAR.search(str(info.get("CreationDate") or "")):
        metadata["year"] = int(m.group(1))
    doc_id, source = _file_id(path)
    return Document(doc_id=doc_id, title=title, text=text, source=source, metadata=metadata)


def _title(text: str, path: Path) -> str:
    for line in text.splitlines()[:20]:
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return path.stem.replace("_", " ").replace("-", " ")
