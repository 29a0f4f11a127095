"""The output bounds in the Signatures' JSON schemas: what an enforcing engine turns into a grammar, and lax parsing
for an LM that was not held to them."""

from __future__ import annotations

import json

import dspy
import pytest
from dspy.adapters.json_adapter import _get_structured_outputs_response_format

from sleuth.prompts.bounded import MAX_SUB_QUESTIONS, PHRASE_CHARS, QUESTION_CHARS, whole_words
from sleuth.prompts.signatures import AnswerWithCitations, PlanResearch, RewriteQueries


def _schema(signature: type[dspy.Signature]) -> dict:
    return _get_structured_outputs_response_format(signature).model_json_schema()["properties"]


def test_the_schemas_bound_the_short_answer_the_sub_questions_and_the_queries() -> None:
    assert _schema(AnswerWithCitations)["short_answer"] == {
        "type": "string",
        "maxLength": PHRASE_CHARS,
        "title": "Short Answer",
    }
    subs = _schema(PlanResearch)["sub_questions"]
    assert (subs["minItems"], subs["maxItems"]) == (1, MAX_SUB_QUESTIONS)
    assert subs["items"] == {"type": "string", "maxLength": QUESTION_CHARS}
    assert _schema(RewriteQueries)["queries"]["maxItems"] == 6
    assert _schema(AnswerWithCitations)["missing"] == {
        "type": "string",
        "title": "Missing",
    }  # unbounded: see bounded.py


def _rules(signature: type[dspy.Signature]) -> dict[str, str]:
    llama_grammar = pytest.importorskip("llama_cpp.llama_grammar")
    schema = _get_structured_outputs_response_format(signature).model_json_schema()
    lines = llama_grammar.json_schema_to_gbnf(json.dumps(schema)).splitlines()
    return dict(line.split(" ::= ", 1) for line in lines)


def test_llama_cpp_turns_the_bounds_into_its_grammar() -> None:
    answer = _rules(AnswerWithCitations)
    assert answer["short-answer"].count("char") == PHRASE_CHARS  # at most that many characters, then the quote
    assert answer["string"] == '"\\"" char* "\\"" space'  # the sentences and `missing` are not cut
    plan = _rules(PlanResearch)
    assert plan["sub-questions-item"].count("char") == QUESTION_CHARS
    assert plan["sub-questions"].count("sub-questions-item") == MAX_SUB_QUESTIONS


def test_an_lm_not_held_to_the_schema_still_parses() -> None:
    reply = {
        "answer": {"sentences": [{"text": "A.", "sources": [1]}, {"text": "B.", "sources": [2]}]},
        "short_answer": "x" * 200,
        "missing": "",
    }
    parsed = dspy.JSONAdapter().parse(AnswerWithCitations, json.dumps(reply))
    assert parsed["short_answer"] == "x" * 200
    parsed = dspy.JSONAdapter().parse(AnswerWithCitations, json.dumps({**reply, "short_answer": 1997}))
    assert parsed["short_answer"] == "1997"
    plan = dspy.JSONAdapter().parse(PlanResearch, json.dumps({"sub_questions": [f"q{i}?" for i in range(5)]}))
    assert plan["sub_questions"] == [f"q{i}?" for i in range(5)]
    assert dspy.JSONAdapter().parse(PlanResearch, '{"sub_questions": "one?"}')["sub_questions"] == ["one?"]
    chat = '[[ ## sub_questions ## ]]\n["a?", "b?"]\n\n[[ ## completed ## ]]'
    assert dspy.ChatAdapter().parse(PlanResearch, chat)["sub_questions"] == ["a?", "b?"]


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("The Exies", "The Exies"),
        ("  1997 ", "1997"),
        (
            "The answer is that listwise reranking with LLMs involves the",
            "The answer is that listwise reranking with LLMs involves",
        ),
        (
            "TreeHop and question decomposition are effective ways to use",
            "TreeHop and question decomposition are effective ways to",
        ),
        ("x" * PHRASE_CHARS, "x" * PHRASE_CHARS),
    ],
)
def test_a_short_answer_cut_at_the_bound_loses_its_cut_word(written: str, kept: str) -> None:
    assert whole_words(written) == kept


def test_a_short_answer_salvaged_from_a_cut_off_draft_loses_its_cut_word_too() -> None:
    from sleuth.agent.loop.draft import salvage_short_answer

    raw = '{"answer": {"sentences": []}, "short_answer": "TreeHop and question decomposition are effective ways to use"'
    kept = "TreeHop and question decomposition are effective ways to"
    assert salvage_short_answer(ValueError("cut off"), raw) == kept
