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
                if file.suffix.lower() in TEXT_SUFFIXES | JSONL_SUFFIXES or file.name.endswith(".jsonl.gz"):
                    yield from read_file(file)
        else:
            yield from read_file(path)


def read_file(path: Path) -> Iterator[Document | Failure]:
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES or path.name.lower().endswith((".jsonl.gz", ".ndjson.gz")):
        yield from read_jsonl(path)
    elif suffix in TEXT_SUFFIXES:
        yield read_text(path)
    else:
        yield Failure(str(path), f"unsupported file type '{suffix or path.name}' (supported: .jsonl, .md, .txt)")


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
    resolved = str(path.resolve())
    return Document(doc_id=content_id("file", resolved)[:16], title=_title(text, path), text=text, source=resolved)


def _title(text: str, path: Path) -> str:
    for line in text.splitlines()[:20]:
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return path.stem.replace("_", " ").replace("-", " ")
