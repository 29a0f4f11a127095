"""One exchange in the chat: the question, then the cited answer with its sources."""

from __future__ import annotations

from textual.widgets import Markdown

from sleuth.schema import Answer


def answer_markdown(answer: Answer) -> str:
    lines = [answer.answer or "_(no answer)_"]
    if answer.short_answer and answer.short_answer.lower() != "unknown" and answer.citations:
        lines.append(f"\n**In short:** {answer.short_answer}")
    if answer.citations:
        lines.append("\n**Sources**\n")
        for c in answer.citations:
            snippet = " ".join(c.text.split())[:200]
            lines.append(f"- **[{c.n}]** {c.title} (`{c.doc_id}`): {snippet}...")
    meta = f"{answer.seconds:.1f}s, {answer.usage.llm_calls} LM call(s), run `{answer.run_id[:12]}`"
    lines.append(f"\n_{meta}_")
    if answer.memory and answer.memory.used:
        lines.append(f"\n_{answer.memory.describe()}_")
    if answer.error:
        lines.append(f"\n> warning: {answer.error}")
    return "\n".join(lines)


class QuestionView(Markdown):
    DEFAULT_CSS = "QuestionView { margin: 1 0 0 0; color: $accent; text-style: bold; }"

    def __init__(self, question: str) -> None:
        super().__init__(f"**You:** {question}")


class AnswerView(Markdown):
    DEFAULT_CSS = "AnswerView { margin: 0 0 1 2; }"

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer_markdown(answer))
        self.answer = answer
