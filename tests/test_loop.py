"""The research loop's stages one by one: utility filter, gap-driven rounds with tools, the LM citation check,
the budget, retries, the ReAct loop for strong LMs, and degrading without an LM."""

from __future__ import annotations

import pytest
from conftest import ScriptedLM, make_agent, plan, sentences

from sleuth.agent.program import NOT_FOUND
from sleuth.schema import Answer, Step

QUESTION = "How does ColBERT score passages?"
COLBERT = sentences(
    ("ColBERT keeps one embedding per token.", [1]), ("It scores a passage by summing the maximum similarity.", [1])
)


def _draft(missing: str, action: str, argument: str, *items: tuple[str, list[int]]) -> dict:
    """A draft answer (two sentences at least, as the schema asks) that names a gap and the next action."""
    items = items if len(items) > 1 else (*items, ("More is needed.", []))
    return {**sentences(*items), "missing": missing, "next_action": action, "argument": argument}


def _step(answer: Answer, kind: str) -> Step:
    return next(s for s in answer.steps if s.kind == kind)


def test_the_filter_keeps_passages_useful_for_the_question_not_merely_on_topic(agent) -> None:
    a = agent(plan([QUESTION], ["colbert late interaction"]), {"useful": [2]}, COLBERT)
    answer = a.ask(QUESTION)
    step = _step(answer, "filter")
    assert step.detail["judged"] and len(step.detail["useful"]) == 1
    assert len(step.detail["kept"]) == 2  # never fewer than two: the best-ranked other passage pads it
    assert step.detail["kept"][0] == step.detail["useful"][0]
    assert set(step.detail["dropped"]).isdisjoint(step.detail["kept"])
    assert answer.citations and answer.citations[0].chunk_id == step.detail["useful"][0]


def test_a_gap_named_by_the_draft_drives_a_search_round_that_adds_evidence(agent, settings) -> None:
    settings.agent.top_k = 2
    a = agent(
        plan(["What is BM25?"], ["bm25"]),
        {"useful": [1]},
        _draft("what leavens sourdough", "search", "sourdough wild yeast", ("BM25 ranks documents.", [1])),
        _draft("", "finish", "", ("Sourdough is leavened by wild yeast.", [3]), ("It ferments for hours.", [3])),
    )
    answer = a.ask("What is BM25, and what else does the collection know?")
    tool = _step(answer, "tool")
    assert tool.detail["tool"] == "search" and tool.detail["added"]
    drafts = [s for s in answer.steps if s.kind == "draft"]
    assert [d.detail["round"] for d in drafts] == [1, 2]
    assert drafts[1].detail["passages"] == drafts[0].detail["passages"] + len(tool.detail["added"])
    assert "bread" in {c.doc_id for c in answer.citations}


def test_read_document_and_neighbours_fall_back_to_search_for_a_bad_passage_number(agent) -> None:
    a = agent(
        plan([QUESTION], ["colbert"]),
        _draft("more on scoring", "read_document", "passage 99", ("ColBERT keeps token embeddings.", [1])),
        COLBERT,
    )
    answer = a.ask(QUESTION)
    assert _step(answer, "tool").detail["tool"] == "search"
    assert answer.error is None


def test_read_neighbours_reads_the_chunks_around_a_passage(agent, settings, tmp_path) -> None:
    settings.index.chunk_tokens = 24
    settings.index.chunk_overlap = 0
    long_doc = tmp_path / "notes.md"
    long_doc.write_text(
        "# Late interaction\n\n"
        + " ".join(f"Sentence {i} says late interaction keeps token vectors number {i}." for i in range(12))
    )
    a = agent(
        plan(["late interaction"], ["late interaction token vectors"]),
        _draft("the rest of the notes", "read_neighbours", "1", ("Late interaction keeps token vectors.", [1])),
        sentences(("Late interaction keeps token vectors.", [1]), ("The notes go on about it.", [1])),
    )
    a.ingest([long_doc])
    answer = a.ask("What do the notes say about late interaction?")
    tool = _step(answer, "tool")
    assert tool.detail["tool"] == "read_neighbours" and tool.detail["found"] >= 1


def test_the_lm_check_drops_a_sentence_its_passages_do_not_support(agent) -> None:
    a = agent(
        plan([QUESTION], ["colbert"]),
        sentences(
            ("ColBERT keeps one embedding per token.", [1]),  # restates its passage: not sent to the check
            ("ColBERT retrieval was invented by Napoleon in 1850.", [1]),
        ),
        {"supported": [False]},
    )
    answer = a.ask(QUESTION)
    check = _step(answer, "verify")
    assert check.llm_calls == 1
    assert check.detail["unsupported_removed"] == ["ColBERT retrieval was invented by Napoleon in 1850."]
    assert "Napoleon" not in answer.answer and "one embedding per token" in answer.answer


def test_sentences_that_restate_their_passages_need_no_lm_check(agent) -> None:
    a = agent(plan([QUESTION], ["colbert"]), COLBERT, {"supported": [False, False]})
    answer = a.ask(QUESTION)
    assert _step(answer, "verify").llm_calls == 0 and answer.usage.llm_calls == 4
    assert "one embedding per token" in answer.answer


def test_an_unanswerable_question_says_so_and_cites_nothing(agent) -> None:
    a = agent(
        plan(["Who won the 1998 World Cup?"], ["world cup 1998"]),
        {"useful": []},
        {
            **sentences(("The collection does not cover football.", []), ("It discusses retrieval.", [])),
            "short_answer": "unknown",
        },
    )
    answer = a.ask("Who won the 1998 World Cup?")
    assert answer.answer == NOT_FOUND and answer.citations == [] and answer.short_answer == "unknown"


@pytest.mark.parametrize("calls", [1, 2, 3, 4, 5, 6])
def test_the_llm_call_budget_is_never_exceeded(agent, settings, calls) -> None:
    settings.agent.max_llm_calls = calls
    a = agent(
        plan([QUESTION], ["colbert"]),
        _draft("more", "search", "colbert scoring", ("ColBERT keeps token embeddings.", [1])),
        _draft("more", "search", "maxsim", ("ColBERT keeps token embeddings.", [1])),
        _draft("", "finish", "", ("ColBERT keeps token embeddings.", [1])),
    )
    answer = a.ask(QUESTION)
    assert answer.usage.llm_calls <= calls
    assert sum(s.llm_calls for s in answer.steps) <= calls


def test_the_step_budget_is_never_exceeded(agent, settings) -> None:
    settings.agent.max_steps = 4
    a = agent(plan([QUESTION], ["colbert"]), _draft("more", "search", "x", ("ColBERT keeps token embeddings.", [1])))
    answer = a.ask(QUESTION)
    spent = sum(s.llm_calls for s in answer.steps) + sum(s.kind in ("search", "tool") for s in answer.steps)
    assert spent <= 4  # a step is an LM call or a tool call


def test_the_token_budget_is_never_exceeded(agent, settings) -> None:
    settings.agent.max_tokens = 1500  # room for about one call of the embedded model's size
    answer = agent(plan([QUESTION], ["colbert"]), COLBERT).ask(QUESTION)
    assert answer.usage.llm_calls <= 1


def test_a_transient_provider_error_is_retried_with_backoff(settings, embedder, corpus_file, monkeypatch) -> None:
    import sleuth.agent.program as program

    waits: list[float] = []
    monkeypatch.setattr(program.time, "sleep", waits.append)
    lm = ScriptedLM([plan([QUESTION], ["colbert"]), COLBERT])
    inner = lm._engine_spec._complete_messages
    failures = {"left": 2}

    class APIConnectionError(Exception):
        pass

    def flaky(messages):
        if failures["left"]:
            failures["left"] -= 1
            raise APIConnectionError("connection reset")
        return inner(messages)

    lm._engine_spec._complete_messages = flaky
    a = make_agent(settings, embedder, lm=lm)
    a.ingest([corpus_file])
    answer = a.ask(QUESTION)
    assert waits == [1.0, 2.0]
    assert answer.error is None and answer.citations
    assert answer.usage.llm_calls == 4 + 2  # the failed attempts count against the budget


def test_malformed_output_is_retried_with_the_other_adapter(settings, embedder, corpus_file) -> None:
    from dspy.clients.engines.dummy_engine import DummyEngine

    lm = ScriptedLM([plan([QUESTION], ["colbert"]), COLBERT])
    engine = lm._engine_spec
    scripted = engine._complete_messages
    seen: list[str] = []

    def garbled_twice(messages):
        seen.append("json" if "JSON object" in messages[0]["content"] else "chat")
        if len(seen) <= 2:  # DSPy's chat adapter retries once in JSON by itself; both replies are garbage
            lm.answers = iter([])
            return DummyEngine._complete_messages(engine, messages)
        return scripted(messages)

    engine._complete_messages = garbled_twice
    a = make_agent(settings, embedder, lm=lm)
    a.ingest([corpus_file])
    answer = a.ask(QUESTION)
    assert seen[:3] == ["chat", "json", "json"]  # then the loop's own retry, with the JSON adapter
    assert _step(answer, "plan").detail["sub_questions"] == [QUESTION]
    assert answer.error is None and answer.citations


def test_without_a_working_lm_the_llm_free_multi_hop_search_still_finds_evidence(settings, embedder, corpus_file):
    a = make_agent(settings, embedder, lm=ScriptedLM([]))
    a.ingest([corpus_file])
    answer = a.ask("What does ColBERT keep per token?")
    assert answer.error and "planning failed" in answer.error
    assert answer.retrieved[0] == "colbert"
    assert "multi_hop_queries" in _step(answer, "search").detail


def test_react_loop_calls_tools_and_answers_from_what_they_found(agent, settings) -> None:
    settings.agent.loop = "react"
    settings.agent.top_k = 2  # the loop starts from the two best passages (ColBERT's first)
    a = agent(
        plan([QUESTION], ["colbert"]),
        {"next_thought": "search for bread", "next_tool_name": "search", "next_tool_args": {"query": "sourdough"}},
        {"next_thought": "done", "next_tool_name": "finish", "next_tool_args": {}},
        {"reasoning": "found it", "notes": "passage 3 is about bread"},
        {"useful": [3, 1]},  # the filter judges what the tools found; its order numbers the passages anew
        sentences(("Sourdough uses wild yeast.", [1]), ("ColBERT keeps token embeddings.", [2])),
    )
    answer = a.ask(QUESTION)
    react = _step(answer, "react")
    assert react.llm_calls == 3  # two tool-choosing steps and the extraction
    assert len(react.detail["found"]) >= 3  # the first two passages, then what the search added
    assert {"bread", "colbert"} <= {c.doc_id for c in answer.citations}


def test_with_no_lm_installed_ask_returns_the_llm_free_evidence(settings, embedder, corpus_file) -> None:
    settings.models.lm = str(corpus_file.parent / "missing.gguf")
    a = make_agent(settings, embedder)
    a.ingest([corpus_file])
    answer = a.ask("What does ColBERT keep per token?")
    assert answer.error and "no LM available" in answer.error and "missing.gguf" in answer.error
    assert answer.retrieved[0] == "colbert" and answer.citations == []
