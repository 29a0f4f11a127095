"""A Zotero data directory written from scratch for tests and benchmarks: `zotero.sqlite` with the tables and
columns of Zotero's schema that a reader of items touches (Zotero 5+, `resource/schema/userdata.sql` read as
reference, not copied), and `storage/KEY/NAME.pdf` for imported PDFs.

    write_library(folder, [ZItem("ABCD1234", "Dense retrieval", pages=["..."], tags=["ir"]), ...])
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

TABLES = """
create table version (schema text primary key, version int not null);
create table itemTypes (itemTypeID integer primary key, typeName text, templateItemTypeID int, display int);
create table fields (fieldID integer primary key, fieldName text, fieldFormatID int);
create table items (itemID integer primary key, itemTypeID int not null, dateAdded timestamp, dateModified timestamp,
    clientDateModified timestamp, libraryID int not null, key text not null, version int not null default 0,
    synced int not null default 0, unique (libraryID, key));
create table itemDataValues (valueID integer primary key, value unique);
create table itemData (itemID int, fieldID int, valueID, primary key (itemID, fieldID));
create table creators (creatorID integer primary key, firstName text, lastName text, fieldMode int,
    unique (lastName, firstName, fieldMode));
create table itemCreators (itemID int not null, creatorID int not null, creatorTypeID int not null default 1,
    orderIndex int not null default 0, primary key (itemID, creatorID, creatorTypeID, orderIndex));
create table itemAttachments (itemID integer primary key, parentItemID int, linkMode int, contentType text,
    charsetID int, path text, syncState int default 0, storageModTime int, storageHash text,
    lastProcessedModificationTime int);
create table itemNotes (itemID integer primary key, parentItemID int, note text, title text);
create table deletedItems (itemID integer primary key, dateDeleted default current_timestamp not null);
create table tags (tagID integer primary key, name text not null unique);
create table itemTags (itemID int not null, tagID int not null, type int not null, primary key (itemID, tagID));
create table collections (collectionID integer primary key, collectionName text not null, parentCollectionID int,
    clientDateModified timestamp, libraryID int not null, key text not null, version int not null default 0,
    synced int not null default 0);
create table collectionItems (collectionID int not null, itemID int not null, orderIndex int not null default 0,
    primary key (collectionID, itemID));
"""
TYPES = {1: "note", 2: "attachment", 3: "journalArticle", 4: "conferencePaper", 5: "book", 6: "preprint"}
FIELDS = {1: "title", 2: "abstractNote", 3: "date", 4: "DOI", 5: "url", 6: "publicationTitle", 7: "proceedingsTitle"}


@dataclass
class ZItem:
    key: str
    title: str
    kind: str = "journalArticle"
    authors: list[tuple[str, str]] = field(default_factory=list)  # (first, last)
    date: str = ""
    doi: str = ""
    venue: str = ""
    abstract: str = ""
    pages: list[str] | None = None  # an imported PDF with these pages
    notes: list[str] = field(default_factory=list)  # HTML
    tags: list[str] = field(default_factory=list)
    collections: list[str] = field(default_factory=list)
    trashed: bool = False
    modified: str = "2024-01-01 00:00:00"


def write_library(folder: Path, items: list[ZItem]) -> Path:
    """Write (or rewrite) `folder`/zotero.sqlite and the PDFs; returns the database's path."""
    from bench.documents import pdf_bytes

    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "zotero.sqlite"
    db.unlink(missing_ok=True)
    con = sqlite3.connect(db)
    con.executescript(TABLES)
    con.execute("insert into version values ('userdata', 120)")
    con.executemany("insert into itemTypes values (?, ?, null, 1)", TYPES.items())
    con.executemany("insert into fields values (?, ?, null)", FIELDS.items())
    type_ids = {name: i for i, name in TYPES.items()}
    field_ids = {name: i for i, name in FIELDS.items()}
    next_id = iter(range(1, 1_000_000))
    values: dict[str, int] = {}
    collections: dict[str, int] = {}
    tags: dict[str, int] = {}

    def add_item(kind: str, key: str, modified: str) -> int:
        item_id = next(next_id)
        con.execute(
            "insert into items values (?, ?, ?, ?, ?, 1, ?, 1, 1)",
            (item_id, type_ids[kind], modified, modified, modified, key),
        )
        return item_id

    for item in items:
        item_id = add_item(item.kind, item.key, item.modified)
        venue_field = "proceedingsTitle" if item.kind == "conferencePaper" else "publicationTitle"
        for name, value in (
            ("title", item.title),
            ("abstractNote", item.abstract),
            ("date", item.date),
            ("DOI", item.doi),
            (venue_field, item.venue),
        ):
            if value:
                if value not in values:
                    values[value] = len(values) + 1
                    con.execute("insert into itemDataValues values (?, ?)", (values[value], value))
                con.execute("insert into itemData values (?, ?, ?)", (item_id, field_ids[name], values[value]))
        for order, (first, last) in enumerate(item.authors):
            con.execute(
                "insert or ignore into creators (firstName, lastName, fieldMode) values (?, ?, 0)", (first, last)
            )
            (creator,) = con.execute(
                "select creatorID from creators where firstName = ? and lastName = ?", (first, last)
            ).fetchone()
            con.execute("insert into itemCreators values (?, ?, 1, ?)", (item_id, creator, order))
        for name in item.tags:
            if name not in tags:
                tags[name] = len(tags) + 1
                con.execute("insert into tags values (?, ?)", (tags[name], name))
            con.execute("insert into itemTags values (?, ?, 0)", (item_id, tags[name]))
        for name in item.collections:
            if name not in collections:
                collections[name] = len(collections) + 1
                con.execute(
                    "insert into collections values (?, ?, null, '', 1, ?, 1, 1)",
                    (collections[name], name, f"C{collections[name]:07d}"),
                )
            con.execute("insert into collectionItems values (?, ?, 0)", (collections[name], item_id))
        if item.pages is not None:
            key = "A" + item.key[1:8]  # keys stay the same when the library is rewritten
            attachment = add_item("attachment", key, item.modified)
            (folder / "storage" / key).mkdir(parents=True, exist_ok=True)
            data = pdf_bytes(item.pages, item.title)
            (folder / "storage" / key / "paper.pdf").write_bytes(data)
            con.execute(
                "insert into itemAttachments values "
                "(?, ?, 0, 'application/pdf', null, 'storage:paper.pdf', 0, ?, ?, null)",
                (attachment, item_id, len(data), hashlib.md5(data).hexdigest()),
            )
        for i, note in enumerate(item.notes):
            note_id = add_item("note", "N" + item.key[-5:] + f"{i:02d}", item.modified)
            con.execute("insert into itemNotes values (?, ?, ?, '')", (note_id, item_id, note))
        if item.trashed:
            con.execute("insert into deletedItems (itemID) values (?)", (item_id,))
    con.commit()
    con.close()
    return db
