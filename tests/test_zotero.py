"""A Zotero library ingests read-only: each item's PDFs (else its abstract) and notes with the item's metadata on
every chunk; a re-run reads only added and changed items and drops deleted and trashed ones; a directory that is
not a library, a schema sleuth does not know, a missing PDF: clear messages, nothing half-ingested."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from conftest import make_agent

from bench.zotero_library import ZItem, write_library
from sleuth.errors import InputError


def items() -> list[ZItem]:
    return [
        ZItem(
            "DENSE001",
            "Dense Passage Retrieval",
            authors=[("Vladimir", "Karpukhin"), ("Barlas", "Oguz")],
            date="2020-11-16",
            doi="10.18653/v1/2020.emnlp-main.550",
            venue="EMNLP",
            kind="conferencePaper",
            pages=["Dense passage retrieval trains two BERT encoders with in-batch negatives.", "Top-20 accuracy."],
            tags=["retrieval"],
            collections=["Retrieval"],
        ),
        ZItem(
            "FUSION02",
            "Reciprocal Rank Fusion",
            authors=[("Gordon", "Cormack")],
            date="2009",
            venue="SIGIR",
            abstract="Reciprocal rank fusion merges rankings by summing inverse ranks.",
            tags=["fusion"],
        ),
        ZItem(
            "COLBERT3",
            "ColBERT",
            date="2020",
            pages=["ColBERT keeps one embedding per token and scores passages by MaxSim."],
            notes=["<p>Read this for <b>late interaction</b> &amp; pruning.</p>"],
            collections=["Retrieval"],
        ),
        ZItem("TRASHED4", "A Trashed Paper", pages=["Sourdough fermentation takes hours."], trashed=True),
        ZItem("EMPTY005", "Only A Title"),
    ]


def fingerprint(folder: Path) -> str:
    return hashlib.sha256((folder / "zotero.sqlite").read_bytes()).hexdigest()


def test_a_zotero_library_ingests_items_pdfs_abstracts_and_notes_with_their_metadata(
    settings, embedder, tmp_path: Path
) -> None:
    folder = tmp_path / "Zotero"
    write_library(folder, items())
    before = fingerprint(folder)
    with make_agent(settings, embedder) as agent:
        report = agent.ingest_zotero(folder)
        assert fingerprint(folder) == before and not (folder / "zotero.sqlite-journal").exists()  # never written
        assert report.documents == 4 and report.unchanged == 0
        assert [f.reason for f in report.failures] == [
            "the item 'Only A Title' has no PDF and no abstract: nothing to read"
        ]
        ids = {r.doc_id for r in agent.index.chunks_of()}
        assert ids == {"zotero:DENSE001", "zotero:FUSION02", "zotero:COLBERT3", "zotero:COLBERT3#note-NBERT300"}

        hit = agent.search("in-batch negatives BERT encoders", k=1)[0]
        meta = hit.chunk.metadata
        assert hit.doc_id == "zotero:DENSE001" and meta["page"] == 1 and hit.chunk.title == "Dense Passage Retrieval"
        assert meta["authors"] == ["Vladimir Karpukhin", "Barlas Oguz"] and meta["year"] == 2020
        assert meta["doi"] == "10.18653/v1/2020.emnlp-main.550" and meta["venue"] == "EMNLP"
        assert meta["tags"] == ["retrieval"] and meta["collections"] == ["Retrieval"]
        assert meta["zotero_key"] == "DENSE001" and meta["entry_type"] == "inproceedings"
        note = agent.search("late interaction pruning", k=1, filters={"doc_id": "zotero:COLBERT3#note-NBERT300"})[0]
        assert note.chunk.text == "Read this for late interaction & pruning."
        from sleuth.agent.checks.citations import reference_of

        assert reference_of(meta)["key"] == "DENSE001"


def test_a_rerun_reads_only_changed_items_and_drops_deleted_and_trashed_ones(
    settings, embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sleuth.tools.zotero as zotero

    folder = tmp_path / "Zotero"
    library = items()
    write_library(folder, library)
    reads: list[str] = []
    real = zotero._read_pdf
    monkeypatch.setattr(zotero, "_read_pdf", lambda f, d, *rest: reads.append(d) or real(f, d, *rest))
    with make_agent(settings, embedder) as agent:
        agent.ingest_zotero(folder)
        assert sorted(reads) == ["zotero:COLBERT3", "zotero:DENSE001"]

        reads.clear()
        again = agent.ingest_zotero(folder)
        assert reads == [] and again.unchanged == 4 and again.added == 0 and again.pruned == []

        # ColBERT's PDF changes; the fusion paper is deleted; DPR moves to the trash
        library[2].pages, library[2].modified = ["ColBERTv2 adds residual compression."], "2024-06-01 00:00:00"
        library[0].trashed = True
        write_library(folder, [library[0], library[2], library[3], library[4]])
        reads.clear()
        changed = agent.ingest_zotero(folder)
        assert reads == ["zotero:COLBERT3"] and changed.replaced == 1
        assert changed.pruned == ["zotero:DENSE001", "zotero:FUSION02"]
        assert "residual compression" in agent.search("residual compression", k=1)[0].chunk.text


def test_part_of_a_library_by_collection_or_tag_and_a_missing_pdf(settings, embedder, tmp_path: Path) -> None:
    folder = tmp_path / "Zotero"
    write_library(folder, items())
    (folder / "storage" / "AOLBERT3" / "paper.pdf").unlink()  # ColBERT's file never synced
    with make_agent(settings, embedder) as agent:
        report = agent.ingest_zotero(folder, collection="retrieval")
        assert {r.doc_id for r in agent.index.chunks_of()} == {"zotero:DENSE001", "zotero:COLBERT3#note-NBERT300"}
        assert any("paper.pdf is missing; sync or relink it in Zotero" in f.reason for f in report.failures)
        agent.ingest_zotero(folder, tag="fusion")
        assert "zotero:FUSION02" in {r.doc_id for r in agent.index.chunks_of()}
        with pytest.raises(InputError, match="no items in a collection 'Reading'.*Its collections: Retrieval"):
            agent.ingest_zotero(folder, collection="Reading")


def test_what_is_not_a_zotero_library_is_said_before_anything_is_ingested(settings, embedder, tmp_path: Path) -> None:
    with make_agent(settings, embedder) as agent:
        with pytest.raises(InputError, match="is not a Zotero data directory: it has no zotero.sqlite"):
            agent.ingest_zotero(tmp_path)
        (tmp_path / "zotero.sqlite").write_bytes(b"not a database at all" * 100)
        with pytest.raises(InputError, match="cannot be read as a Zotero library"):
            agent.ingest_zotero(tmp_path)
        folder = tmp_path / "newer"
        write_library(folder, items())
        con = sqlite3.connect(folder / "zotero.sqlite")
        con.execute("alter table itemAttachments rename column contentType to mediaType")  # a schema of tomorrow
        con.execute("update version set version = 999")
        con.commit()
        con.close()
        with pytest.raises(InputError, match=r"userdata schema 999\) whose schema sleuth does not know.*contentType"):
            agent.ingest_zotero(folder)
        assert not agent.index.exists() or agent.index.count() == 0


def test_the_command_line_reads_a_zotero_library(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sleuth.tui.cli import app

    folder = tmp_path / "Zotero"
    write_library(folder, items()[:3])
    result = CliRunner().invoke(app, ["ingest", "--zotero", str(folder), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "4 new, 0 changed, 0 unchanged" in " ".join(result.output.split())  # three items and a note
    search = CliRunner().invoke(app, ["search", "MaxSim", "--json"])
    assert '"zotero:COLBERT3"' in search.output
    wrong = CliRunner().invoke(app, ["ingest", "--zotero", str(tmp_path / "nowhere")])
    assert wrong.exit_code == 2 and "not a Zotero data directory" in wrong.output


def test_a_library_zotero_holds_locked_is_read_from_its_copy(settings, embedder, tmp_path: Path) -> None:
    """A running Zotero keeps an exclusive lock on zotero.sqlite; sleuth reads a copy and never waits on it."""
    folder = tmp_path / "Zotero"
    write_library(folder, items()[:2])
    zotero_itself = sqlite3.connect(folder / "zotero.sqlite")
    zotero_itself.execute("pragma locking_mode = exclusive")
    zotero_itself.execute("begin exclusive")
    try:
        with make_agent(settings, embedder) as agent:
            assert agent.ingest_zotero(folder).documents == 2
    finally:
        zotero_itself.rollback()
        zotero_itself.close()
