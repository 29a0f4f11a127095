from __future__ import annotations

import pytest
from conftest import ScriptedLM, make_agent, plan, sentences, server_agent
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
    assert agent.memory.open()["runs"].count == 0


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


async def _asked(pilot, app) -> None:
    await pilot.press(*"What does ColBERT keep?", "enter")
    await app.workers.wait_for_complete()
    await pilot.pause()


def _colbert_agent(settings, embedder, corpus_file):
    lm = ScriptedLM(
        [sentences(("ColBERT keeps one embedding per token.", [1]), ("It sums the maximum similarity.", [1]))]
    )
    agent = make_agent(settings, embedder, lm=lm)
    agent.ingest([corpus_file])
    return agent


@pytest.mark.asyncio
async def test_f2_opens_the_cited_source_with_its_span_highlighted(settings, embedder, corpus_file) -> None:
    from sleuth.tui.source_panel import SourcePanel, evidence_table, highlighted

    app = SleuthApp(_colbert_agent(settings, embedder, corpus_file))
    async with app.run_test(size=(140, 40)) as pilot:
        await _asked(pilot, app)
        await pilot.press("f2")
        await pilot.pause()
        panel = app.query_one("#source", SourcePanel)
        assert panel.has_class("open") and panel.citation.doc_id == "colbert"
        text = highlighted(panel.citation)  # what the panel shows
        styled = [text.plain[s.start : s.end] for s in text.spans if "reverse" in str(s.style)]
        assert styled and "one embedding per token" in styled[0]
        await pilot.press("f8")
        assert not panel.has_class("open")
        await pilot.press("f3")
        assert panel.has_class("open")
        table = str(evidence_table(app.last))
        assert "[1]" in table and "ColBERT" in table and ("kept" in table or "dropped" in table)


@pytest.mark.asyncio
async def test_feedback_keys_store_a_rating_and_f7_copies_the_answer(settings, embedder, corpus_file) -> None:
    agent = _colbert_agent(settings, embedder, corpus_file)
    app = SleuthApp(agent)
    async with app.run_test(size=(140, 40)) as pilot:
        await _asked(pilot, app)
        await pilot.press("f6")
        await pilot.press("f7")
        await pilot.pause()
        assert app.clipboard.startswith(f"# {app.last.question}") and app.last.answer in app.clipboard
        assert "## References" in app.clipboard and "1. " in app.clipboard
        await pilot.press("f2", "f5")  # the source open beside the answer, rated up
        await pilot.pause()
    answer_row, source_row = sorted(agent.memory.open()["feedback"].rows, key=lambda r: r["created"])
    assert answer_row["run_id"] == app.last.run_id and answer_row["rating"] == -1 and answer_row["n"] is None
    assert source_row["rating"] == 1 and source_row["n"] == 1


@pytest.mark.asyncio
async def test_history_reopens_a_past_run_with_its_citations(settings, embedder, corpus_file) -> None:
    from sleuth.tui.history_screen import HistoryScreen

    agent = _colbert_agent(settings, embedder, corpus_file)
    first = agent.ask("What does ColBERT keep?")
    app = SleuthApp(agent)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press(*"ColBERT", "enter")  # search past runs
        await pilot.pause()
        assert app.screen.query_one("#history-runs").option_count == 1
        await pilot.press("enter")  # the empty box again: open the first run found
        await pilot.pause()
        assert not isinstance(app.screen, HistoryScreen)
        views = list(app.query(AnswerView))
        assert len(views) == 1, [v.answer.question for v in views]
        assert views[0].answer.run_id == first.run_id and views[0].answer.citations


@pytest.mark.asyncio
async def test_a_follow_up_is_rewritten_into_a_standalone_question_and_the_rewrite_shown(
    settings, embedder, corpus_file
) -> None:
    lm = ScriptedLM(
        [
            sentences(("ColBERT keeps one embedding per token.", [1]), ("It sums the maximum similarity.", [1])),
            {"standalone": "How does BM25 score documents?"},
            sentences(("BM25 scores documents by term frequency.", [1]), ("It uses inverse document frequency.", [1])),
        ]
    )
    agent = make_agent(settings, embedder, lm=lm)
    agent.ingest([corpus_file])
    app = SleuthApp(agent)
    async with app.run_test(size=(140, 40)) as pilot:
        await _asked(pilot, app)
        await pilot.press(*"and what about BM25?", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        second = app.last
        assert second.question == "and what about BM25?" and second.standalone == "How does BM25 score documents?"
        assert [s.kind for s in second.steps][0] == "followup"
        assert second.citations[0].doc_id == "bm25"
        assert any("searched as: How does BM25" in str(w.render()) for w in app.query(".rewrite"))


@pytest.mark.asyncio
async def test_f9_switches_collection_and_the_header_follows(settings, embedder, corpus_file, tmp_path) -> None:
    from sleuth.tui.collections_screen import CollectionsScreen

    if settings.index.url:  # the server stand-in keeps one collection per client; the embedded engine lists all
        pytest.skip("qdrant-client's :memory: stand-in does not share collections between clients")
    other = tmp_path / "other.jsonl"
    other.write_text('{"_id": "x1", "title": "Notes", "text": "Sourdough needs a starter culture."}\n')
    agent = make_agent(settings, embedder, lm=DummyLM([]))
    agent.ingest([corpus_file])
    agent.use_collection("notes")
    agent.ingest([other])
    agent.use_collection("default")
    app = SleuthApp(agent)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("f9")
        await pilot.pause()
        assert isinstance(app.screen, CollectionsScreen)
        assert [row.name for row in app.screen.rows] == ["default", "notes"]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert agent.settings.index.collection == "notes" and app.sub_title.startswith("notes ·")
        assert agent.search("starter culture")[0].doc_id == "x1"


@pytest.mark.asyncio
async def test_the_steps_grow_into_a_tree_under_the_question(settings, embedder, corpus_file) -> None:
    from sleuth.tui.steps_tree import StepsTree

    app = SleuthApp(_colbert_agent(settings, embedder, corpus_file))
    async with app.run_test(size=(140, 40)) as pilot:
        await _asked(pilot, app)
        [tree] = app.query(StepsTree)
        labels = [str(node.label) for node in tree.root.children]
        assert labels[0].startswith("chose the research path: one thing asked")
        assert any(label.startswith("searched") for label in labels)
        assert any("1 LM call" in label for label in labels if label.startswith("drafted"))
        search = next(node for node in tree.root.children if str(node.label).startswith("searched"))
        assert any(str(child.label).startswith("queries: 1") for child in search.children)
        assert not tree.root.is_expanded  # collapsed once the answer is in


@pytest.mark.asyncio
async def test_a_click_on_a_marker_opens_its_source_and_keys_walk_its_document(settings, embedder, corpus_file) -> None:
    from textual.widgets import Markdown

    from sleuth.schema import Chunk, Hit
    from sleuth.tui.render import answer_markdown
    from sleuth.tui.source_panel import SourcePanel

    app = SleuthApp(_colbert_agent(settings, embedder, corpus_file))
    async with app.run_test(size=(140, 40)) as pilot:
        await _asked(pilot, app)
        [view] = app.query(AnswerView)
        assert "[\\[1\\]](#source-1)" in answer_markdown(view.answer, links=True)
        app.post_message(Markdown.LinkClicked(view, "#source-1"))
        await pilot.pause()
        panel = app.query_one("#source", SourcePanel)
        cited = view.answer.citations[0]
        assert panel.has_class("open") and panel.citation == cited
        assert [h.chunk_id for h in app._document_chunks(cited.doc_id, cited.title)] == [cited.chunk_id]

        def hit(chunk_id: str, position: int, text: str) -> Hit:
            return Hit(chunk=Chunk(chunk_id=chunk_id, doc_id=cited.doc_id, text=text, position=position), score=0)

        document = [hit("before", 0, "What came first."), hit(cited.chunk_id, 1, cited.text), hit("after", 2, "Then.")]
        panel.chunks = lambda doc_id, title: document
        await pilot.press("ctrl+n")
        assert panel.shown == "after" and "Then." in str(panel.query_one("#source-text").render())
        await pilot.press("ctrl+n")  # past the last passage: a warning, nothing moves
        assert panel.shown == "after"
        await pilot.press("ctrl+b", "ctrl+b")
        assert panel.shown == "before"
        await pilot.press("ctrl+o")
        whole = str(panel.query_one("#source-text").render())
        assert "What came first." in whole and cited.text[:20] in whole and "Then." in whole


@pytest.mark.asyncio
async def test_an_lm_server_that_fails_leaves_the_extractive_answer_and_says_what_to_do(
    settings, embedder, corpus_file
) -> None:
    from fake_openai import fake_openai

    with fake_openai("cut") as base:
        app = SleuthApp(server_agent(settings, embedder, corpus_file, base))
        async with app.run_test(size=(120, 40)) as pilot:
            await _asked(pilot, app)
            [view] = app.query(AnswerView)
            assert view.answer.citations and view.answer.error
            assert any("sleuth doctor" in n.message for n in app._notifications)


LONG = sentences(
    ("ColBERT keeps one embedding per token for every passage in the collection.", [1]),
    ("It scores a passage by summing the maximum similarity of each query token.", [1]),
    ("BM25 ranks documents by term frequency and inverse document frequency.", [2]),
)


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_answers_first_line_is_in_sight_when_it_is_done_and_the_keys_scroll(
    settings, embedder, corpus_file, size
) -> None:
    """After 'answered in 33.7s' a 120x40 terminal once showed nothing: the answer sat above the visible area. And
    with the question box focused, PageUp/PageDown did nothing."""
    agent = make_agent(settings, embedder, lm=ScriptedLM([LONG, LONG, LONG]))
    agent.ingest([corpus_file])
    app = SleuthApp(agent)
    async with app.run_test(size=size) as pilot:
        for question in ("What is ColBERT?", "How does ColBERT score?", "What does ColBERT keep per token?"):
            await pilot.press(*question, "enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
        await pilot.pause()
        log = app.query_one("#log")
        last = list(app.query(AnswerView))[-1]
        top = last.region.y - log.region.y
        assert 0 <= top < log.region.height  # the answer's first line is on screen
        assert app.focused is app.query_one("#question")
        before = log.scroll_y
        await pilot.press("pageup")
        await pilot.pause()
        assert log.scroll_y < before
        await pilot.press("ctrl+end")
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y
