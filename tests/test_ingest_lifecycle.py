"""Documents over time: changed files replace their chunks, removed files are pruned, a killed ingest resumes;
and the readers for DOCX, CSV and configurable JSONL records, with sections and metadata."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_agent
from typer.testing import CliRunner

from sleuth.tools.readers import Failure, Fields, read_paths
from sleuth.tui.cli import app


def _notes(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bm25.md").write_text(
        "# BM25\n\nBM25 scores documents by term frequency and inverse document frequency.\n"
    )
    (folder / "dpr.md").write_text(
        "# DPR\n\nDense passage retrieval embeds questions and passages with two encoders.\n"
    )
    return folder


def _texts(agent) -> set[str]:
    return {ref.source.rsplit("/", 1)[-1] + ":" + ref.doc_hash for ref in agent.index.chunks_of()}


def test_a_changed_file_replaces_its_chunks(settings, embedder, tmp_path: Path) -> None:
    folder = _notes(tmp_path / "notes")
    with make_agent(settings, embedder) as agent:
        agent.ingest([folder])
        before = agent.index.count()
        (folder / "bm25.md").write_text("# BM25\n\nBM25 has two parameters: k1 for saturation and b for length.\n")
        report = agent.ingest([folder])
        assert (report.replaced, report.unchanged) == (1, 1)
        assert agent.index.count() == before
        hits = agent.search("k1 saturation parameter", k=1)
        assert "k1 for saturation" in hits[0].chunk.text
        assert not [h for h in agent.search("term frequency", k=10) if "inverse document" in h.chunk.text]


def test_prune_drops_documents_whose_files_are_gone_and_keeps_damaged_ones(settings, embedder, tmp_path) -> None:
    folder = _notes(tmp_path / "notes")
    (folder / "hybrid.txt").write_text("Hybrid search fuses BM25 and dense rankings.\n")
    with make_agent(settings, embedder) as agent:
        agent.ingest([folder])
        (folder / "dpr.md").unlink()
        (folder / "hybrid.txt").write_bytes(b"\xff\xfe\x00junk")  # damaged now, but still there
        report = agent.ingest([folder], prune=True)
        assert len(report.pruned) == 1 and len(report.failures) == 1
        sources = {ref.source.rsplit("/", 1)[-1] for ref in agent.index.chunks_of()}
        assert sources == {"bm25.md", "hybrid.txt"}


def test_records_taken_out_of_a_jsonl_file_are_pruned(settings, embedder, tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    rows = [{"_id": f"d{i}", "title": f"T{i}", "text": f"Passage number {i} about retrieval."} for i in range(3)]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with make_agent(settings, embedder) as agent:
        agent.ingest([corpus])
        corpus.write_text("".join(json.dumps(r) + "\n" for r in rows[:2]))
        report = agent.ingest([corpus], prune=True)
        assert report.pruned == ["d2"] and agent.index.document_count() == 2


def test_sleuth_remove_by_id_and_by_folder(settings, embedder, tmp_path: Path, monkeypatch) -> None:
    folder = _notes(tmp_path / "notes")
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", "-q", str(folder)]).exit_code == 0
    doc_id = next(iter(read_paths([folder / "bm25.md"]))).doc_id
    result = runner.invoke(app, ["remove", "no-such-doc"])
    assert result.exit_code == 1 and "Nothing matched" in result.output
    result = runner.invoke(app, ["remove", doc_id, "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["removed"] == [doc_id]
    result = runner.invoke(app, ["remove", str(folder), "--json"])
    assert json.loads(result.output)["chunks"] == 1


KILLABLE = """
import sys
from pathlib import Path
from sleuth.agent.api import ResearchAgent
from sleuth.settings import Settings

settings = Settings(home=Path(sys.argv[1]))
settings.index.batch_size = 8
with ResearchAgent(settings) as agent:
    agent.ingest([Path(sys.argv[2])], on_progress=lambda r: print(r.added, flush=True))
"""


def test_an_ingest_killed_mid_run_resumes_with_no_chunk_lost_or_duplicated(sleuth_home, embedder, tmp_path) -> None:
    corpus = tmp_path / "big.jsonl"
    with corpus.open("w") as handle:
        for i in range(400):
            text = f"Document {i} discusses topic {i % 17} in retrieval research, with detail {i * 7}."
            handle.write(json.dumps({"_id": f"d{i}", "title": f"Doc {i}", "text": text}) + "\n")
    child = subprocess.Popen(
        [sys.executable, "-c", KILLABLE, str(sleuth_home), str(corpus)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    while int(child.stdout.readline() or 0) < 64:  # some batches are in, most are not
        pass
    child.send_signal(signal.SIGKILL)
    child.wait()
    from sleuth.settings import Settings

    with make_agent(Settings(home=sleuth_home), embedder) as agent:
        partial = agent.index.count()
        assert 0 < partial < 400
        report = agent.ingest([corpus])
        assert report.unchanged == partial and report.added == 400 - partial
        assert agent.index.count() == agent.index.document_count() == 400
        ids = [ref.chunk_id for ref in agent.index.chunks_of()]
        assert len(ids) == len(set(ids)) == 400


def test_csv_and_jsonl_records_with_configured_fields(tmp_path: Path) -> None:
    table = tmp_path / "papers.csv"
    table.write_text('pmid,headline,abstract,year\n1,"BM25","BM25 weighs terms.",1994\n2,"Empty","",2001\n')
    records = tmp_path / "notes.jsonl"
    records.write_text(json.dumps({"uid": "n1", "body": "Dense retrieval.", "venue": "SIGIR"}) + "\n")
    fields = Fields(id="pmid", title="headline", text="abstract", metadata=("venue",))
    items = list(read_paths([table], fields))
    doc = items[0]
    assert (doc.doc_id, doc.title, doc.text, doc.metadata["year"]) == ("1", "BM25", "BM25 weighs terms.", "1994")
    assert isinstance(items[1], Failure) and "papers.csv:3" in items[1].path
    note = next(iter(read_paths([records], Fields(id="uid", text="body", metadata=("venue",)))))
    assert (note.doc_id, note.metadata["venue"]) == ("n1", "SIGIR")
    missing = list(read_paths([table]))  # default fields: no 'text' column
    assert isinstance(missing[0], Failure) and "--field text=" in missing[0].reason


def test_cli_field_option_reads_a_csv(tmp_path: Path) -> None:
    table = tmp_path / "papers.csv"
    table.write_text("pmid,abstract\n7,Sparse retrieval with learned term weights.\n")
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", "-q", str(table), "--field", "id=pmid", "--field", "text=abstract"])
    assert result.exit_code == 0, result.output
    found = json.loads(runner.invoke(app, ["search", "learned term weights", "--json"]).output)
    assert found[0]["doc_id"] == "7"
    bad = runner.invoke(app, ["ingest", str(table), "--field", "body"])
    assert bad.exit_code == 2 and "KEY=NAME" in bad.output


def test_docx_keeps_headings_as_sections_and_tables_as_text(settings, embedder, tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.author = "Ada Lovelace"
    document.add_heading("Methods", level=1)
    document.add_paragraph("We index passages with BM25 and a dense encoder.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "model", "nDCG"
    table.cell(1, 0).text, table.cell(1, 1).text = "hybrid", "0.74"
    document.add_heading("Results", level=1)
    document.add_paragraph("Hybrid fusion beats either retriever alone.")
    path = tmp_path / "report.docx"
    document.save(str(path))
    (tmp_path / "fake.docx").write_bytes(b"not a zip file")
    items = list(read_paths([tmp_path]))
    assert isinstance(items[0], Failure) and "fake.docx" in items[0].path
    doc = items[1]
    assert doc.title == "Methods" and doc.metadata["authors"] == "Ada Lovelace"
    assert "hybrid | 0.74" in doc.text
    with make_agent(settings, embedder) as agent:
        agent.ingest([path])
        hits = agent.search("hybrid fusion beats", k=3)
        sections = {h.chunk.metadata.get("section") for h in hits}
        assert "Results" in sections
        top = hits[0].chunk
        assert doc.text[top.start : top.end] == top.text


def test_markdown_sections_and_front_matter(settings, embedder, tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_text(
        "---\ntitle: Retrieval notes\nauthors: A. Author\nyear: 2021\n---\n"
        "# Sparse\n\nBM25 is lexical.\n\n# Dense\n\nDPR embeds passages.\n"
    )
    doc = next(iter(read_paths([note])))
    assert (doc.title, doc.metadata["authors"], doc.metadata["year"]) == ("Retrieval notes", "A. Author", "2021")
    with make_agent(settings, embedder) as agent:
        agent.ingest([note])
        chunks = sorted(agent.search("passages lexical", k=5), key=lambda h: h.chunk.start)
        assert [h.chunk.metadata["section"] for h in chunks] == ["Sparse", "Dense"]
        assert all("year" in h.chunk.metadata for h in chunks)
        assert agent.search("embeds", k=1, filters={"section": "Dense"})[0].chunk.metadata["section"] == "Dense"


@pytest.mark.parametrize(
    "name,data,reason", [("empty.csv", b"", "empty"), ("latin.csv", b"text\n\xe9t\xe9\n", "UTF-8")]
)
def test_bad_csv_files_are_named_with_their_reason(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    (tmp_path / name).write_bytes(data)
    failure = next(iter(read_paths([tmp_path / name])))
    assert isinstance(failure, Failure) and reason in failure.reason


def test_every_kind_of_bad_file_is_named_with_its_reason_and_the_rest_ingested(settings, embedder, tmp_path) -> None:
    from pypdf import PdfWriter

    folder = _notes(tmp_path / "mixed")
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret", algorithm="RC4-128")
    with (folder / "locked.pdf").open("wb") as handle:
        writer.write(handle)
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20)
    (folder / "junk.txt").write_bytes(b"\x00\x01\x02binary" * 50)
    (folder / "empty.md").write_text("")
    (folder / "latin1.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    with (folder / "huge.txt").open("wb") as handle:
        handle.truncate(50 << 20)  # 50 MB (sparse)
    with make_agent(settings, embedder) as agent:
        report = agent.ingest([folder])
    reasons = {Path(f.path).name: f.reason for f in report.failures}
    assert "encrypted" in reasons["locked.pdf"] and "not a readable PDF" in reasons["corrupt.pdf"]
    assert "binary" in reasons["junk.txt"] and "empty" in reasons["empty.md"]
    assert "UTF-8" in reasons["latin1.txt"] and "MAX_FILE_MB" in reasons["huge.txt"]
    assert report.documents == 2 and len(reasons) == 6
    result = CliRunner().invoke(app, ["ingest", "-q", str(folder)])
    flat = "".join(result.output.split())  # the console wraps long paths
    assert result.exit_code == 1 and "6input(s)couldnotbeingested" in flat
    assert all(name in flat for name in reasons)


def test_the_progress_estimate_counts_records_and_files(tmp_path: Path) -> None:
    from sleuth.tools.readers import estimate_documents

    (tmp_path / "a.jsonl").write_text('{"text": "x"}\n{"text": "y"}\n{"text": "z"}\n')
    (tmp_path / "b.csv").write_text("text\nx\ny\n")
    (tmp_path / "c.md").write_text("# note\n")
    (tmp_path / "skip.bin").write_bytes(b"\x00")
    assert estimate_documents([tmp_path]) == 3 + 2 + 1


def test_hnsw_is_built_after_an_ingest_that_grows_a_large_collection(settings, embedder, corpus_file, monkeypatch):
    settings.index.hnsw_from_chunks = 6
    with make_agent(settings, embedder) as agent:
        built: list[int] = []
        monkeypatch.setattr(type(agent.index), "optimize", lambda self: built.append(self.count()) or True)
        agent.ingest([corpus_file])
        agent.ingest([corpus_file])  # nothing changed: nothing to build
        assert built == [6]


def test_bf16_embeddings_agree_with_fp32() -> None:

    from sleuth.tools.embedder import Embedder

    texts = ["BM25 weighs terms by frequency.", "Dense retrieval embeds passages.", "Sourdough ferments slowly."]
    full, half = Embedder(precision="fp32"), Embedder(precision="bf16")
    assert not full.bf16 and half.bf16
    agreement = (full.embed(texts) * half.embed(texts)).sum(axis=1)
    assert agreement.min() > 0.999


def test_a_page_cannot_choose_its_own_source(settings, embedder, tmp_path: Path) -> None:
    """An HTML file's og:url once replaced its path as the document's source: `remove FILE` then found nothing
    and `ingest --prune` never dropped it after the file was deleted."""
    folder = tmp_path / "pages"
    folder.mkdir()
    page = folder / "fusion.html"
    page.write_text(
        '<html><head><title>Fusion</title><meta property="og:url" content="https://example.org/elsewhere">'
        "</head><body><p>Reciprocal rank fusion merges ranked lists from BM25 and dense retrievers.</p></body></html>"
    )
    with make_agent(settings, embedder) as agent:
        agent.ingest([folder])
        [hit] = agent.search("reciprocal rank fusion", k=1)
        assert hit.chunk.source == str(page.resolve()) or hit.chunk.source.endswith("fusion.html")
        page.unlink()
        report = agent.ingest([folder], prune=True)
        assert len(report.pruned) == 1
