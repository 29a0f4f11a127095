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


def _questions(path, n: int):
    topics = ["BM25", "ColBERT", "dense passage retrieval", "hybrid search", "retrieval-augmented generation"]
    with path.open("w") as handle:
        for i in range(n):
            handle.write(json.dumps({"id": f"q{i}", "question": f"How does {topics[i % len(topics)]} work? ({i})"}))
            handle.write("\n")
        handle.write("not json\n")
    return path


def _comparable(path) -> dict[str, dict]:
    """Output lines by id, without what differs between any two runs (run ids, timings)."""
    rows = {}
    for line in path.read_text().splitlines():
        row = json.loads(line)
        row.pop("run_id", None)
        row.pop("seconds", None)
        rows[row["id"]] = row
    return rows


def test_ray_batch_without_answers_writes_the_local_batchs_lines(ray_cluster, embedder, corpus_file, tmp_path):
    from conftest import make_agent

    from sleuth.agent.batch import run_batch
    from sleuth.settings import Settings

    agent = make_agent(Settings(), embedder)
    agent.ingest([corpus_file])
    questions = _questions(tmp_path / "q.jsonl", 12)
    local = run_batch(agent, questions, tmp_path / "local.jsonl", no_answer=True)
    spread = run_batch(agent, questions, tmp_path / "ray.jsonl", no_answer=True, ray="local", workers=2)
    assert (spread.total, spread.answered, spread.failed) == (local.total, local.answered, 0) == (12, 12, 0)
    assert spread.problems == local.problems and "not valid JSON" in spread.problems[0]
    assert _comparable(tmp_path / "ray.jsonl") == _comparable(tmp_path / "local.jsonl")
    again = run_batch(agent, questions, tmp_path / "ray.jsonl", no_answer=True, ray="local", workers=2)
    assert (again.skipped, again.answered) == (12, 0)  # resumed: nothing asked twice
    more = _questions(tmp_path / "more.jsonl", 14)  # two new questions, straight after the last batch's workers ended
    grown = run_batch(agent, more, tmp_path / "ray.jsonl", no_answer=True, ray="local", workers=2)
    assert (grown.skipped, grown.answered, grown.failed) == (12, 2, 0)
    assert agent.search("late interaction token embeddings", k=1)[0].doc_id == "colbert"  # the index is ours again


def _kill_a_worker() -> int:
    """kill -9 of one live batch worker (found by the process title Ray gives an actor)."""
    import os
    import signal
    from pathlib import Path

    for proc in Path("/proc").iterdir():
        try:
            title = (proc / "cmdline").read_bytes().split(b"\0")[0]
        except OSError:
            continue
        if proc.name.isdigit() and title.startswith(b"ray::AskWorker"):
            os.kill(int(proc.name), signal.SIGKILL)
            return int(proc.name)
    raise AssertionError("no Ray batch worker found to kill")


def test_a_worker_killed_mid_batch_loses_nothing(ray_cluster, embedder, corpus_file, tmp_path) -> None:
    """Two workers answer through one LM endpoint; one is killed with SIGKILL after the first answer: every
    question still gets exactly one answer line (the dead worker's retried by the others), each one in memory."""
    from conftest import server_agent
    from fake_openai import fake_openai

    from sleuth.agent.batch import run_batch
    from sleuth.settings import Settings

    questions = _questions(tmp_path / "q.jsonl", 8)
    killed: list[int] = []

    def kill_once(report) -> None:
        if not killed:
            killed.append(_kill_a_worker())

    with fake_openai("slow") as base:
        agent = server_agent(Settings(), embedder, corpus_file, base)
        out = tmp_path / "answers.jsonl"
        report = run_batch(agent, questions, out, ray="local", workers=2, on_done=kill_once)
    assert killed
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["id"] for r in rows) == [f"q{i}" for i in range(8)]  # each once
    assert report.failed == 0 and all(r["error"] is None and r["citations"] for r in rows)
    stored = {row["id"] for row in agent.memory.open()["runs"].rows}
    assert {r["run_id"] for r in rows} <= stored  # written by the workers into the one memory.db


def test_eval_qa_on_ray_scores_what_the_local_eval_scores(ray_cluster, sleuth_home, corpus_file, tmp_path, monkeypatch):
    """`sleuth eval qa --ray`: the same scored rows as the local eval (timings aside), resumable, and the user is
    told when the cluster has fewer free CPUs than the workers asked for."""
    from typer.testing import CliRunner

    from sleuth.tui.cli import app

    monkeypatch.setenv("SLEUTH_LM", "scripted")
    rows = [
        {"id": "q1", "question": "How does ColBERT score passages?", "answers": ["MaxSim"], "supporting": ["colbert"]},
        {"id": "q2", "question": "What does BM25 rank?", "answers": ["documents"], "supporting": ["bm25"]},
        {"id": "q3", "question": "What leavens sourdough bread?", "answers": ["wild yeast"], "supporting": ["bread"]},
    ]
    questions = tmp_path / "qa.jsonl"
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows))
    runner = CliRunner()
    args = ["eval", "qa", str(questions), "--corpus", str(corpus_file)]
    local = runner.invoke(app, [*args, "--out", str(tmp_path / "local")])
    assert local.exit_code == 0, local.output
    spread = runner.invoke(app, [*args, "--out", str(tmp_path / "ray"), "--ray", "local", "--workers", "3"])
    assert spread.exit_code == 0, spread.output
    assert "Ray: 2 of the 3 workers asked for" in spread.output

    def scored(folder: str) -> dict[str, dict]:
        lines = (tmp_path / folder / "runs" / "default.jsonl").read_text().splitlines()
        return {r["id"]: {k: v for k, v in r.items() if k != "seconds"} for r in map(json.loads, lines)}

    assert scored("ray") == scored("local") and set(scored("ray")) == {"q1", "q2", "q3"}
    assert all(r["f1"] is not None and r["error"] is None for r in scored("ray").values())
    again = runner.invoke(app, [*args, "--out", str(tmp_path / "ray"), "--ray", "local"])
    assert again.exit_code == 0 and len(scored("ray")) == 3  # resumed: nothing asked twice
