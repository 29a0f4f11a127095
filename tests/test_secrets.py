"""API keys never reach memory.db, the index, caches or `sleuth config`: every file sleuth wrote is searched."""

from __future__ import annotations

from pathlib import Path

from fake_openai import fake_openai
from typer.testing import CliRunner

from sleuth.tui.cli import app

KEY = "sk-test-9f8e7d6c5b4a39281706"


def test_the_api_key_is_used_but_never_written_anywhere(settings, embedder, corpus_file, sleuth_home, monkeypatch):
    from conftest import make_agent

    headers: list[str] = []
    with fake_openai("answer", headers) as base:
        settings.models.lm = "openai/fake-model"
        settings.models.api_base = base
        settings.models.api_key = KEY
        a = make_agent(settings, embedder)
        a.ingest([corpus_file])
        answer = a.ask("How does ColBERT score passages?")
    assert answer.error is None and answer.citations, answer.error
    assert headers and all(h == f"Bearer {KEY}" for h in headers)  # the key went to the server, and only there
    assert a.memory.open()["runs"].count == 1
    a.close()
    written = [p for p in Path(sleuth_home).rglob("*") if p.is_file()]
    assert any(p.name == "memory.db" for p in written)
    for path in written:
        assert KEY.encode() not in path.read_bytes(), f"the API key was written to {path}"
    monkeypatch.setenv("SLEUTH_LM_API_KEY", KEY)
    shown = CliRunner().invoke(app, ["config"]).output
    assert KEY not in shown and "****" in shown
