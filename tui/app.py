"""`sleuth chat`: ask questions in the terminal; the agent works in a thread and reports through messages."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Header, Input, Static

from sleuth.errors import Cancelled, SleuthError
from sleuth.locations import collection_folder
from sleuth.schema import STEP_WORDS, Answer, AnswerToken, Step
from sleuth.tui.answer_view import AnswerView, DraftView, QuestionView
from sleuth.tui.source_keys import SourceKeys
from sleuth.tui.source_panel import SourcePanel
from sleuth.tui.steps_tree import StepsTree

if TYPE_CHECKING:
    from sleuth.agent.api import ResearchAgent


REPORT_COMMAND = "/report"  # typed before a question: a report instead of an answer


class SleuthApp(SourceKeys):
    TITLE = "sleuth"
    SUB_TITLE = "answers from your documents, with citations"
    CSS = """
    Horizontal { height: 1fr; }
    #log { height: 1fr; width: 1fr; padding: 0 1; }
    #status { height: 1; color: $text-muted; padding: 0 1; }
    .rewrite { color: $text-muted; text-style: italic; margin: 0 0 0 2; }
    """
    BINDINGS = [
        ("ctrl+q", "quit", "Quit"),
        ("ctrl+c", "quit", "Quit"),
        ("escape", "cancel", "Cancel"),
        ("ctrl+l", "clear", "Clear"),
        ("f1", "help", "Help"),
        ("f2", "source", "Source"),
        ("f3", "evidence", "Evidence"),
        ("f8", "close_source", "Close panel"),
        ("f9", "collections", "Collection"),
        ("f4", "history", "History"),
        ("f5", "rate(1)", "Rate up"),
        ("f6", "rate(-1)", "Rate down"),
        ("f7", "copy", "Copy"),
        Binding("ctrl+b", "passage(-1)", "Passage before", show=False),
        Binding("ctrl+n", "passage(1)", "Passage after", show=False),
        Binding("ctrl+o", "document", "Whole document", show=False),
        # the question box always has focus, so the conversation scrolls from it, as in a chat app
        Binding("pageup", "scroll_log('page_up')", "Scroll up", show=False, priority=True),
        Binding("pagedown", "scroll_log('page_down')", "Scroll down", show=False, priority=True),
        Binding("ctrl+home", "scroll_log('scroll_home')", "Top", show=False, priority=True),
        Binding("ctrl+end", "scroll_log('scroll_end')", "Bottom", show=False, priority=True),
    ]
    AUTO_FOCUS = "#question"  # typing at start goes to the question box (the log would take focus otherwise)

    class StepDone(Message):
        def __init__(self, step: Step) -> None:
            super().__init__()
            self.step = step

    class Token(Message):
        def __init__(self, token: AnswerToken) -> None:
            super().__init__()
            self.token = token

    class Answered(Message):
        def __init__(self, answer: Answer) -> None:
            super().__init__()
            self.answer = answer

    class Failed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self, agent: ResearchAgent) -> None:
        super().__init__()
        self.agent = agent
        self.stop = threading.Event()  # set by Esc (or quitting): the running question ends at its next step
        self.last: Answer | None = None  # the answer the source, feedback and copy keys act on
        self.previous: tuple[str, str] | None = None  # the conversation so far, for follow-up questions
        self.opened = 0  # the citation F2 showed last

    def on_mount(self) -> None:
        """The header names the collection, the model and where the index lives."""
        settings = self.agent.settings
        where = settings.index.url or str(collection_folder(settings, settings.index.collection))
        self.sub_title = f"{settings.index.collection} · {settings.models.lm} · {where}"

    def action_help(self) -> None:
        from sleuth.tui.help_screen import HelpScreen

        self.push_screen(HelpScreen())

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield VerticalScroll(id="log")
            yield SourcePanel(chunks=self._document_chunks, id="source")
        yield Static("Ask a question about your collection.", id="status")
        yield Input(placeholder="Your question, then Enter", id="question")
        yield Footer()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        question = event.value.strip()
        report = question.lower().startswith(REPORT_COMMAND)
        question = question[len(REPORT_COMMAND) :].strip() if report else question
        if not question:
            if report:
                self.notify("Write the question after /report.", severity="warning")
            return
        event.input.value = ""
        event.input.disabled = True
        log = self.query_one("#log", VerticalScroll)
        log.mount(QuestionView(question))
        log.mount(StepsTree())
        log.mount(DraftView())
        self.query_one("#status", Static).update("researching... (Esc cancels)")
        self.stop.clear()
        self.research(question, report)

    @work(exclusive=True, thread=True)
    def research(self, question: str, report: bool = False) -> None:
        steps = lambda s: self.post_message(self.StepDone(s))  # noqa: E731
        tokens = lambda t: self.post_message(self.Token(t))  # noqa: E731
        try:
            if report:
                answer = self.agent.report(question, on_step=steps, on_token=tokens, cancel=self.stop)
            else:
                answer = self.agent.ask(
                    question, on_step=steps, on_token=tokens, cancel=self.stop, previous=self.previous
                )
        except Cancelled:
            self.post_message(self.Failed(""))
        except SleuthError as exc:
            self.post_message(self.Failed(str(exc)))
        except Exception as exc:  # the app stays up; the user sees what broke
            self.post_message(self.Failed(f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(self.Answered(answer))

    def on_sleuth_app_step_done(self, message: StepDone) -> None:
        trees = list(self.query(StepsTree))
        if trees:
            trees[-1].add_step(message.step)
        word = STEP_WORDS.get(message.step.kind, message.step.kind)
        self.query_one("#status", Static).update(f"{word} in {message.step.seconds:.1f}s...")

    def on_sleuth_app_token(self, message: Token) -> None:
        for draft in self.query(DraftView):
            draft.add(message.token)
        self.query_one("#log", VerticalScroll).scroll_end(animate=False)

    def on_sleuth_app_answered(self, message: Answered) -> None:
        self.query(DraftView).remove()  # the checked answer replaces the draft as it was written
        for tree in self.query(StepsTree):
            tree.root.collapse()  # kept under the question: expand it to see how the answer was made
        self._show(message.answer)
        self.query_one("#status", Static).update(f"answered in {message.answer.seconds:.1f}s")
        if message.answer.error:  # a degraded answer (the LM failed or ran out of time): say what to do
            self.notify(
                f"{message.answer.error}. `sleuth doctor` checks the model and the LM server.",
                severity="warning",
                timeout=10,
            )
        self._enable_input()

    def on_sleuth_app_failed(self, message: Failed) -> None:
        self.query(DraftView).remove()
        if message.error:
            self.notify(message.error, severity="error", timeout=10)
        status = "failed; see the message" if message.error else "cancelled: nothing was stored"
        self.query_one("#status", Static).update(status)
        self._enable_input()

    def _show(self, answer: Answer) -> None:
        self.last, self.opened = answer, 0
        self.previous = (answer.standalone or answer.question, answer.short_answer or answer.answer[:300])
        log = self.query_one("#log", VerticalScroll)
        if answer.standalone:
            log.mount(Static(f"searched as: {answer.standalone}", classes="rewrite"))
        log.mount(AnswerView(answer))  # it brings its first line into sight once rendered

    def action_scroll_log(self, how: str) -> None:
        """Scroll the conversation: PageUp/PageDown, Ctrl+Home/Ctrl+End, with the question box focused."""
        getattr(self.query_one("#log", VerticalScroll), f"action_{how}")()

    def action_rate(self, rating: int) -> None:
        """Feedback on the last answer, or on the source open in the side panel, stored in memory (an answer rated
        down is never reused; a source rated down is left out of later evidence)."""
        if not self.last or not self.last.run_id:
            self.notify("No answer to rate yet.", severity="warning")
            return
        if not self.agent.settings.memory.enabled:
            self.notify("Memory is off (memory.enabled = false): feedback is not kept.", severity="warning")
            return
        panel = self.query_one("#source", SourcePanel)
        citation = panel.citation.n if panel.has_class("open") and panel.citation is not None else None
        try:
            self.agent.feedback(self.last.run_id, rating, citation=citation)
        except SleuthError as exc:
            self.notify(str(exc), severity="error")
            return
        what = f"source [{citation}] of run" if citation else "run"
        self.notify(f"Rated {'up' if rating > 0 else 'down'}: {what} {self.last.run_id[:12]}.")

    def action_copy(self) -> None:
        """The last answer as Markdown to paste (`sleuth ask --format markdown`): the answer and its numbered
        references, to the clipboard."""
        if not self.last:
            self.notify("No answer to copy yet.", severity="warning")
            return
        from sleuth.tui.render import report_markdown

        self.copy_to_clipboard(report_markdown(self.last))
        self.notify("The answer and its references were copied as Markdown.")

    def action_history(self) -> None:
        if not self.agent.settings.memory.enabled:
            self.notify("Memory is off (memory.enabled = false): there is no history.", severity="warning")
            return
        from sleuth.tui.history_screen import HistoryScreen

        self.push_screen(HistoryScreen(self.agent.memory), self._reopen)

    def _reopen(self, run_id: str | None) -> None:
        if not run_id:
            return
        answer = self.agent.memory.answer(run_id)
        self.query_one("#log", VerticalScroll).mount(QuestionView(answer.question))
        self._show(answer)

    def action_collections(self) -> None:
        from sleuth.tui.collections_screen import CollectionsScreen

        try:
            rows = self.agent.collections()
        except SleuthError as exc:
            self.notify(str(exc), severity="error")
            return
        if not rows:
            self.notify(
                "No collections yet. Make one: sleuth ingest PATH (or sleuth ingest --demo).", severity="warning"
            )
            return
        self.push_screen(CollectionsScreen(rows, self.agent.settings.index.collection), self._switch)

    def _switch(self, name: str | None) -> None:
        if name and name != self.agent.settings.index.collection:
            self.agent.use_collection(name)
            self.previous = self.last = None
            self.on_mount()  # the header names the new collection
            self.notify(f"Now asking collection '{name}'.")

    def action_cancel(self) -> None:
        self.stop.set()

    async def action_quit(self) -> None:
        self.stop.set()  # a question still running stops at its next step, so the app can close
        self.exit()

    def _enable_input(self) -> None:
        box = self.query_one("#question", Input)
        box.disabled = False
        box.focus()

    def action_clear(self) -> None:
        """A new conversation: the log is emptied and the next question is not read as a follow-up."""
        self.query_one("#log", VerticalScroll).remove_children()
        self.previous = self.last = None
