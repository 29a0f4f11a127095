"""One exchange in the chat: the question, then the cited answer with its sources."""

from __future__ import annotations

from textual.widgets import Markdown

from sleuth.schema import Answer
from sleuth.tui.render import answer_markdown


class QuestionView(Markdown):
    DEFAULT_CSS = "QuestionView { margin: 1 0 0 0; color: $accent; text-style: bold; }"

    def __init__(self, question: str) -> None:
        super().__init__(f"**You:** {question}")


class AnswerView(Markdown):
    DEFAULT_CSS = "AnswerView { margin: 0 0 1 2; }"

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer_markdown(answer))
        self.answer = answer
