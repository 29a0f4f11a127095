"""Memory that changes the next answer: reuse, remembered plans and evidence, avoided sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlite_utils
from conftest import plan, sentences
from typer.testing import CliRunner

from sleuth.tui.cli import app

ASKED = "How does BM25 score documents?"
FULL_RUN_CALLS = 4  # plan, rewrite, filter, draft (the check is skipped: the answer restates its passage)
ADAPTIVE_CALLS = 1  # the answer: a question about one thing is not planned
REWORDED = "How are documents scored by BM25?"  # cosine 0.94 with ASKED under MiniLM
BM25_ANSWER = sentences(
    ("BM25 scores documents by term frequency and inverse document frequency.", [1]),
    ("Saturation is controlled by k1 and length normalisation by b.", [1]),
)


def _db(home: Path) -> sqlite_utils.Database:
    return sqlite_utils.Database(home / "memory.db")


def test_an_identical_question_is_answered_from_memory_without_the_lm(agent, sleuth_home: Path) -> None:
    a = agent(plan([ASKED], ["bm25 scoring"]), BM25_ANSWER)
    first = a.ask(ASKED)
    second = a.ask("how does BM25 score documents")
    assert first.usage.llm_calls == ADAPTIVE_CALLS and first.citations
    assert second.usage.llm_calls == 0 and second.path == "memory"
    assert second.answer == first.answer and second.citations == first.citations
    assert second.memory is not None and second.memory.used and second.memory.reused_run == first.run_id
    assert [s.kind for s in second.steps] == ["recall"]
    assert _db(sleuth_home)["runs"].get(second.run_id)["reused_from"] == first.run_id


def test_a_rewording_is_reused_only_when_the_lm_judges_it_the_same_question(agent) -> None:
    a = agent(plan([ASKED], ["bm25 scoring"]), BM25_ANSWER, {"same": True})
    first = a.ask(ASKED)
    reused = a.ask(REWORDED)
    assert reused.memory.reused_run == first.run_id
    assert reused.usage.llm_calls == 1
    recall_step = reused.steps[0]
    assert recall_step.kind == "recall" and recall_step.detail["reused"] is True


def test_a_near_miss_judged_different_is_researched_with_the_remembered_plan(agent, settings) -> None:
    settings.agent.loop = "full"
    a = agent(plan([ASKED], ["bm25 scoring", "term frequency"]), BM25_ANSWER, {"same": False}, BM25_ANSWER)
    first = a.ask(ASKED)
    second = a.ask(REWORDED)
    assert second.memory.reused_run is None
    assert second.memory.plan_from == first.run_id
    assert second.usage.llm_calls == 3  # the judge, then filter and draft: the plan came from memory
    kinds = [s.kind for s in second.steps]
    assert kinds == ["recall", "recall", "plan", "search", "filter", "draft", "verify"]
    assert second.steps[2].detail["from_memory"] == first.run_id
    assert second.memory.pinned == [c.chunk_id for c in first.citations]


def test_no_answer_is_reused_after_the_collection_changed(agent, tmp_path: Path) -> None:
    a = agent(plan([ASKED], ["bm25"]), BM25_ANSWER, BM25_ANSWER)
    a.ask(ASKED)
    extra = tmp_path / "notes.md"
    extra.write_text("# BM25F\n\nBM25F extends BM25 to documents with several weighted fields.\n")
    a.ingest([extra])
    again = a.ask(ASKED)
    assert again.memory.reused_run is None
    assert again.usage.llm_calls == ADAPTIVE_CALLS


def test_a_source_rated_down_is_left_out_of_later_evidence(agent) -> None:
    a = agent(plan([ASKED], ["bm25"]), BM25_ANSWER, plan(["q"], ["bm25 saturation"]), BM25_ANSWER)
    first = a.ask(ASKED)
    assert first.citations[0].doc_id == "bm25"
    result = CliRunner().invoke(app, ["feedback", first.run_id[:8], "down", "outdated", "--citation", "1"])
    assert result.exit_code == 0, result.output
    later = a.ask("What controls saturation in BM25?")  # not similar enough to reuse anything
    assert later.memory.avoided == ["bm25"]
    search = next(s for s in later.steps if s.kind == "search")
    assert search.detail["avoided"] == ["bm25"]
    assert later.evidence and "bm25" not in {e.doc_id for e in later.evidence}


def test_an_answer_rated_down_is_not_reused(agent) -> None:
    a = agent(plan([ASKED], ["bm25"]), BM25_ANSWER, plan([ASKED], ["bm25"]), BM25_ANSWER)
    first = a.ask(ASKED)
    CliRunner().invoke(app, ["feedback", first.run_id, "down"])
    again = a.ask(ASKED)
    assert again.memory.reused_run is None and again.memory.plan_from is None
    assert "bm25" in again.memory.avoided  # sources of a bad answer are avoided for the same question


def test_runs_record_steps_evidence_lessons_and_the_profile(agent, settings, sleuth_home: Path) -> None:
    settings.agent.loop = "full"
    answer = agent(plan([ASKED], ["bm25 scoring"]), BM25_ANSWER).ask(ASKED)
    db = _db(sleuth_home)
    assert db["steps"].count_where("run_id = ?", [answer.run_id]) == len(answer.steps) == 6
    cited = {r["chunk_id"] for r in db["evidence"].rows_where("run_id = ? and cited = 1", [answer.run_id])}
    assert cited == {c.chunk_id for c in answer.citations}
    assert db["evidence"].count_where("run_id = ? and kept = 1", [answer.run_id]) >= len(cited)
    lessons = {(r["kind"], r["text"] or r["doc_id"]) for r in db["lessons"].rows}
    assert ("query", "bm25 scoring") in lessons and ("source", "BM25 ranking") in lessons
    topics = json.loads(CliRunner().invoke(app, ["memory", "stats", "--json"]).output)["top_topics"]
    assert {"bm25", "score", "documents"} <= set(topics)
    answers_view = next(db.query("select * from answers where run_id = ?", [answer.run_id]))
    assert answers_view["citations"] == len(answer.citations)


def test_with_recall_off_every_question_is_researched(agent, settings) -> None:
    settings.memory.recall = False
    a = agent(plan([ASKED], ["bm25"]), BM25_ANSWER, plan([ASKED], ["bm25"]), BM25_ANSWER)
    a.ask(ASKED)
    again = a.ask(ASKED)
    assert again.memory is None and again.usage.llm_calls == ADAPTIVE_CALLS


def test_a_damaged_memory_costs_its_help_not_the_answer(agent, sleuth_home: Path) -> None:
    a = agent(plan([ASKED], ["bm25"]), BM25_ANSWER)
    for stale in sleuth_home.glob("memory.db-*"):  # the write-ahead log would restore the pages
        stale.unlink()
    (sleuth_home / "memory.db").write_bytes(b"not a database" * 100)
    answer = a.ask(ASKED)
    assert answer.citations and "memory" in (answer.error or "")


def test_an_answer_is_reused_only_for_the_model_that_wrote_it_and_says_whose_it_is(
    settings, embedder, corpus_file
) -> None:
    """The scripted stand-in's answer was once returned, with no LM call, to the bundled model's user and labelled
    with the bundled model's name."""
    from conftest import ScriptedLM, make_agent

    if settings.index.url:
        pytest.skip("qdrant-client's :memory: stand-in does not share collections between clients")
    first_agent = make_agent(settings, embedder, lm=ScriptedLM([BM25_ANSWER]))
    first_agent.ingest([corpus_file])
    first = first_agent.ask(ASKED)
    first_agent.close()
    assert first.model == "dummy"
    again = make_agent(settings.model_copy(deep=True), embedder, lm=ScriptedLM([]))
    reused = again.ask(ASKED)
    assert reused.path == "memory" and reused.model == "dummy"  # the same setup: reused, and it says who wrote it
    again.close()
    other = settings.model_copy(deep=True)
    other.models.lm = "local/qwen2.5-coder-0.5b"  # another model (the LM object is the test's own)
    third = make_agent(other, embedder, lm=ScriptedLM([BM25_ANSWER]))
    answer = third.ask(ASKED)
    assert answer.path != "memory" and answer.usage.llm_calls == 1
