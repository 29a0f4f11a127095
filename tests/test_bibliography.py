"""A .bib library ingests as documents: attached PDFs with the entry's metadata on every chunk, abstracts for
entries without a file, a broken entry reported with its line while the rest go in; citations carry the key."""

from __future__ import annotations

from pathlib import Path

from conftest import make_agent

from sleuth.tools.bibliography import attachments, authors
from sleuth.tools.readers import Failure, read_paths

BIB = r"""@article{smith2020dense,
  title = {Dense {Retrieval} with \"Uber Negatives},
  author = {Smith, John and Doe, Jane},
  year = {2020},
  journal = {Journal of {IR}},
  doi = {10.1000/dense},
  file = {Full Text PDF:papers/dense.pdf:application/pdf}
}

@inproceedings{lee2021fusion,
  title = {Rank Fusion Revisited},
  author = {Lee, Kim},
  booktitle = {SIGIR},
  year = {2021},
  abstract = {Reciprocal rank fusion merges the rankings of a sparse and a dense retriever into one list.}
}

@misc{broken2022,
  title = {A broken entry
  author = Nobody

@misc{gone2023, title = {Lost File}, author = {Roe, Rich}, year = {2023}, file = {:papers/missing.pdf:PDF}}

@misc{bare2024, title = {No Text}, year = {2024}}
"""


def library(tmp_path: Path) -> Path:
    from bench.documents import pdf_bytes

    (tmp_path / "papers").mkdir()
    (tmp_path / "papers" / "dense.pdf").write_bytes(
        pdf_bytes(["Hard negatives mined by BM25 train the dense retriever.", "Page two reports recall at 100."])
    )
    path = tmp_path / "refs.bib"
    path.write_text(BIB, encoding="utf-8")
    return path


def test_a_bib_file_reads_pdfs_with_metadata_abstracts_and_reports_broken_entries(tmp_path: Path) -> None:
    path = library(tmp_path)
    items = list(read_paths([path]))
    docs = {d.doc_id: d for d in items if not isinstance(d, Failure)}
    failures = [f for f in items if isinstance(f, Failure)]

    assert set(docs) == {"bib:smith2020dense", "bib:lee2021fusion"}
    dense = docs["bib:smith2020dense"]
    assert dense.title == "Dense Retrieval with Über Negatives" and "Hard negatives" in dense.text
    assert dense.source == str(path.resolve()) and dense.metadata["file"].endswith("papers/dense.pdf")
    assert dense.metadata["authors"] == ["John Smith", "Jane Doe"] and dense.metadata["year"] == 2020
    assert dense.metadata["venue"] == "Journal of IR" and dense.metadata["doi"] == "10.1000/dense"
    assert dense.metadata["bibkey"] == "smith2020dense" and len(dense.metadata["page_offsets"]) == 2
    assert docs["bib:lee2021fusion"].text.startswith("Reciprocal rank fusion")

    said = {f.path: f.reason for f in failures}
    assert said[f"{path}:18"].startswith("entry '@misc{broken2022,' skipped: it is not valid BibTeX")
    assert "missing.pdf does not exist" in said[f"{path}#gone2023"]
    assert "no file and no abstract" in said[f"{path}#bare2024"]


def test_cited_works_from_a_bib_carry_their_key_authors_year_and_page(settings, embedder, tmp_path: Path) -> None:
    path = library(tmp_path)
    with make_agent(settings, embedder) as agent:
        report = agent.ingest([path])
        assert report.documents == 2 and len(report.failures) == 3
        hit = agent.search("hard negatives BM25 dense retriever", k=1)[0]
        assert hit.doc_id == "bib:smith2020dense" and hit.chunk.metadata["page"] == 1
        answer = agent.retrieve_only("hard negatives")
        assert "bib:smith2020dense" in answer.retrieved
        from sleuth.agent.checks.citations import reference_of

        assert reference_of(hit.chunk.metadata) == {
            "key": "smith2020dense",
            "doi": "10.1000/dense",
            "venue": "Journal of IR",
            "kind": "article",
        }
        # while the .bib has a broken entry, pruning keeps its documents: a damaged entry is not a deleted one
        path.write_text(BIB.replace("@inproceedings{lee2021fusion", "@comment{lee2021fusion"), encoding="utf-8")
        assert agent.ingest([path], prune=True).pruned == []
        # mended, the entry taken out is pruned and the unchanged one is not read into the index again
        path.write_text(BIB.split("@inproceedings")[0], encoding="utf-8")
        again = agent.ingest([path], prune=True)
        assert again.pruned == ["bib:lee2021fusion"] and again.unchanged == 1 and again.added == 0


def test_file_fields_of_zotero_jabref_and_plain_exports(tmp_path: Path) -> None:
    assert attachments("Full Text PDF:/abs/a.pdf:application/pdf;Snapshot:/abs/b.html:text/html", tmp_path) == [
        Path("/abs/a.pdf"),
        Path("/abs/b.html"),
    ]
    assert attachments(":papers/c.pdf:PDF", tmp_path) == [tmp_path / "papers/c.pdf"]
    assert attachments(r"Paper:C\:\\papers\\d.pdf:PDF", tmp_path)[0].name.endswith("d.pdf")
    assert attachments("papers/e.pdf", tmp_path) == [tmp_path / "papers/e.pdf"]
    assert authors("Smith, John and van der Berg, Ann and others") == ["John Smith", "Ann van der Berg"]


def test_answers_paste_as_markdown_with_references_and_as_bibtex_keeping_the_library_keys(
    tmp_path: Path, monkeypatch
) -> None:
    from typer.testing import CliRunner

    from sleuth.tui.cli import app

    path = library(tmp_path)
    monkeypatch.setenv("SLEUTH_LM", "scripted")
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(path), "--quiet"]).exit_code == 1  # three entries said skipped
    question = "What do hard negatives and rank fusion do?"
    markdown = runner.invoke(app, ["ask", question, "--format", "markdown"])
    assert markdown.exit_code == 0, markdown.output
    assert markdown.output.startswith(f"# {question}") and "## References" in markdown.output
    assert "Dense Retrieval with Über Negatives. John Smith, Jane Doe. Journal of IR, 2020. " in markdown.output
    assert "https://doi.org/10.1000/dense (p. 1)" in markdown.output

    bib = runner.invoke(app, ["ask", question, "--format", "bibtex"])
    assert bib.exit_code == 0
    assert "@article{smith2020dense," in bib.output and "author = {John Smith and Jane Doe}" in bib.output
    assert "@inproceedings{lee2021fusion," in bib.output and "booktitle = {SIGIR}" in bib.output
    import bibtexparser

    reparsed = bibtexparser.parse_string(bib.output)
    assert not reparsed.failed_blocks and {e.key for e in reparsed.entries} >= {"smith2020dense", "lee2021fusion"}

    wrong = runner.invoke(app, ["ask", question, "--format", "xml"])
    assert wrong.exit_code == 2 and "no format 'xml'" in wrong.output and "markdown" in wrong.output


def test_bibtex_of_works_from_plain_files_gets_made_keys_and_balanced_braces() -> None:
    from sleuth.schema import Answer, Citation
    from sleuth.tui.render import bibtex

    cited = Citation(
        n=1,
        doc_id="abc123",
        chunk_id="c",
        title="Odd {Title",
        text="t",
        score=1.0,
        source="/p/x.pdf",
        page=3,
        authors="Ann Lee, Bo Chen",
        year="2019",
    )
    text = bibtex(Answer(question="q", answer="a [1]", citations=[cited, cited.model_copy(update={"n": 2})]))
    assert text.count("@misc{") == 1 and "@misc{lee2019title," in text
    assert "title = {{Odd {Title}}}" in text and "note = {/p/x.pdf, p. 3}" in text
    import bibtexparser

    assert not bibtexparser.parse_string(text).failed_blocks
