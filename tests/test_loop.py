"""The research loop's stages one by one: routing, the gap round, the utility filter, the LM citation check, the
budgets of calls, steps, tokens and time, adapter fallback, the tool table, ReAct, and degrading without an LM."""

from __future__ import annotations

import time

import pytest
from conftest import ScriptedLM, make_agent, plan, sentences

from sleuth.agent.loop.verify import NOT_FOUND
from sleuth.schema import Answer, Step

QUESTION = "How does ColBERT score passages?"
COLBERT = sentences(
    ("ColBERT keeps one embedding per token.", [1]), ("It scores a passage by summing the maximum similarity.", [1])
)


def _step(answer: Answer, kind: str) -> Step:
    return next(s for s in answer.steps if s.kind == kind)


def _draft(missing: str, *items: tuple[str, list[int]]) -> dict:
    """A draft answer (two sentences at least, as the schema asks) that names what is missing."""
    items = items if len(items) > 1 else (*items, ("More is needed.", []))
    return {**sentences(*items), "missing": missing}


def test_a_gap_named_by_the_draft_drives_a_search_round_that_adds_evidence(agent, settings) -> None:
    settings.agent.top_k = 2
    a = agent(
        _draft("what leavens sourdough bread", ("BM25 ranks documents.", [1]), ("It weighs terms.", [1])),
        _draft("", ("Sourdough is leavened by wild yeast.", [3]), ("The dough ferments for many hours.", [3])),
    )
    answer = a.ask("What is BM25?")
    tool = _step(answer, "tool")
    assert tool.detail["tool"] == "search" and tool.detail["argument"] == "what leavens sourdough bread"
    assert tool.detail["added"]
    drafts = [s for s in answer.steps if s.kind == "draft"]
    assert [d.detail["round"] for d in drafts] == [1, 2]
    assert drafts[1].detail["passages"] == drafts[0].detail["passages"] + len(tool.detail["added"])
    assert "bread" in {c.doc_id for c in answer.citations}
    assert answer.path == "deep" and "gap" in [s for s in answer.steps if s.kind == "route"][1].detail["reason"]
    assert answer.usage.llm_calls == 2


def test_no_further_round_when_the_draft_is_supported_and_names_no_gap(agent) -> None:
    answer = agent({**COLBERT, "missing": "nothing"}).ask(QUESTION)
    assert answer.path == "fast" and answer.usage.llm_calls == 1
    assert [s.kind for s in answer.steps].count("draft") == 1


def test_the_filter_keeps_passages_useful_for_the_question_not_merely_on_topic(agent, settings) -> None:
    settings.agent.loop = "full"
    a = agent(plan([QUESTION], ["colbert late interaction"]), {"useful": [2]}, COLBERT)
    answer = a.ask(QUESTION)
    step = _step(answer, "filter")
    assert step.detail["judged"] and len(step.detail["kept"]) == 2  # never fewer than two: the next best pads it
    assert set(step.detail["dropped"]).isdisjoint(step.detail["kept"])
    assert answer.evidence and {e.chunk_id for e in answer.evidence if e.kept} == set(step.detail["kept"])


def test_the_filter_never_drops_the_only_passage_about_one_part(agent, settings) -> None:
    settings.agent.loop = "full"
    question = "What is the difference between BM25 and ColBERT?"
    a = agent(
        plan(["How does BM25 rank documents?", "How does ColBERT score passages?"], []),
        {"useful": [1]},  # the judge keeps one passage only
        COLBERT,
    )
    answer = a.ask(question)
    kept = {e.doc_id for e in answer.evidence if e.kept}
    assert {"bm25", "colbert"} <= kept


def test_the_lm_check_drops_a_sentence_its_passages_do_not_support(agent, settings) -> None:
    settings.agent.loop = "full"
    a = agent(
        plan([QUESTION], ["colbert"]),
        sentences(
            ("ColBERT keeps one embedding per token.", [1]),  # restates its passage: not sent to the check
            ("ColBERT stores a single vector for each document.", [1]),  # on topic, and not what it says
        ),
        {"supported": [False]},
    )
    answer = a.ask(QUESTION)
    check = _step(answer, "verify")
    assert check.llm_calls == 1
    assert check.detail["unsupported_removed"] == ["ColBERT stores a single vector for each document."]
    assert "single vector" not in answer.answer and "one embedding per token" in answer.answer


def test_a_sentence_naming_what_no_passage_names_is_dropped_without_an_lm_check(agent, settings) -> None:
    settings.agent.loop = "full"
    a = agent(
        plan([QUESTION], ["colbert"]),
        sentences(
            ("ColBERT keeps one embedding per token.", [1]),
            ("ColBERT retrieval was invented by Napoleon in 1850.", [1]),
        ),
    )
    answer = a.ask(QUESTION)
    check = _step(answer, "verify")
    assert check.llm_calls == 0 and check.detail["uncited_sentences_removed"] == 1
    assert "Napoleon" not in answer.answer and "one embedding per token" in answer.answer


def test_sentences_that_restate_their_passages_need_no_lm_check(agent, settings) -> None:
    settings.agent.loop = "full"
    a = agent(plan([QUESTION], ["colbert"]), COLBERT, {"supported": [False, False]})
    answer = a.ask(QUESTION)
    assert _step(answer, "verify").llm_calls == 0 and answer.usage.llm_calls == 4  # plan, rewrite, filter, draft
    assert "one embedding per token" in answer.answer


def test_an_unanswerable_question_says_so_and_cites_nothing(agent) -> None:
    a = agent(
        {
            **sentences(("The collection does not cover football.", []), ("It discusses retrieval.", [])),
            "short_answer": "unknown",
        },
    )
    answer = a.ask("Who won the 1998 World Cup?")
    assert answer.answer == NOT_FOUND and answer.citations == [] and answer.short_answer == "unknown"
    assert answer.error is None


@pytest.mark.parametrize("loop", ["adaptive", "full"])
@pytest.mark.parametrize("calls", [1, 2, 3, 4, 5, 6])
def test_the_llm_call_budget_is_never_exceeded(agent, settings, calls, loop) -> None:
    settings.agent.max_llm_calls = calls
    settings.agent.loop = loop
    a = agent(
        plan(["What does ColBERT keep?", "How does it score?"], ["colbert"]),
        _draft("more on maxsim", ("ColBERT keeps token embeddings.", [1])),
        _draft("more on late interaction", ("ColBERT keeps token embeddings.", [1])),
        _draft("", ("ColBERT keeps token embeddings.", [1])),
    )
    answer = a.ask("What does ColBERT keep and how does it score?")
    assert answer.usage.llm_calls <= calls
    assert sum(s.llm_calls for s in answer.steps) <= calls
    assert answer.answer  # never empty


def test_the_step_budget_is_never_exceeded(agent, settings) -> None:
    settings.agent.max_steps = 3
    a = agent(_draft("more", ("ColBERT keeps token embeddings.", [1])), COLBERT)
    answer = a.ask(QUESTION)
    spent = sum(s.llm_calls for s in answer.steps) + sum(s.kind in ("search", "tool") for s in answer.steps)
    assert spent <= 3  # a step is an LM call or a tool call


def test_the_token_budget_is_never_exceeded(agent, settings) -> None:
    settings.agent.max_tokens = 1500  # room for about one call of the embedded model's size
    settings.agent.loop = "full"
    answer = agent(plan([QUESTION], ["colbert"]), COLBERT).ask(QUESTION)
    assert answer.usage.llm_calls <= 1


def test_optional_stages_leave_the_answer_its_reserved_time(agent, settings, monkeypatch) -> None:
    """A slow LM: each call takes 2 s of a 10 s budget, of which 40% (and 2 s to finish) is kept for the answer."""
    from sleuth.agent.llm import generation as engine

    monkeypatch.setattr(engine.RATES, "prompt", 10_000.0)  # the first call is expected to be quick
    monkeypatch.setattr(engine.RATES, "generation", 10_000.0)
    settings.agent.max_seconds = 10
    settings.agent.loop = "full"
    a = agent(plan(["a", "b"], ["q1", "q2"]), {"useful": [1, 2]}, COLBERT)
    inner = a.lm._engine_spec._complete_messages

    def slow(messages):
        time.sleep(2)
        return inner(messages)

    a.lm._engine_spec._complete_messages = slow
    answer = a.ask(QUESTION)
    kinds = [s.kind for s in answer.steps if s.llm_calls]
    assert kinds == ["plan", "draft"]  # after a 2 s plan, a 2 s rewrite or judgement would eat the answer's time
    assert _step(answer, "filter").detail["judged"] is False
    assert answer.citations and answer.seconds < 10


def test_the_answer_call_stops_at_its_deadline_and_keeps_complete_sentences(agent, settings) -> None:
    """The engine is cut off at the deadline: the sentences it finished are the answer, marked as cut off."""
    from sleuth.agent.llm.generation import generation
    from sleuth.agent.loop.draft import salvage_sentences

    raw = '{"short_answer": "MaxSim", "answer": {"sentences": [{"text": "ColBERT sums maxima.", "sources": [1]}, {"te'

    class Cut(Exception):
        lm_response = raw

    assert [s.text for s in salvage_sentences(Cut())] == ["ColBERT sums maxima."]
    seen: list[str] = []
    with generation(seen.append, deadline=time.perf_counter() - 1):
        from sleuth.agent.llm.generation import DEADLINE, TOKEN_SINK

        assert TOKEN_SINK.get() is not None and DEADLINE.get() is not None
    assert TOKEN_SINK.get() is None and DEADLINE.get() is None


def test_a_transient_error_is_left_to_dspys_own_retries_and_the_run_degrades(settings, embedder, corpus_file) -> None:
    lm = ScriptedLM([COLBERT])
    failures = {"left": 10}

    class APIConnectionError(Exception):
        pass

    def down(messages):
        failures["left"] -= 1
        raise APIConnectionError("connection reset")

    lm._engine_spec._complete_messages = down
    a = make_agent(settings, embedder, lm=lm)
    a.ingest([corpus_file])
    answer = a.ask(QUESTION)
    assert failures["left"] == 9  # one attempt: the loop does not retry on top of dspy.LM's num_retries
    assert answer.error and "connection reset" in answer.error
    assert answer.citations and answer.citations[0].doc_id == "colbert"  # the extractive answer


def test_remote_lms_are_retried_by_dspy(monkeypatch) -> None:
    from sleuth.agent.llm.lm import build_lm
    from sleuth.settings import Settings

    monkeypatch.setenv("SLEUTH_LM", "openai/gpt-4o-mini")
    assert build_lm(Settings()).num_retries == 3


def test_malformed_output_is_retried_with_the_other_adapter(settings, embedder, corpus_file) -> None:
    from dspy.clients.engines.dummy_engine import DummyEngine

    lm = ScriptedLM([COLBERT])
    engine = lm._engine_spec
    scripted = engine._complete_messages
    seen: list[str] = []

    def garbled_once(messages):
        seen.append("json" if "JSON object" in messages[0]["content"] else "chat")
        if len(seen) == 1:
            lm.answers = iter([])
            return DummyEngine._complete_messages(engine, messages)
        return scripted(messages)

    engine._complete_messages = garbled_once
    a = make_agent(settings, embedder, lm=lm)
    a.ingest([corpus_file])
    answer = a.ask(QUESTION)
    assert seen == ["chat", "json"]  # the loop's own retry, once, with the JSON adapter: DSPy's hidden one is off
    assert answer.error is None and answer.citations and answer.usage.llm_calls == 2


def test_a_draft_cut_off_at_the_token_limit_keeps_its_sentences_without_a_second_call(
    settings, embedder, corpus_file
) -> None:
    """The 1.5B model copies long passages and runs out of tokens mid-answer: its complete sentences are the
    answer; another adapter would not write it shorter, so no second call is paid for."""
    from dspy.lm15 import Message, Response, TextPart, Usage

    from sleuth.agent.llm.testing import _stream

    lm = ScriptedLM([])
    engine = lm._engine_spec
    seen: list[str] = []
    cut = (
        '{"answer": {"sentences": [{"text": "ColBERT keeps one embedding per token.", "sources": [1]}, {"text": "It sc'
    )

    def truncated(messages):
        seen.append("json" if "JSON object" in messages[0]["content"] else "chat")
        _stream(cut)
        return Response(
            id=None, model="dummy", message=Message.assistant([TextPart(cut)]), finish_reason="length", usage=Usage()
        )

    engine._complete_messages = truncated
    a = make_agent(settings, embedder, lm=lm)
    a.ingest([corpus_file])
    answer = a.ask(QUESTION)
    assert len(seen) == 1 and answer.usage.llm_calls == 1
    assert answer.answer.startswith("ColBERT keeps one embedding per token") and answer.citations
    assert answer.error is None  # the token limit is not a failure: the finished sentences answer
    assert "1 complete sentence(s) kept" in _step(answer, "draft").detail["cut_off"]


def test_without_a_working_lm_the_evidence_answers_in_its_own_words(settings, embedder, corpus_file):
    a = make_agent(settings, embedder, lm=ScriptedLM([]))
    a.ingest([corpus_file])
    answer = a.ask("What does ColBERT keep per token?")
    assert answer.error and "writing the answer failed" in answer.error
    assert answer.retrieved[0] == "colbert" and answer.citations[0].doc_id == "colbert"
    assert "multi_hop_queries" in _step(answer, "search").detail


def test_react_loop_calls_tools_and_answers_from_what_they_found(agent, settings) -> None:
    settings.agent.loop = "react"
    settings.agent.top_k = 2  # the loop starts from the two best passages (ColBERT's first)
    a = agent(
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
    assert any(s.source == "tool" and s.query == "sourdough" for s in answer.searches)


def test_with_no_lm_installed_ask_returns_the_llm_free_evidence(settings, embedder, corpus_file) -> None:
    settings.models.lm = str(corpus_file.parent / "missing.gguf")
    a = make_agent(settings, embedder)
    a.ingest([corpus_file])
    answer = a.ask("What does ColBERT keep per token?")
    assert answer.error and "no LM available" in answer.error and "missing.gguf" in answer.error
    assert answer.retrieved[0] == "colbert" and answer.citations == []


def test_a_gap_that_echoes_the_question_or_the_instructions_is_no_gap() -> None:
    from sleuth.agent.loop.rounds import meaningful as _meaningful

    question = "What are hard negatives?"
    assert not _meaningful("What are hard negatives?", question)
    assert not _meaningful("What the question asks that the passages do not say", question)
    assert not _meaningful("The passages do not provide information about this.", question)
    assert _meaningful("how hard negatives are mined", question)


def test_a_comparison_answered_on_one_side_says_which_part_the_passages_do_not_answer(agent, settings) -> None:
    settings.agent.by_parts = False  # one draft over the planned parts' evidence (tests/test_synthesis.py: parts)
    question = "What is the difference between BM25 and ColBERT?"
    parts = ["How does BM25 rank documents?", "How does ColBERT score passages?"]
    answer = agent(plan(parts, []), {**COLBERT, "short_answer": "ColBERT sums maximum similarities"}).ask(question)
    assert {c.doc_id for c in answer.citations} == {"colbert"}
    # the evidence holds BM25's passage, so the part is said left out, not "not found" (#34)
    assert answer.answer.endswith("This answer leaves out: How does BM25 rank documents.")


def test_a_gap_named_beside_a_short_answer_does_not_buy_another_round(agent) -> None:
    """A small LM names something missing in almost every draft: with a short answer found, the draft stands."""
    drafted = {**COLBERT, "short_answer": "the maximum similarity", "missing": "the year ColBERT was published"}
    answer = agent(drafted).ask(QUESTION)
    assert answer.path == "fast" and answer.usage.llm_calls == 1
    assert answer.short_answer == "the maximum similarity"


def test_one_supported_sentence_left_after_verification_does_not_buy_another_round(agent) -> None:
    drafted = sentences(("ColBERT keeps one embedding per token.", [1]), ("Napoleon crossed the Alps in 1800.", [1]))
    answer = agent({**drafted, "short_answer": "one embedding", "missing": ""}).ask(QUESTION)
    assert [s.kind for s in answer.steps].count("draft") == 1 and answer.usage.llm_calls == 1
    assert "Napoleon" not in answer.answer


def test_the_single_shot_baseline_searches_once_and_calls_the_lm_once(agent, settings) -> None:
    """`agent.loop=single-shot`: the RAG baseline `sleuth eval qa` compares the loops against; its citations pass
    the same checks."""
    settings.agent.loop = "single-shot"
    a = agent(
        sentences(("ColBERT keeps one embedding per token.", [1]), ("Sourdough needs wild yeast.", [1])),
    )
    answer = a.ask(QUESTION)
    assert answer.path == "single-shot" and answer.usage.llm_calls == 1
    assert [s.kind for s in answer.steps] == ["route", "search", "draft", "verify"]
    assert [s.source for s in answer.searches] == ["question"]  # no multi-hop follow-ups, no plan
    assert answer.citations[0].doc_id == "colbert" and "Sourdough" not in answer.answer  # verified like the rest


def test_a_sentence_holding_several_is_verified_claim_by_claim(agent) -> None:
    """The 1.5B model copies two passage sentences into one and adds a third of its own: the verifier checks each
    (agent/checks/attribution.py splits them), so the supported ones stay and the invented one goes."""
    a = agent(
        sentences(
            (
                "ColBERT keeps one embedding per token. It scores passages by late interaction. "
                "It was invented in 1850 by Charles Dickens.",
                [1],
            ),
            ("ColBERT keeps token embeddings.", [1]),
        )
    )
    answer = a.ask(QUESTION)
    assert "late interaction" in answer.answer and "Dickens" not in answer.answer
    assert answer.citations[0].doc_id == "colbert"


def test_statements_the_planner_writes_are_searched_but_are_no_part_the_answer_must_cover(agent, settings) -> None:
    """A 1.5B planner wrote answers among its sub-questions; the answer then said "The cited passages do not answer:
    The Pterocarya is larger than the Cotula.", naming its own planner's guesses as parts of the question."""
    settings.agent.by_parts = False
    question = "What is the difference between BM25 and ColBERT?"
    written = ["How does ColBERT score passages?", "ColBERT is better than BM25 at everything.", "How does BM25 rank?"]
    answer = agent(plan(written, []), {**COLBERT, "short_answer": "ColBERT sums maximum similarities"}).ask(question)
    assert answer.sub_questions == ["How does ColBERT score passages?", "How does BM25 rank?"]
    assert "ColBERT is better than BM25 at everything." in [s.query for s in answer.searches]
    assert "better than BM25" not in answer.answer
    assert answer.answer.endswith("This answer leaves out: How does BM25 rank.")


FACT = "What does ColBERT sum to score a passage?"


def test_a_sentence_written_as_the_short_answer_buys_one_call_that_names_the_phrase(agent) -> None:
    drafted = {**COLBERT, "short_answer": "ColBERT scores a passage by summing the maximum similarity."}
    a = agent(drafted, {"phrase": "summing the maximum similarity"})
    answer = a.ask(FACT)
    assert answer.short_answer == "summing the maximum similarity"
    step = _step(answer, "short")
    assert step.llm_calls == 1 and step.detail["drafted"] == drafted["short_answer"]
    assert answer.usage.llm_calls == 2 and [s.kind for s in answer.steps][-2:] == ["verify", "short"]
    draft, follow_up = (entry["messages"] for entry in a.lm.history[-2:])
    assert follow_up[: len(draft)] == draft  # one more turn of the draft's conversation: its prompt is reused
    assert follow_up[len(draft)]["role"] == "assistant" and FACT in follow_up[-1]["content"]


def test_a_phrase_the_answer_does_not_bear_out_leaves_the_drafts_own(agent) -> None:
    drafted = {**COLBERT, "short_answer": "It scores a passage by summing the maximum similarity."}
    answer = agent(drafted, {"phrase": "Napoleon Bonaparte"}).ask(FACT)
    assert "Napoleon" not in answer.short_answer and "maximum similarity" in answer.short_answer
    assert _step(answer, "short").detail["named"] != "Napoleon Bonaparte"


@pytest.mark.parametrize(
    ("question", "short"),
    [
        ("Does ColBERT keep one embedding per token?", "Yes, ColBERT keeps one embedding per token."),
        ("How does ColBERT score passages?", "maximum similarity sums"),
        ("How does ColBERT score passages?", "ColBERT scores a passage by summing the maximum similarity."),
    ],
)
def test_a_short_answer_that_is_already_a_phrase_costs_no_call(agent, question, short) -> None:
    answer = agent({**COLBERT, "short_answer": short}).ask(question)
    assert answer.usage.llm_calls == 1 and "short" not in [s.kind for s in answer.steps]


@pytest.mark.parametrize("chain_only", [False, True])
def test_the_question_chain_leads_the_evidence_and_with_chain_only_is_all_the_draft_reads(
    settings, embedder, tmp_path, chain_only
) -> None:
    """The Charles Andrews question of HotpotQA train100 in miniature: passages sharing the question's last words
    rank high, the person's passage and the school it names go first (agent.chain_first, on by default), and with
    agent.chain_only the draft reads those two alone."""
    import json

    from conftest import ScriptedLM

    corpus = tmp_path / "chain.jsonl"
    rows = [
        ("worksop", "Worksop College Preparatory School", "Boys graduated from this college preparatory school."),
        ("cutler", "Cutler School", "Its boys graduated as from a college preparatory boys' school."),
        ("eton", "Eton College", "What boys graduated from: a college preparatory school of old."),
        ("andrews", "Charles Andrews (Maine politician)", "He attended Hebron Academy, then served in Congress."),
        ("hebron", "Hebron Academy", "An academy in Maine founded in 1804."),
    ]
    corpus.write_text("".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n" for i, t, x in rows))
    settings.agent.chain_only = chain_only
    a = make_agent(settings, embedder, lm=ScriptedLM([sentences(("He attended Hebron Academy.", [1, 2]))]))
    a.ingest([corpus])
    answer = a.ask("Charles Andrews graduated from what college preparatory boys' school?")
    kept = [seen.doc_id for seen in sorted(answer.evidence, key=lambda s: s.rank) if seen.kept]
    assert kept[:2] == ["andrews", "hebron"]
    assert (len(kept) == 2) is chain_only
    steps = [s for s in answer.steps if s.kind == "chain"]
    assert [s.detail["kept"] for s in steps] == ([["andrews", "hebron"]] if chain_only else [])
    assert not steps or set(steps[0].detail["left"]) & {"worksop", "cutler", "eton"}
