"""End to end on the real bundled models: MiniLM embeddings and the embedded Qwen2.5 GGUF via llama.cpp."""

from __future__ import annotations

import re

import pytest

from sleuth.agent.api import ResearchAgent
from sleuth.agent.settings import Settings
from sleuth.tui.cli import demo_corpus

pytestmark = pytest.mark.real_models


def test_demo_corpus_question_gets_a_cited_answer_from_the_embedded_models() -> None:
    pytest.importorskip("llama_cpp", reason="the embedded LLM is installed by setup.sh")
    with ResearchAgent(Settings()) as agent:
        report = agent.ingest([demo_corpus()])
        assert report.documents == 260 and not report.failures
        answer = agent.ask("How do hybrid retrievers combine sparse BM25 and dense embeddings?")
    assert answer.error is None, answer.error
    assert len(answer.answer.split()) > 15
    assert answer.citations, answer.answer
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers == {c.n for c in answer.citations}
    kept = next(s for s in answer.steps if s.kind == "search").detail["kept"]
    assert {c.chunk_id for c in answer.citations} <= set(kept)
