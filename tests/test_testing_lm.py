"""The scripted LM that ships for tests (`sleuth.agent.llm.testing`)."""

from __future__ import annotations

import dspy

from sleuth.agent.llm.testing import scripted_lm
from sleuth.prompts.signatures import AnswerWithCitations, PlanResearch

PASSAGES = "[1] ColBERT: ColBERT keeps one embedding per token. It scores with MaxSim.\n\n[2] BM25: BM25 is lexical."


def test_a_response_keyed_by_signature_serves_only_that_signature() -> None:
    lm = scripted_lm([{"PlanResearch": {"sub_questions": ["a", "b"]}}, {"sub_questions": ["c"]}])
    with dspy.context(lm=lm, adapter=dspy.JSONAdapter()):
        assert dspy.Predict(PlanResearch)(question="q").sub_questions == ["a", "b"]
        assert dspy.Predict(PlanResearch)(question="q").sub_questions == ["c"]


def test_the_stand_in_answers_with_cited_sentences_of_the_passages_it_is_shown() -> None:
    lm = scripted_lm(extractive=True)
    with dspy.context(lm=lm, adapter=dspy.JSONAdapter()):
        out = dspy.Predict(AnswerWithCitations)(question="What does ColBERT keep?", passages=PASSAGES)
    texts = [(s.text, s.sources) for s in out.answer.sentences]
    assert texts == [("ColBERT keeps one embedding per token.", [1]), ("BM25 is lexical.", [2])]


def test_settings_select_the_stand_in_by_name(monkeypatch) -> None:
    from sleuth.agent.llm.lm import build_lm
    from sleuth.settings import Settings

    monkeypatch.setenv("SLEUTH_LM", "scripted")
    assert build_lm(Settings()).model == "local/scripted"
