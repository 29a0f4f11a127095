"""The source panel: one cited passage with the span it was cited for highlighted, its title, page and path."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from sleuth.schema import Citation


def highlighted(citation: Citation) -> Text:
    """The passage's text with its cited spans in reverse video."""
    text = Text(citation.text)
    for start, end in citation.spans:
        text.stylize("reverse bold", start, end)
    return text


def heading(citation: Citation) -> Text:
    where = ", ".join(
        part
        for part in (
            f"document {citation.doc_id}",
            f"page {citation.page}" if citation.page else "",
            citation.source,
        )
        if part
    )
    title = Text(f"[{citation.n}] {citation.title or citation.doc_id}\n", style="bold")
    title.append(where + "\n", style="dim")
    return title


class SourcePanel(VerticalScroll):
    """Hidden until a citation is opened (F2 cycles through the last answer's sources; Esc in the panel closes)."""

    DEFAULT_CSS = """
    SourcePanel { width: 45%; display: none; border-left: solid $accent; padding: 0 1; }
    SourcePanel.open { display: block; }
    """

    def compose(self):  # type: ignore[override]
        yield Static(id="source-heading")
        yield Static(id="source-text")

    def show(self, citation: Citation) -> None:
        self.citation = citation
        self.query_one("#source-heading", Static).update(heading(citation))
        self.query_one("#source-text", Static).update(highlighted(citation))
        self.add_class("open")

    def close(self) -> None:
        self.remove_class("open")
