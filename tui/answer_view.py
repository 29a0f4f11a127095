"""One exchange in the chat: the question, then the cited answer with its sources."""

from __future__ import annotations

from textual.widgets import Markdown, Static

from sleuth.schema import Answer, AnswerToken
from sleuth.tui.render import answer_markdown


class QuestionView(Markdown):
    DEFAULT_CSS = "QuestionView { margin: 1 0 0 0; color: $accent; text-style: bold; }"

    def __init__(self, question: str) -> None:
        super().__init__(f"**You:** {question}")


class AnswerView(Markdown):
    DEFAULT_CSS = "AnswerView { margin: 0 0 1 2; }"

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer_markdown(answer, links=True), open_links=False)
        self.answer = answer

    def on_markdown_table_of_contents_updated(self, event: Markdown.TableOfContentsUpdated) -> None:
        """Rendered (the blocks are mounted and laid out next): bring the answer's first line into sight. Scrolled
        to the end before it had its height, the chat once showed blank space below an answer out of view."""
        event.stop()
        self.call_after_refresh(lambda: self.scroll_visible(top=True, animate=False))


class DraftView(Static):
    """The answer as the LM writes it; replaced by the checked AnswerView when the run ends."""

    DEFAULT_CSS = "DraftView { margin: 0 0 1 2; color: $text-muted; }"

    def __init__(self) -> None:
        super().__init__("")
        self.written = ""
        self.draft = 1

    def add(self, token: AnswerToken) -> None:
        if token.draft != self.draft:
            self.written, self.draft = "", token.draft
        self.written += token.text
        self.update(self.written)
