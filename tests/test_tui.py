from __future__ import annotations

import pytest
from conftest import ScriptedLM, make_agent, plan, sentences
from dspy.utils.dummies import DummyLM

from sleuth.tui.answer_view import AnswerView, QuestionView
from sleuth.tui.app import SleuthApp


@pytest.mark.asyncio
async def test_a_question_typed_in_the_chat_gets_a_cited_answer(settings, embedder, corpus_file) -> None:
    lm = ScriptedLM(
        [
            plan(["q"], ["colbert"]),
            sentences(("ColBERT keeps one embedding per token.", [1]), ("It scores passages with MaxSim.", [1])),
        ]
    )
    agent = make_agent(settings, embedder, lm=lm)
    agent.ingest([corpus_file])
    app = SleuthApp(agent)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.click("#question")
        await pilot.press(*"What is ColBERT?", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(app.query(QuestionView)) == 1
        [view] = app.query(AnswerView)
        assert view.answer.citations[0].doc_id == "colbert"
        assert "[1]" in view.answer.answer
        assert not app.query_one("#question").disabled


@pytest.mark.asyncio
async def test_asking_an_empty_collection_shows_an_error_and_keeps_the_app_usable(settings, embedder) -> None:
    app = SleuthApp(make_agent(settings, embedder, lm=DummyLM([])))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.click("#question")
        await pilot.press(*"anything?", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not app.query(AnswerView)
        assert any("sleuth ingest" in n.message for n in app._notifications)
        assert not app.query_one("#question").disabled


@pytest.mark.asyncio
async def test_typing_at_start_goes_to_the_question_box_without_tab(settings, embedder) -> None:
    app = SleuthApp(make_agent(settings, embedder, lm=DummyLM([])))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press(*"hello")
        assert app.query_one("#question").value == "hello"


@pytest.mark.asyncio
async def test_the_answer_streams_into_the_chat_then_the_checked_answer_replaces_it(settings, embedder, corpus_file):
    from sleuth.tui.answer_view import DraftView

    lm = ScriptedLM(
        [sentences(("ColBERT keeps one embedding per token.", [1]), ("It scores passages with MaxSim.", [1]))]
    )
    agent = make_agent(settings, embedder, lm=lm)
    agent.ingest([corpus_file])
    streamed: list[str] = []

    class Watched(SleuthApp):
        def on_sleuth_app_token(self, message: SleuthApp.Token) -> None:  # Textual also calls the base handler
            streamed.extend(d.written for d in self.query(DraftView))

    app = Watched(agent)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press(*"What is ColBERT?", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(streamed) > 3 and streamed[-1].startswith("ColBERT keeps one embedding")
        assert not app.query(DraftView) and len(app.query(AnswerView)) == 1


@pytest.mark.asyncio
async def test_escape_cancels_a_running_question_and_nothing_reaches_memory(settings, embedder, corpus_file) -> None:
    import time

    lm = ScriptedLM(
        [sentences(("ColBERT keeps one embedding per token.", [1]), ("It scores passages with MaxSim.", [1]))]
    )
    inner = lm._engine_spec._complete_messages

    def slow(messages):
        time.sleep(1.5)
        return inner(messages)

    lm._engine_spec._complete_messages = slow
    agent = make_agent(settings, embedder, lm=lm)
    agent.ingest([corpus_file])
    app = SleuthApp(agent)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press(*"What is ColBERT?", "enter")
        await pilot.pause(0.3)
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not app.query(AnswerView)
        assert "cancelled" in str(app.query_one("#status").render())
        assert not app.query_one("#question").disabled
    assert agent._store()["runs"].count == 0


@pytest.mark.asyncio
async def test_the_header_names_collection_model_and_index_and_f1_shows_every_key(settings, embedder) -> None:
    from sleuth.tui.help_screen import HelpScreen

    app = SleuthApp(make_agent(settings, embedder, lm=DummyLM([])))
    async with app.run_test(size=(100, 40)) as pilot:
        assert app.sub_title.startswith("default · local/qwen2.5-coder-1.5b · ")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = app.screen.query_one("Markdown").source
        assert all(key in shown for key in ("Enter", "Esc", "Ctrl+L", "Ctrl+Q"))
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
