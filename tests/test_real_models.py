"""End to end on the real bundled models: MiniLM embeddings and the embedded Qwen2.5 GGUF via llama.cpp."""

from __future__ import annotations

import re

import pytest

from sleuth.agent.api import ResearchAgent
from sleuth.settings import Settings
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
    kept = next(s for s in answer.steps if s.kind == "filter").detail["kept"]
    assert {c.chunk_id for c in answer.citations} <= set(kept)


def test_yes_no_logits_of_the_embedded_llm_prefer_the_relevant_passage() -> None:
    pytest.importorskip("llama_cpp", reason="the embedded LLM is installed by setup.sh")
    from sleuth.agent.lm import build_lm
    from sleuth.tools.llm_rerank import RELEVANCE_PROMPT

    engine = build_lm(Settings())._engine_spec
    query = "Which city is the capital of France?"
    passages = [
        ("Paris", "Paris is the capital and largest city of France."),
        ("Rainforest frogs", "Poison dart frogs live in the rainforests of Central and South America."),
    ]
    prompts = [RELEVANCE_PROMPT.format(query=query, title=t, text=x) for t, x in passages]
    relevant, unrelated = engine.yes_no_logits(prompts)
    assert relevant > unrelated
    again = engine.yes_no_logits(prompts[::-1])  # now the first prompt reuses the second's cached prefix
    assert again[1] > again[0]
    # evaluated from a cached prefix or whole, quantised arithmetic differs slightly: the scores agree, not exactly
    assert again == pytest.approx([unrelated, relevant], abs=0.25)
