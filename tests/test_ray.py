"""Ingest over a local Ray cluster (two workers, started here): the same chunks as the local ingest, the same
resume, and the same report of bad files."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("ray")


@pytest.fixture(scope="module")
def ray_cluster():
    import ray

    from sleuth.tools.ray_ingest import start_ray

    yield start_ray(None, 2)
    ray.shutdown()


def test_ray_ingest_writes_the_local_ingests_chunks_and_resumes(ray_cluster, sleuth_home, embedder, tmp_path) -> None:
    from conftest import make_agent

    from sleuth.settings import Settings

    corpus = tmp_path / "many.jsonl"
    with corpus.open("w") as handle:
        for i in range(24):
            text = f"Document {i} discusses topic {i % 7} in retrieval research, with detail {i * 13}. " * 6
            handle.write(json.dumps({"_id": f"d{i}", "title": f"Doc {i}", "text": text}) + "\n")
        handle.write("not json\n")
    on_ray, here = Settings(), Settings()
    here.index.collection = "local"
    remote, local = make_agent(on_ray, embedder), make_agent(here, embedder)
    report = remote.ingest([corpus], ray="local", workers=2)
    assert (report.documents, report.added) == (24, remote.index.count())
    assert len(report.failures) == 1 and "line 25" in report.failures[0].reason  # the bad line, named
    expected = local.ingest([corpus])
    assert sorted(r.chunk_id for r in remote.index.chunks_of()) == sorted(r.chunk_id for r in local.index.chunks_of())
    assert expected.added == report.added
    again = remote.ingest([corpus], ray="local", workers=2)
    assert (again.unchanged, again.added) == (24, 0)
    hits = remote.search("topic 3 retrieval research", k=3)
    assert hits and hits[0].chunk.text
