from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sleuth.locations import demo_corpus
from sleuth.tui.cli import app

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("ingest", "ask", "search", "config"):
        assert command in result.output


def test_config_prints_effective_settings_with_secrets_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLEUTH_LM_API_KEY", "sk-secret-123")
    monkeypatch.setenv("SLEUTH_LM", "openai/gpt-4o-mini")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["models"]["lm"] == "openai/gpt-4o-mini"
    assert data["models"]["api_key"] == "****"
    assert "sk-secret-123" not in result.output


def test_ask_before_ingest_says_there_is_no_collection_and_how_to_make_one() -> None:
    result = runner.invoke(app, ["ask", "What is RAG?"])
    assert result.exit_code == 2
    assert "no collection 'default'" in result.output and "sleuth ingest" in result.output


def test_ingest_reports_bad_lines_and_exits_nonzero_but_keeps_the_rest(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"_id": "a", "title": "A", "text": "alpha beta"}\n{broken\n')
    result = runner.invoke(app, ["ingest", str(corpus), "--quiet"])
    assert result.exit_code == 1
    flat = " ".join(result.output.split())
    assert "1 new, 0 changed, 0 unchanged; 1 chunks added" in flat
    assert "line 2 is not valid JSON" in flat and "c.jsonl" in result.output.replace("\n", "")
    search = runner.invoke(app, ["search", "alpha", "--json"])
    assert search.exit_code == 0
    assert json.loads(search.output)[0]["doc_id"] == "a"


def test_bad_filter_is_explained() -> None:
    result = runner.invoke(app, ["search", "x", "--filter", "nonsense"])
    assert result.exit_code == 2
    assert "field=value" in result.output


def test_the_demo_corpus_ships_inside_the_package() -> None:
    lines = demo_corpus().read_text().splitlines()
    assert len(lines) == 260
    assert {"_id", "title", "text"} <= set(json.loads(lines[0]))


def test_collections_lists_each_with_document_and_chunk_counts(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"_id": "a", "text": "alpha"}\n{"_id": "b", "text": "beta"}\n')
    empty = runner.invoke(app, ["collections"])
    assert empty.exit_code == 0 and "sleuth ingest" in empty.output
    assert runner.invoke(app, ["ingest", str(corpus), "-q", "-c", "notes"]).exit_code == 0
    rows = json.loads(runner.invoke(app, ["collections", "--json"]).output)
    assert rows == [{"collection": "notes", "documents": 2, "chunks": 2}]


def test_batch_exits_zero_when_every_question_is_answered(corpus_file: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["ingest", str(corpus_file), "-q"]).exit_code == 0
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": "1", "question": "What is BM25?"}\n{"id": "2", "question": "What is ColBERT?"}\n')
    answers = tmp_path / "a.jsonl"
    result = runner.invoke(app, ["batch", str(questions), "--out", str(answers), "--no-answer", "-q"])
    assert result.exit_code == 0, result.output
    assert "2 answered, 0 failed, 0 already in" in result.output
    assert len(answers.read_text().splitlines()) == 2


def test_version_prints_the_package_version() -> None:
    from sleuth import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"sleuth {__version__}"


def test_doctor_checks_each_part_and_says_what_to_do(monkeypatch: pytest.MonkeyPatch, sleuth_home: Path) -> None:
    monkeypatch.setenv("SLEUTH_LM", "openai/some-model")
    monkeypatch.setenv("SLEUTH_LM_API_BASE", "http://127.0.0.1:9/v1")  # nothing listens on the discard port
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 1
    checks = {c["name"]: c for c in json.loads(result.output)}
    assert checks["embedder"]["ok"] and "384-d" in checks["embedder"]["detail"]
    assert checks["index"]["ok"] and "writable" in checks["index"]["detail"]
    assert checks["memory"]["ok"] and "schema version" in checks["memory"]["detail"]
    assert checks["llama.cpp"]["skipped"] and checks["model file"]["skipped"]
    server = checks["LM server"]
    assert not server["ok"] and "127.0.0.1:9" in server["detail"] and "SLEUTH_LM_API_BASE" in server["fix"]
    screen = runner.invoke(app, ["doctor"])
    assert "FAIL" in screen.output and "What to do:" in screen.output and "1 problem(s): LM server." in screen.output


def test_doctor_reports_a_read_only_index_folder(monkeypatch: pytest.MonkeyPatch, sleuth_home: Path) -> None:
    import os

    if os.geteuid() == 0:
        blocked = sleuth_home / "index"
        sleuth_home.mkdir(parents=True)
        blocked.write_text("a file where the index folder should be")
    else:
        sleuth_home.mkdir(parents=True)
        (sleuth_home / "index").mkdir()
        (sleuth_home / "index").chmod(0o500)
    monkeypatch.setenv("SLEUTH_LM", "scripted")
    checks = {c["name"]: c for c in json.loads(runner.invoke(app, ["doctor", "--json"]).output)}
    assert not checks["index"]["ok"] and "SLEUTH_HOME" in checks["index"]["fix"]


def test_memory_commands_take_last_for_the_newest_run(corpus_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLEUTH_LM", "scripted")
    assert runner.invoke(app, ["memory", "show", "last"]).exit_code == 2  # nothing yet: a clear error
    assert runner.invoke(app, ["ingest", str(corpus_file), "-q"]).exit_code == 0
    asked = runner.invoke(app, ["ask", "What does ColBERT keep per token?", "--json"])
    assert asked.exit_code == 0, asked.output
    run_id = json.loads(asked.output)["run_id"]
    shown = runner.invoke(app, ["memory", "show", "last", "--json"])
    assert json.loads(shown.output)["id"] == run_id
    assert runner.invoke(app, ["feedback", "last", "up"]).exit_code == 0


def test_ask_prints_the_quoted_span_under_each_source(corpus_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLEUTH_LM", "scripted")
    assert runner.invoke(app, ["ingest", str(corpus_file), "-q"]).exit_code == 0
    result = runner.invoke(app, ["ask", "What does ColBERT keep per token?"])
    assert result.exit_code == 0, result.output
    assert "Sources" in result.output and "“ColBERT is a late-interaction retriever" in result.output
    assert "prompt tokens" in result.output or "LM call" in result.output


def test_an_error_no_command_catches_is_still_reported_in_two_lines() -> None:
    """The group turns any SleuthError into the same message and exit status, whichever command raised it."""
    from sleuth.errors import InputError

    @app.command("raise-for-test")
    def broken() -> None:
        raise InputError("Something was wrong.", "Do this instead.")

    try:
        result = runner.invoke(app, ["raise-for-test"])
    finally:
        app.registered_commands.pop()
    assert result.exit_code == 2
    assert "Something was wrong." in result.output and "Do this instead." in result.output


def test_numbers_on_the_command_line_and_in_settings_are_checked_at_the_boundary(monkeypatch) -> None:
    """`search -k -5` once printed a 55-line traceback, `-k 0` printed nothing, SLEUTH_AGENT__TOP_K=0 was taken."""
    runner = CliRunner()
    for k in ("-5", "0"):
        done = runner.invoke(app, ["search", "x", "-k", k])
        assert done.exit_code == 2 and "Traceback" not in done.output and "-k" in done.output
    monkeypatch.setenv("SLEUTH_AGENT__TOP_K", "0")
    done = runner.invoke(app, ["config"])
    assert done.exit_code == 2 and "agent.top_k" in done.output and "Traceback" not in done.output


def test_dash_h_is_help_and_the_help_is_plain() -> None:
    done = CliRunner().invoke(app, ["ask", "-h"])
    assert done.exit_code == 0 and "--report" in done.output and "<bool>" not in done.output


def test_an_answer_degraded_by_a_dead_lm_server_exits_3_so_a_script_can_tell(
    monkeypatch: pytest.MonkeyPatch, sleuth_home: Path, corpus_file: Path
) -> None:
    """`sleuth ask` with the LM server down once answered (the evidence's key sentences) and exited 0."""
    assert runner.invoke(app, ["ingest", str(corpus_file)]).exit_code == 0
    monkeypatch.setenv("SLEUTH_LM", "openai/some-model")
    monkeypatch.setenv("SLEUTH_LM_API_BASE", "http://127.0.0.1:9/v1")  # nothing listens on the discard port
    monkeypatch.setenv("SLEUTH_MODELS__TIMEOUT", "2")
    done = runner.invoke(app, ["ask", "How does ColBERT score passages?", "--json"])
    record = json.loads(done.stdout)
    assert done.exit_code == 3 and record["error"] and record["citations"]  # answered from the evidence, and said so
    assert record["error"].count("writing the answer failed") == 1  # the failure said once (#35 item 7)
    shown = runner.invoke(app, ["ask", "How does ColBERT score passages?"])
    assert shown.exit_code == 3 and " ".join(shown.output.split()).count("Connection refused") == 1


def test_every_help_page_reads_like_gh_or_uv_with_no_python_types() -> None:
    """#35 item 7: `QUESTION`, `-k N`, `--out PATH`, never `{question}`, `<str>` or `<list[Path]>`."""
    import re

    pages = [[]]
    for command in app.registered_commands:
        pages.append([command.name or command.callback.__name__])
    for group in app.registered_groups:
        for command in group.typer_instance.registered_commands:
            pages.append([group.name, command.name or command.callback.__name__])
    assert len(pages) > 15
    for page in pages:
        result = runner.invoke(app, [*page, "--help"])
        assert result.exit_code == 0, page
        assert not re.search(r"<[a-z][a-z \[\]|,]*>|\{[a-z_]+\}", result.output), (page, result.output)
    assert "Usage: sleuth ask [OPTIONS] QUESTION" in runner.invoke(app, ["ask", "-h"]).output
    assert "-c, --collection NAME" in runner.invoke(app, ["search", "-h"]).output
