"""The source panel: one cited passage with the span it was cited for highlighted, its title, page and path."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from sleuth.schema import Answer, Citation


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

    def show_evidence(self, answer: Answer) -> None:
        self.citation = None
        self.query_one("#source-heading", Static).update(evidence_table(answer))
        self.query_one("#source-text", Static).update("")
        self.add_class("open")

    def close(self) -> None:
        self.remove_class("open")


def evidence_table(answer: Answer) -> Text:
    """Every passage the run considered, best first: cited, kept as evidence, or dropped."""
    text = Text("Evidence of this answer\n", style="bold")
    cited = {c.chunk_id: c.n for c in answer.citations}
    for seen in sorted(answer.evidence, key=lambda e: e.rank):
        mark = f"[{cited[seen.chunk_id]}]" if seen.chunk_id in cited else ("kept" if seen.kept else "dropped")
        style = "bold" if seen.chunk_id in cited else ("" if seen.kept else "dim")
        text.append(f"{mark:>8}  #{seen.rank + 1:<3} {seen.title or seen.doc_id}\n", style=style)
    if not answer.evidence:
        text.append("(no passages: the answer came from memory or no LM ran)\n", style="dim")
    return text
