"""`sleuth eval qa` and `sleuth eval show`: a QA set under configurations side by side, resumable, with a report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sleuth.tui.cli import app

runner = CliRunner()


def _questions(tmp_path: Path, rows: list[dict] | None = None) -> Path:
    rows = rows or [
        {"id": "q1", "question": "How does ColBERT score passages?", "answers": ["MaxSim"], "supporting": ["colbert"]},
        {"id": "q2", "question": "What does BM25 rank?", "answers": ["documents"], "supporting": ["bm25"]},
        {"id": "q3", "question": "What leavens sourdough bread?", "answers": ["wild yeast"], "supporting": ["bread"]},
    ]
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def scripted(sleuth_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SLEUTH_LM", "scripted")
    return sleuth_home


def test_two_configurations_side_by_side_with_a_report_and_plots(scripted, corpus_file, tmp_path) -> None:
    out = tmp_path / "eval"
    args = ["eval", "qa", str(_questions(tmp_path)), "--corpus", str(corpus_file), "--out", str(out)]
    result = runner.invoke(app, [*args, "--set", "agent.top_k=2"])
    assert result.exit_code == 0, result.output
    assert "default" in result.output and "agent.top_k=2" in result.output
    rows = [json.loads(line) for line in (out / "runs" / "default.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["q1", "q2", "q3"]
    assert all(r["support"] is not None and r["f1"] is not None and "misattributed" in r for r in rows)
    report = (out / "report.md").read_text()
    assert "agent.top_k=2 vs default: f1" in report and "ndcg10" in report
    for png in ("recall_at_k.png", "latency.png", "quality_vs_cost.png", "outcomes.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG" and f"]({png})" in report
    shown = runner.invoke(app, ["eval", "show", str(out)])
    assert shown.exit_code == 0 and "F1" in shown.output and "agent.top_k=2 vs default" in shown.output


def test_an_interrupted_eval_resumes_where_it_stopped(scripted, corpus_file, tmp_path) -> None:
    out = tmp_path / "eval"
    questions = _questions(tmp_path)
    args = ["eval", "qa", str(questions), "--corpus", str(corpus_file), "--out", str(out), "--no-answer"]
    assert runner.invoke(app, [*args, "--limit", "2"]).exit_code == 0
    first = (out / "runs" / "default.jsonl").read_text().splitlines()
    assert len(first) == 2
    assert runner.invoke(app, args).exit_code == 0
    lines = (out / "runs" / "default.jsonl").read_text().splitlines()
    assert lines[:2] == first and [json.loads(line)["id"] for line in lines] == ["q1", "q2", "q3"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"id": "q1", "question": "x?"}\n{broken\n', "questions.jsonl:2: not JSON"),
        ('{"id": "q1"}\n', "questions.jsonl:1: 'question' must be a non-empty string"),
        ('{"id": "q1", "question": "x?", "answers": "yes"}\n', "questions.jsonl:1: 'answers' must be a list"),
        ('{"id": "q1", "question": "x?", "supporting": ["nowhere"]}\n', "cites nowhere, not in"),
    ],
)
def test_a_questions_file_in_the_wrong_layout_is_explained(scripted, corpus_file, tmp_path, content, expected) -> None:
    questions = tmp_path / "questions.jsonl"
    questions.write_text(content)
    result = runner.invoke(app, ["eval", "qa", str(questions), "--corpus", str(corpus_file), "--out", str(tmp_path)])
    assert result.exit_code == 2 and expected in " ".join(result.output.split())


def test_a_setting_that_does_not_exist_is_named(scripted, corpus_file, tmp_path) -> None:
    args = ["eval", "qa", str(_questions(tmp_path)), "--corpus", str(corpus_file), "--out", str(tmp_path / "e")]
    result = runner.invoke(app, [*args, "--set", "agent.loops=full"])
    assert result.exit_code == 2 and "no setting 'agent.loops'" in " ".join(result.output.split())
    bad = tmp_path / "bad.toml"
    bad.write_text("[agent]\nloop = 'sideways'\n")
    result = runner.invoke(app, [*args, "--config", str(bad)])
    assert result.exit_code == 2 and "agent.loop" in result.output


def test_the_agent_benchmark_scores_every_system_with_eval_qas_scores(tmp_path: Path, corpus_file: Path) -> None:
    """bench/bench_agent.py is a thin loop over systems: its rows are `sleuth eval qa`'s scores (the scripted
    stand-in LM, a set of one question over the small corpus), and its report is eval's tables and comparison."""
    from bench.bench_agent import against, report, run

    qa_set = tmp_path / "tiny"
    qa_set.mkdir()
    (qa_set / "corpus.jsonl").write_text(corpus_file.read_text())
    (qa_set / "questions.jsonl").write_text(
        '{"id": "q1", "question": "What does ColBERT keep per token?", "answers": ["one embedding"], '
        '"supporting": ["colbert"]}\n'
    )
    run([qa_set], tmp_path / "out", 1, "scripted", tmp_path / "home", ("single-shot", "adaptive"))
    rows = [json.loads(line) for line in (tmp_path / "out" / "tiny.jsonl").read_text().splitlines()]
    assert [r["system"] for r in rows] == ["single-shot", "adaptive"]
    assert all({"support", "ndcg10", "recall_at", "misattributed", "dangling"} <= set(r) for r in rows)
    assert rows[1]["route"] and rows[1]["answer"] and rows[1]["support"] == [1.0, 1.0]
    assert "adaptive vs single-shot: f1" in report(tmp_path / "out")
    before = tmp_path / "before"  # an earlier commit's rows of the same questions, every answer wrong, cited off gold
    before.mkdir()
    (before / "tiny.jsonl").write_text("".join(json.dumps({**r, "f1": 0.0, "precision": 0.0}) + "\n" for r in rows))
    paired = against(tmp_path / "out", before)
    for row in rows:
        system = row["system"]
        assert f"{system} now vs {system} before: f1 {row['f1']:+.3f}" in paired
        assert f"{system} now vs {system} before: precision {row['precision']:+.3f}" in paired


@pytest.mark.parametrize(
    ("qrels", "expected"),
    [
        ("query-id\tcorpus-id\tscore\nq1\tcolbert\t1\nq1\tnowhere\t1\n", "qrels.tsv:3: document 'nowhere' is not in"),
        ("q9\tcolbert\t1\n", "qrels.tsv:1: query 'q9' is not in"),
        ("q1 colbert 1\n", "qrels.tsv:1: 1 tab-separated column(s), expected 3"),
        ("q1\tcolbert\thigh\n", "qrels.tsv:1: the score 'high' is not a number"),
    ],
)
def test_a_qrels_file_with_unknown_ids_or_another_layout_is_explained(
    sleuth_home, corpus_file, tmp_path, qrels, expected
):
    """`sleuth eval retrieval`: a judgement of a query or document the other files lack names its line (it would
    otherwise score as a miss, silently), and so does a line in another layout; nothing is ingested first."""
    queries = tmp_path / "queries.jsonl"
    queries.write_text('{"_id": "q1", "text": "How does ColBERT score passages?"}\n')
    (tmp_path / "qrels.tsv").write_text(qrels)
    args = ["eval", "retrieval", "--corpus", str(corpus_file), "--queries", str(queries)]
    result = runner.invoke(app, [*args, "--qrels", str(tmp_path / "qrels.tsv"), "--run-out", str(tmp_path / "r")])
    assert result.exit_code == 2 and expected in " ".join(result.output.split()), result.output
    assert not (tmp_path / "r").exists() and not (sleuth_home / "index").exists()


def test_replayed_rows_leave_the_seconds_columns_to_the_rows_that_ran_on_the_model() -> None:
    """A row answered from a record of LM replies (bench_agent --replay) took no real time: p50 and p95 skip it,
    and a table of replayed rows only prints "-" there rather than a latency nobody measured."""
    from sleuth.evals.qa_report import summary, table

    def row(i: int, seconds: float, replayed: int) -> dict:
        return {
            "id": f"q{i}",
            "em": 1.0,
            "f1": 1.0,
            "contains": 1.0,
            "support": [1.0, 1.0],
            "precision": 1.0,
            "dangling": 0,
            "cited_sentences": 1,
            "misattributed": 0,
            "unsupported": 0,
            "seconds": seconds,
            "calls": 1,
            "prompt_tokens": 10,
            "reused_tokens": 0,
            "failed": False,
            "empty": False,
            "replayed": replayed,
        }

    rows = [row(1, 10.0, 0), row(2, 12.0, 0), row(3, 0.4, 2), row(4, 0.5, 1)]
    assert summary(rows)["p50_s"] == 11.0
    replayed_only = {"adaptive": {r["id"]: r for r in rows[2:]}}
    line = table(replayed_only)[1].split()
    assert line[line.index("adaptive") + 10 : line.index("adaptive") + 12] == ["-", "-"]


def test_chain_study_scores_the_first_evidence_against_gold_and_counts_changes_without_it() -> None:
    from bench.chain_study import report

    before = [({"a", "b"}, ["a", "x", "y", "z"]), ({"c"}, ["c", "x"])]
    after = [({"a", "b"}, ["a", "b", "x", "y"]), ({"c"}, ["c", "x"])]
    text = report("set", before, after)
    assert "changed on 1" in text
    assert "order as fused       0.33        0.75         1" in text  # 2 of 6 passages gold; recall (0.5+1)/2
    assert "chain first          0.50        1.00         2" in text
    assert "wins 1, losses 0, ties 1" in text
    no_gold = report("demo", [(set(), ["a"])], [(set(), ["a"])])
    assert "changed on 0" in no_gold and "recall" not in no_gold


@pytest.mark.parametrize("module", ["bench.chain_study", "bench.bench_agent"])
def test_a_benchmark_given_a_set_that_does_not_exist_says_so_without_a_traceback(module: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    args = ["--data", str(tmp_path / "nowhere")] + (["--out", str(tmp_path / "out")] if "bench_" in module else [])
    done = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "nowhere/questions.jsonl does not exist. Give a JSONL file" in done.stderr
    assert "Traceback" not in done.stderr
