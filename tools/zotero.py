"""A Zotero library as documents, read-only: `zotero.sqlite` is copied first (with its write-ahead log), so a
running Zotero is never locked or changed, and the copy is read with the tables and columns of Zotero's schema
(`resource/schema/userdata.sql` in Zotero's repository; Zotero 5 and later).

Every regular item (not a note, an attachment or an annotation; not in the trash) becomes one document per
attached PDF (`zotero:KEY`, then `zotero:KEY#ATTACHMENTKEY`), else one of its abstract, plus one per child note
(`zotero:KEY#note-NOTEKEY`); each carries the item's metadata: key, type, title, authors, year, venue, DOI, URL,
tags and collections. A document's digest is made from the stamps Zotero keeps (the item's and the attachment's
modification times and the file's hash), so a re-run reads only the items added or changed
(tools/ingest.Lazy), and the ingest prunes the items deleted or trashed since.
"""

from __future__ import annotations

import html
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sleuth.errors import InputError
from sleuth.schema import Document, content_id
from sleuth.tools.formats import YEAR, Failure
from sleuth.tools.ingest import Lazy

DEFAULT_DATA_DIR = Path("~/Zotero")
NEEDED = {  # table -> columns sleuth reads: a library without them is older or newer than sleuth knows
    "items": {"itemID", "itemTypeID", "key", "dateModified"},
    "itemTypes": {"itemTypeID", "typeName"},
    "fields": {"fieldID", "fieldName"},
    "itemData": {"itemID", "fieldID", "valueID"},
    "itemDataValues": {"valueID", "value"},
    "creators": {"creatorID", "firstName", "lastName"},
    "itemCreators": {"itemID", "creatorID", "orderIndex"},
    "itemAttachments": {"itemID", "parentItemID", "linkMode", "contentType", "path"},
    "itemNotes": {"itemID", "parentItemID", "note"},
    "deletedItems": {"itemID"},
    "tags": {"tagID", "name"},
    "itemTags": {"itemID", "tagID"},
    "collections": {"collectionID", "collectionName"},
    "collectionItems": {"collectionID", "itemID"},
}
SKIPPED_TYPES = {"attachment", "note", "annotation"}
BIBTEX_TYPES = {
    "journalArticle": "article",
    "magazineArticle": "article",
    "newspaperArticle": "article",
    "conferencePaper": "inproceedings",
    "book": "book",
    "bookSection": "incollection",
    "thesis": "phdthesis",
    "report": "techreport",
    "preprint": "misc",
}
VENUE_FIELDS = ("publicationTitle", "proceedingsTitle", "bookTitle", "conferenceName", "university", "institution")
LINKED_FILE = 2  # itemAttachments.linkMode: 0 imported file, 1 imported URL, 2 linked file, 3 linked URL


@dataclass
class Item:
    item_id: int
    key: str
    kind: str
    modified: str
    fields: dict[str, str] = field(default_factory=dict)
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    collections: list[str] = field(default_factory=list)

    def metadata(self) -> dict[str, Any]:
        meta: dict[str, Any] = {"zotero_key": self.key, "zotero_type": self.kind}
        meta["entry_type"] = BIBTEX_TYPES.get(self.kind, "misc")
        if self.authors:
            meta["authors"] = self.authors
        if year := YEAR.search(self.fields.get("date", "")):
            meta["year"] = int(year.group(1))
        if venue := next((self.fields[f] for f in VENUE_FIELDS if self.fields.get(f)), ""):
            meta["venue"] = venue
        for name, key in (("DOI", "doi"), ("url", "url")):
            if self.fields.get(name):
                meta[key] = self.fields[name]
        if self.tags:
            meta["tags"] = self.tags
        if self.collections:
            meta["collections"] = self.collections
        return meta


def data_dir(given: Path | None) -> Path:
    """The Zotero data directory (default ~/Zotero) and a clear error when it is not one."""
    folder = (given or DEFAULT_DATA_DIR).expanduser()
    if not (folder / "zotero.sqlite").is_file():
        raise InputError(
            f"'{folder}' is not a Zotero data directory: it has no zotero.sqlite.",
            "Give the folder Zotero shows under Settings > Advanced > Files and Folders > Data Directory "
            "(sleuth ingest --zotero PATH).",
        )
    return folder


@contextmanager
def library_copy(folder: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a copy of the library (and its WAL): Zotero may be running and hold its lock."""
    with tempfile.TemporaryDirectory(prefix="sleuth-zotero-") as tmp:
        for suffix in ("", "-wal"):
            if (folder / f"zotero.sqlite{suffix}").exists():
                shutil.copy2(folder / f"zotero.sqlite{suffix}", Path(tmp) / f"zotero.sqlite{suffix}")
        connection = sqlite3.connect(Path(tmp) / "zotero.sqlite")
        try:
            check_schema(connection, folder)
            yield connection
        except sqlite3.DatabaseError as exc:
            raise InputError(
                f"{folder / 'zotero.sqlite'} cannot be read as a Zotero library ({exc}).",
                "Check the file in Zotero (Help > Troubleshooting > Check Database Integrity), then try again.",
            ) from exc
        finally:
            connection.close()


def check_schema(connection: sqlite3.Connection, folder: Path) -> None:
    missing = []
    for table, columns in NEEDED.items():
        have = {row[1] for row in connection.execute(f"pragma table_info({table})")}
        missing += [f"{table}.{c}" for c in sorted(columns - have)]
    if missing:
        version = ""
        try:
            row = connection.execute("select version from version where schema = 'userdata'").fetchone()
            version = f" (userdata schema {row[0]})" if row else ""
        except sqlite3.DatabaseError:
            pass
        raise InputError(
            f"{folder / 'zotero.sqlite'} is a Zotero library{version} whose schema sleuth does not know: it lacks "
            f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}.",
            "sleuth reads Zotero 5 to 7 libraries: upgrade the library by opening it in Zotero 7, or export it "
            "as BibTeX with files (sleuth ingest library.bib).",
        )


def items(connection: sqlite3.Connection, collection: str = "", tag: str = "") -> list[Item]:
    """The library's regular items not in the trash, optionally only those in a collection or with a tag."""
    rows = connection.execute(
        "select i.itemID, i.key, t.typeName, i.dateModified from items i join itemTypes t using (itemTypeID) "
        "where i.itemID not in (select itemID from deletedItems) order by i.itemID"
    ).fetchall()
    found = {r[0]: Item(r[0], r[1], r[2], str(r[3])) for r in rows if r[2] not in SKIPPED_TYPES}
    for item_id, name, value in connection.execute(
        "select d.itemID, f.fieldName, v.value from itemData d join fields f using (fieldID) "
        "join itemDataValues v using (valueID)"
    ):
        if item_id in found:
            found[item_id].fields[name] = str(value)
    for item_id, first, last in connection.execute(
        "select ic.itemID, c.firstName, c.lastName from itemCreators ic join creators c using (creatorID) "
        "order by ic.itemID, ic.orderIndex"
    ):
        if item_id in found:
            found[item_id].authors.append(" ".join(p for p in (first, last) if p))
    for item_id, name in connection.execute("select it.itemID, t.name from itemTags it join tags t using (tagID)"):
        if item_id in found:
            found[item_id].tags.append(str(name))
    for item_id, name in connection.execute(
        "select ci.itemID, c.collectionName from collectionItems ci join collections c using (collectionID)"
    ):
        if item_id in found:
            found[item_id].collections.append(str(name))
    chosen = list(found.values())
    if collection:
        chosen = [i for i in chosen if collection.lower() in (c.lower() for c in i.collections)]
    if tag:
        chosen = [i for i in chosen if tag.lower() in (t.lower() for t in i.tags)]
    return chosen


def read_zotero(folder: Path, collection: str = "", tag: str = "") -> Iterator[Document | Lazy | Failure]:
    """Every chosen item's documents (see the module docstring), each PDF a `Lazy` read only if it is new or
    changed. The library is read (and checked) here, at once: a directory that is not a Zotero one, a schema sleuth
    does not know, a collection or tag that names nothing are errors before anything is ingested."""
    source = str((folder / "zotero.sqlite").resolve())
    with library_copy(folder) as connection:
        chosen = items(connection, collection, tag)
        _check_choice(connection, chosen, collection, tag)
        attachments = connection.execute(
            "select a.parentItemID, i.key, a.linkMode, a.contentType, a.path, i.dateModified, "
            "a.storageModTime, a.storageHash from itemAttachments a join items i using (itemID) "
            "where a.itemID not in (select itemID from deletedItems) order by a.itemID"
        ).fetchall()
        notes = connection.execute(
            "select n.parentItemID, i.key, n.note, i.dateModified from itemNotes n join items i using (itemID) "
            "where n.itemID not in (select itemID from deletedItems) order by n.itemID"
        ).fetchall()
    return _documents(folder, source, chosen, attachments, notes)


def _documents(
    folder: Path, source: str, chosen: list[Item], attachments: list[tuple[Any, ...]], notes: list[tuple[Any, ...]]
) -> Iterator[Document | Lazy | Failure]:
    by_parent: dict[int, list[tuple[Any, ...]]] = {}
    for row in attachments:
        by_parent.setdefault(row[0], []).append(row)
    notes_of: dict[int, list[tuple[Any, ...]]] = {}
    for row in notes:
        notes_of.setdefault(row[0], []).append(row)
    for item in chosen:
        yield from _item_documents(folder, source, item, by_parent.get(item.item_id, []))
        for _, note_key, note, _ in notes_of.get(item.item_id, []):
            text = note_text(note or "")
            if text:
                yield Document(
                    doc_id=f"zotero:{item.key}#note-{note_key}",
                    title=f"Note on {item.fields.get('title') or item.key}",
                    text=text,
                    source=source,
                    metadata={**item.metadata(), "note": note_key},
                )


def _item_documents(
    folder: Path, source: str, item: Item, attached: list[tuple[Any, ...]]
) -> Iterator[Document | Lazy | Failure]:
    title = item.fields.get("title") or item.key
    pdfs = [row for row in attached if (row[3] or "") == "application/pdf" and row[4]]
    for number, (_, key, link_mode, _, path, modified, mod_time, file_hash) in enumerate(pdfs):
        file = _attachment_path(folder, key, link_mode, path)
        doc_id = f"zotero:{item.key}" if number == 0 else f"zotero:{item.key}#{key}"
        metadata = {**item.metadata(), "attachment": key}
        stamps = (item.modified, modified, str(mod_time), str(file_hash), repr(sorted(metadata.items())))
        digest = content_id("zotero", doc_id, *stamps)[:16]
        yield Lazy(doc_id, digest, lambda f=file, d=doc_id, m=metadata: _read_pdf(f, d, title, source, m))
    abstract = item.fields.get("abstractNote", "").strip()
    if not pdfs and abstract:
        yield Document(doc_id=f"zotero:{item.key}", title=title, text=abstract, source=source, metadata=item.metadata())
    elif not pdfs:
        yield Failure(f"{source}#{item.key}", f"the item '{title}' has no PDF and no abstract: nothing to read")


def _read_pdf(file: Path, doc_id: str, title: str, source: str, metadata: dict[str, Any]) -> Document | Failure:
    from sleuth.tools.formats import read_pdf

    if not file.is_file():
        return Failure(f"{source}#{metadata['zotero_key']}", f"its PDF {file} is missing; sync or relink it in Zotero")
    read = read_pdf(file)
    if isinstance(read, Failure):
        return Failure(f"{source}#{metadata['zotero_key']}", f"its PDF {file}: {read.reason}")
    return Document(
        doc_id=doc_id,
        title=title,
        text=read.text,
        source=source,
        metadata={**read.metadata, **metadata, "file": str(file)},
    )


def _attachment_path(folder: Path, key: str, link_mode: int, path: str) -> Path:
    """`storage:paper.pdf` lives in DATA_DIR/storage/KEY/; a linked file's path is absolute (or, with Zotero's
    base directory, `attachments:relative`, which sleuth cannot resolve and reports missing)."""
    if path.startswith("storage:"):
        return folder / "storage" / key / path.removeprefix("storage:")
    if link_mode == LINKED_FILE and not path.startswith("attachments:"):
        return Path(path)
    return folder / "storage" / key / Path(path.split(":", 1)[-1]).name


def note_text(note: str) -> str:
    """A Zotero note (HTML) as text: tags dropped, paragraphs kept, entities decoded."""
    text = re.sub(r"(?i)<br\s*/?>|</p>|</h\d>|</li>|</div>", "\n", note)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _check_choice(connection: sqlite3.Connection, chosen: list[Item], collection: str, tag: str) -> None:
    if chosen or not (collection or tag):
        return
    if collection:
        names = sorted({r[0] for r in connection.execute("select collectionName from collections")})
        raise InputError(
            f"The Zotero library has no items in a collection '{collection}'.",
            f"Its collections: {', '.join(names) or 'none'}.",
        )
    names = sorted({r[0] for r in connection.execute("select name from tags")})
    raise InputError(
        f"The Zotero library has no items tagged '{tag}'.", f"Its tags: {', '.join(names[:20]) or 'none'}."
    )
