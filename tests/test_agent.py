from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from conftest import ScriptedLM, make_agent, plan, sentences, server_agent
from dspy.utils.dummies import DummyLM

from sleuth.errors import InputError, NoCollectionError
from sleuth.schema import Answer, Step


def test_the_full_loop_plans_judges_and_cites_only_retrieved_passages(agent, settings) -> None:
    settings.agent.loop = "full"
    a = agent(
        plan(["How does hybrid search merge rankings?"], ["hybrid search fusion", "reciprocal rank fusion"]),
        sentences(
            ("Hybrid search combines a sparse retriever such as BM25 with a dense retriever.", [1]),
            ("BM25 scores documents by term frequency and inverse document frequency.", [1, 2]),
            ("Hybrid search was invented on the moon.", [42]),
        ),
    )
    answer = a.ask("How does hybrid search merge BM25 and dense rankings?")
    assert answer.error is None and answer.path == "full"
    assert answer.sub_questions == ["How does hybrid search merge rankings?"]
    assert answer.queries == ["hybrid search fusion", "reciprocal rank fusion"]
    assert "[42]" not in answer.answer and "moon" not in answer.answer
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers == {c.n for c in answer.citations} == {1, 2}
    assert [c.doc_id for c in answer.citations] == ["hybrid", "bm25"]
    kept = next(s for s in answer.steps if s.kind == "filter").detail["kept"]
    assert {c.chunk_id for c in answer.citations} <= set(kept)
    assert answer.retrieved[0] == "hybrid"
    kinds = [s.kind for s in answer.steps]
    assert kinds[:6] == ["plan", "rewrite", "search", "filter", "draft", "verify"]
    assert len(kinds) == 6 and answer.usage.llm_calls == 4  # two sentences survived verification: no more rounds


def test_the_adaptive_loop_answers_a_simple_question_with_one_lm_call(agent) -> None:
    a = agent(
        sentences(
            ("Hybrid search combines a sparse retriever such as BM25 with a dense retriever.", [1]),
            ("Reciprocal rank fusion merges the two ranked lists into one.", [1]),
        ),
    )
    answer = a.ask("How does hybrid search merge BM25 and dense rankings?")
    assert answer.error is None and answer.path == "fast"
    assert answer.usage.llm_calls == 1
    assert [s.kind for s in answer.steps] == ["route", "search", "draft", "verify"]
    assert answer.steps[0].detail["reason"] == "one thing asked"
    assert answer.citations[0].doc_id == "hybrid" and answer.sub_questions == []
    assert any(s.source == "hop" for s in answer.searches)  # the LLM-free multi-hop expansion always runs


def test_a_comparison_is_planned_and_each_part_is_covered_by_the_evidence(agent, settings) -> None:
    """With answering part by part off (tests/test_synthesis.py has it on), a comparison gets one draft over
    evidence that covers each planned part."""
    settings.agent.by_parts = False
    question = "What is the difference between BM25 and ColBERT?"
    a = agent(
        {"sub_questions": ["How does BM25 score documents?", "How does ColBERT score passages?"]},
        sentences(("BM25 scores by term frequency.", [2]), ("ColBERT sums maximum similarities.", [1])),
    )
    answer = a.ask(question)
    assert answer.path == "deep" and answer.usage.llm_calls == 2  # the plan and the answer; no rewrite, no judge
    route = answer.steps[0]
    assert route.kind == "route" and "comparison" in route.detail["reason"]
    kept = {e.doc_id for e in answer.evidence if e.kept}
    assert {"bm25", "colbert"} <= kept
    assert {c.doc_id for c in answer.citations} == {"bm25", "colbert"}


def test_record_has_the_batch_line_fields(agent) -> None:
    a = agent(
        plan(["q"], ["bm25"]),
        sentences(("BM25 scores terms.", [1]), ("It uses inverse document frequency.", [1])),
    )
    record = a.ask("What is BM25?", id="q1").record()
    assert set(record) >= {
        "id",
        "question",
        "answer",
        "citations",
        "retrieved",
        "sub_questions",
        "steps",
        "usage",
        "seconds",
        "error",
    }
    assert record["id"] == "q1" and isinstance(record["steps"], int)
    assert set(record["citations"][0]) >= {"n", "doc_id", "chunk_id", "title", "text", "score"}


def test_failing_lm_returns_an_extractive_answer_with_the_error(settings, embedder, corpus_file) -> None:
    class Broken(DummyLM):
        def forward(self, *args, **kwargs):
            raise RuntimeError("provider down")

    a = make_agent(settings, embedder, lm=Broken([]))
    a.ingest([corpus_file])
    answer = a.ask("What is ColBERT?")
    assert answer.error and "provider down" in answer.error and "key sentences" in answer.error
    assert answer.retrieved[0] == "colbert"
    assert answer.citations and answer.citations[0].doc_id == "colbert"  # never empty while evidence exists
    assert "[1]" in answer.answer and answer.citations[0].text.startswith("ColBERT is a late-interaction retriever")


def test_budget_of_one_call_skips_planning_and_still_answers(settings, embedder, corpus_file) -> None:
    settings.agent.max_llm_calls = 1
    settings.agent.loop = "full"
    a = make_agent(
        settings,
        embedder,
        lm=ScriptedLM(
            [sentences(("ColBERT keeps token embeddings.", [1]), ("It is a late-interaction retriever.", [1]))]
        ),
    )
    a.ingest([corpus_file])
    answer = a.ask("What is ColBERT?")
    assert answer.usage.llm_calls == 1
    assert answer.sub_questions == [] and answer.steps[0].detail["skipped"]
    assert answer.citations[0].doc_id == "colbert"


def test_asking_an_empty_collection_says_how_to_ingest(settings, embedder) -> None:
    a = make_agent(settings, embedder, lm=DummyLM([]))
    with pytest.raises(NoCollectionError, match="sleuth ingest"):
        a.ask("anything?")


@pytest.mark.parametrize("question", ["", "   ", "x" * 20_000])
def test_unusable_questions_are_refused_clearly(agent, question: str) -> None:
    with pytest.raises(InputError):
        agent().ask(question)


def test_a_question_in_another_language_is_researched_like_any_other(agent) -> None:
    question = "¿Cómo puntúa BM25 los documentos?"
    a = agent(
        plan([question], ["BM25 term frequency"]),
        sentences(("BM25 scores documents by term frequency.", [1]), ("It uses inverse document frequency.", [1])),
    )
    answer = a.ask(question)
    assert answer.error is None and answer.question == question
    assert answer.citations[0].doc_id == "bm25"


def test_runs_are_stored_in_memory(agent, sleuth_home: Path) -> None:
    import sqlite_utils

    answer = agent(
        plan(["q"], ["bm25"]),
        sentences(("BM25 scores terms.", [1]), ("It uses inverse document frequency.", [1])),
    ).ask("What is BM25?")
    db = sqlite_utils.Database(sleuth_home / "memory.db")
    row = db["runs"].get(answer.run_id)
    assert row["question"] == "What is BM25?"
    assert db["citations"].count == len(answer.citations) == 1


def test_stream_yields_steps_the_answers_tokens_then_the_answer(agent) -> None:
    from sleuth.schema import AnswerToken

    a = agent(
        sentences(
            ("Dense passage retrieval encodes questions and passages with two BERT encoders.", [1]),
            ("Passages are retrieved by the inner product of their embeddings.", [1]),
        )
    )

    async def collect() -> list:
        return [event async for event in a.stream("What is dense passage retrieval?")]

    events = asyncio.run(collect())
    assert isinstance(events[-1], Answer)
    tokens = [e for e in events if isinstance(e, AnswerToken)]
    assert len(tokens) > 3  # streamed piece by piece, not in one go
    streamed = "".join(t.text for t in tokens)
    assert streamed.startswith("Dense passage retrieval encodes") and "inner product" in streamed
    kinds = [e.kind for e in events if isinstance(e, Step)]
    assert kinds == ["route", "search", "draft", "verify"]
    first_token = events.index(tokens[0])
    assert [e.kind for e in events[:first_token] if isinstance(e, Step)] == ["route", "search"]  # before the draft


def test_an_answer_with_no_supported_citation_says_not_found(agent) -> None:
    from sleuth.agent.loop.verify import NOT_FOUND

    a = agent(plan(["q"], ["peru"]), sentences(("The capital of Peru is Lima.", []), ("Lima is large.", [])))
    answer = a.ask("What is the capital of Peru?")
    assert answer.answer == NOT_FOUND and answer.citations == []
    assert answer.retrieved  # the evidence that was searched is still reported


def test_uncited_sentences_are_dropped_from_a_cited_answer(agent) -> None:
    a = agent(
        plan(["q"], ["colbert"]),
        sentences(("ColBERT keeps one embedding per token.", [1]), ("It was built in 1850.", [])),
    )
    answer = a.ask("What is ColBERT?")
    assert "1850" not in answer.answer and answer.citations


def test_a_truncated_json_answer_is_salvaged_sentence_by_sentence() -> None:
    from sleuth.agent.loop.draft import salvage_sentences

    class Cut(Exception):
        lm_response = (
            '{"answer": {"sentences": [{"text": "BM25 ranks by term weights.", "sources": [1]}, '
            '{"text": "Dense retrievers embed que'
        )

    salvaged = salvage_sentences(Cut())
    assert [(s.text, s.sources) for s in salvaged][0] == ("BM25 ranks by term weights.", [1])
    assert all(s.sources is not None for s in salvaged)


@pytest.mark.parametrize("question", ["???", "What is the?", "... and so on, or not?!"])
def test_a_question_with_nothing_to_search_for_is_refused_and_not_stored(agent, question, sleuth_home) -> None:
    a = agent()
    with pytest.raises(InputError, match="nothing to search for"):
        a.ask(question)
    assert not (sleuth_home / "memory.db").exists() or a.memory.open()["runs"].count == 0


def test_a_short_name_is_something_to_search_for(agent) -> None:
    answer = agent(sentences(("BM25 is a lexical ranking function.", [1]), ("It uses term frequency.", [1]))).ask(
        "BM25?"
    )
    assert answer.citations


def test_an_lm_server_that_closes_the_connection_mid_answer_gives_a_clear_error_and_no_memory(
    settings, embedder, corpus_file, sleuth_home
) -> None:
    from fake_openai import fake_openai

    with fake_openai("cut") as base:
        a = server_agent(settings, embedder, corpus_file, base)
        answer = a.ask("How does ColBERT score passages?")
    assert answer.error and "writing the answer failed" in answer.error and "not stored in memory" in answer.error
    assert answer.citations and answer.citations[0].doc_id == "colbert"  # the evidence still answers
    assert a.memory.open()["runs"].count == 0


def test_a_cancelled_question_raises_and_stores_nothing(agent) -> None:
    import threading

    from sleuth.errors import Cancelled

    a = agent(sentences(("BM25 is a lexical ranking function.", [1]), ("It uses term frequency.", [1])))
    stop = threading.Event()
    steps: list[str] = []

    def on_step(step: Step) -> None:
        steps.append(step.kind)
        if step.kind == "search":
            stop.set()  # the user presses Esc while the answer is being written

    with pytest.raises(Cancelled):
        a.ask("What is BM25?", on_step=on_step, cancel=stop)
    assert steps == ["route", "search"] and a.memory.open()["runs"].count == 0


@pytest.mark.parametrize(
    ("question", "follow_up"),
    [
        ("and what about pairwise?", True),
        ("How is it trained?", True),
        ("What about its speed?", True),
        ("How does ColBERT score passages?", False),
        ("What is BM25?", False),
        ("How does FIRST compare with RankGPT on TREC DL?", False),
    ],
)
def test_follow_ups_are_told_from_questions_that_stand_alone(question: str, follow_up: bool) -> None:
    from sleuth.agent.loop.followup import looks_like_follow_up

    assert looks_like_follow_up(question) is follow_up


def test_a_question_that_stands_alone_is_not_rewritten_even_in_a_conversation(agent) -> None:
    a = agent(sentences(("BM25 is a lexical ranking function.", [1]), ("It uses term frequency.", [1])))
    answer = a.ask("What is BM25?", previous=("What is ColBERT?", "a late-interaction retriever"))
    assert answer.standalone == "" and answer.usage.llm_calls == 1
    assert "followup" not in [s.kind for s in answer.steps]
