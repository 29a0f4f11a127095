from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_agent

from sleuth.errors import NoCollectionError
from sleuth.tools.readers import Failure, read_paths


def test_bad_jsonl_lines_are_reported_with_line_numbers_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(
        '{"_id": "a", "title": "A", "text": "alpha"}\n{not json\n\n{"_id": "b", "text": ""}\n'
        '{"_id": "c", "text": "gamma"}\n'
    )
    items = list(read_paths([path]))
    docs = [i for i in items if not isinstance(i, Failure)]
    failures = [i for i in items if isinstance(i, Failure)]
    assert [d.doc_id for d in docs] == ["a", "c"]
    assert [f.path for f in failures] == [f"{path}:2", f"{path}:4"]
    assert "not valid JSON" in failures[0].reason


def test_folders_of_markdown_and_text_keep_titles_and_report_junk(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text("# Fusion notes\n\nRRF merges rankings.")
    (tmp_path / "notes" / "b.txt").write_text("plain text note")
    (tmp_path / "notes" / "empty.txt").write_text("   ")
    (tmp_path / "notes" / "bad.txt").write_bytes(b"\xff\xfe\x00binary")
    items = list(read_paths([tmp_path / "notes"]))
    titles = sorted(i.title for i in items if not isinstance(i, Failure))
    reasons = sorted(i.reason for i in items if isinstance(i, Failure))
    assert titles == ["Fusion notes", "b"]
    assert len(reasons) == 2 and any("empty" in r for r in reasons)


def test_ingest_then_search_finds_the_relevant_passage(settings, embedder, corpus_file: Path) -> None:
    with make_agent(settings, embedder) as agent:
        report = agent.ingest([corpus_file])
        assert (report.documents, report.added, report.failures) == (6, 6, [])
        hits = agent.search("late interaction token embeddings maximum similarity", k=3)
        assert hits[0].doc_id == "colbert"
        assert hits[0].chunk.title == "ColBERT"
        filtered = agent.search("retrieval", k=5, filters={"doc_id": "bm25"})
        assert {h.doc_id for h in filtered} == {"bm25"}


def test_reingesting_unchanged_input_adds_nothing(settings, embedder, corpus_file: Path) -> None:
    with make_agent(settings, embedder) as agent:
        first = agent.ingest([corpus_file])
        second = agent.ingest([corpus_file])
        assert first.added == 6
        assert (second.added, second.unchanged, second.chunks) == (0, 6, 0)  # not even chunked again
        assert agent.index.count() == 6
        assert agent.index.document_count() == 6


def test_searching_before_ingest_says_how_to_make_a_collection(settings, embedder) -> None:
    with make_agent(settings, embedder) as agent, pytest.raises(NoCollectionError, match="sleuth ingest"):
        agent.search("anything")


def test_chunks_carry_offsets_into_the_source_text(settings, embedder, tmp_path: Path) -> None:
    text = " ".join(f"Sentence number {i} talks about retrieval topic {i}." for i in range(120))
    (tmp_path / "long.txt").write_text(text)
    with make_agent(settings, embedder) as agent:
        report = agent.ingest([tmp_path / "long.txt"])
        assert report.added > 2
        hits = agent.search("retrieval topic 77", k=report.added)
        for hit in hits:
            c = hit.chunk
            assert text[c.start : c.end] == c.text


def test_a_second_opener_of_the_embedded_index_is_told_what_holds_it(sleuth_home, embedder, corpus_file) -> None:
    from sleuth.errors import IndexLockedError
    from sleuth.settings import Settings
    from sleuth.tools.index.edge import EdgeIndex

    with make_agent(Settings(), embedder) as agent:
        agent.ingest([corpus_file])
        other = EdgeIndex(sleuth_home / "index", "default")
        with pytest.raises(IndexLockedError, match="SLEUTH_QDRANT_URL"):
            other.count()


def test_filter_on_an_unknown_field_is_a_clear_error(settings, embedder, corpus_file: Path) -> None:
    from sleuth.errors import InputError

    with make_agent(settings, embedder) as agent:
        agent.ingest([corpus_file])
        with pytest.raises(InputError, match="colour"):
            agent.search("retrieval", filters={"colour": "red"})
        assert agent.search("retrieval", filters={"doc_id": "nope"}) == []


@pytest.mark.parametrize("query", ["x" * 10_000, "¿Qué es la recuperación densa?", "检索增强生成"])
def test_long_and_non_english_queries_still_return_ranked_passages(settings, embedder, corpus_file, query) -> None:
    with make_agent(settings, embedder) as agent:
        agent.ingest([corpus_file])
        hits = agent.search(query, k=3)
        assert len(hits) == 3 and hits[0].score >= hits[-1].score


def _pdf(path: Path, pages: list[str], title: str = "Fusion Paper") -> None:
    """A small real PDF with one text line per page, written by pypdf."""
    from bench.documents import pdf_bytes

    path.write_bytes(pdf_bytes(pages, title))


def test_pdf_html_and_junk_files_in_one_folder(settings, embedder, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    _pdf(folder / "paper.pdf", ["Reciprocal rank fusion merges rankings. " * 8, "Page two discusses BM25 saturation."])
    settings.index.chunk_tokens, settings.index.chunk_overlap = 40, 0
    (folder / "page.html").write_text(
        "<html><head><title>Late interaction</title><script>x=1</script></head>"
        "<body><p>ColBERT scores tokens with MaxSim.</p></body></html>"
    )
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    with make_agent(settings, embedder) as agent:
        report = agent.ingest([folder])
        assert report.documents == 2
        assert [f.path.endswith("broken.pdf") for f in report.failures] == [True]
        hit = agent.search("BM25 saturation", k=1)[0]
        assert hit.chunk.title == "Fusion Paper" and hit.chunk.metadata["authors"] == "A. Author"
        assert hit.chunk.metadata["page_end"] == 2 and hit.chunk.text.endswith("BM25 saturation.")
        html = agent.search("MaxSim token scoring", k=1)[0]
        assert html.chunk.title == "Late interaction" and "x=1" not in html.chunk.text


@pytest.mark.parametrize("fusion", ["dbsf", "rrf"])
def test_fusion_weights_lean_the_hybrid_ranking_towards_one_list(settings, embedder, corpus_file, fusion) -> None:
    settings.search.fusion = fusion
    query = "lexical term frequency ranking function"
    with make_agent(settings, embedder) as agent:
        agent.ingest([corpus_file])
        sparse_only = [h.doc_id for h in agent.searcher.search(query, k=5, mode="sparse")]
        dense_only = [h.doc_id for h in agent.searcher.search(query, k=5, mode="dense")]
        agent.searcher.weights = (0.0, 1.0)
        assert [h.doc_id for h in agent.searcher.search(query, k=5)] == sparse_only
        agent.searcher.weights = (1.0, 0.0)
        assert [h.doc_id for h in agent.searcher.search(query, k=5)] == dense_only
        agent.searcher.weights = (1.0, 0.5)
        leaning = agent.searcher.search(query, k=5)
        assert leaning[0].doc_id in (dense_only[0], sparse_only[0])
        assert all(a.score >= b.score for a, b in zip(leaning, leaning[1:], strict=False))


def test_a_server_collection_is_created_with_the_configured_shards_replicas_and_on_disk_storage(
    embedder, sleuth_home, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Qdrant's distributed layout comes from Settings (qdrant-client's local mode stands in for the server and
    keeps the vector parameters; the shard and replica counts it ignores are checked as sent)."""
    from qdrant_client import QdrantClient

    from sleuth.settings import Settings
    from sleuth.tools.index import open_index

    sent: dict = {}
    create = QdrantClient.create_collection

    def recording(self, name, **kwargs):
        sent.update(kwargs)
        return create(self, name, **kwargs)

    monkeypatch.setattr(QdrantClient, "create_collection", recording)
    settings = Settings()
    settings.index.url, settings.index.shards, settings.index.replication = ":memory:", 6, 2
    settings.index.on_disk = True
    index = open_index(settings, "sharded")
    index.ensure(embedder.dim)
    assert (sent["shard_number"], sent["replication_factor"], sent["on_disk_payload"]) == (6, 2, True)
    params = index.client.get_collection("sharded").config.params
    assert params.vectors["dense"].on_disk and params.sparse_vectors["bm25"].index.on_disk
