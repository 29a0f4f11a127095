"""The source panel: one cited passage with the span it was cited for highlighted, its title, page and path; from
there the passages before and after it in its document, or the whole document."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from sleuth.schema import Answer, Citation, Hit

DocumentChunks = Callable[[str, str], list[Hit]]  # (doc_id, title) -> the document's chunks in reading order


def highlighted(citation: Citation) -> Text:
    """The passage's text with its cited spans in reverse video."""
    text = Text(citation.text)
    for start, end in citation.spans:
        text.stylize("reverse bold", start, end)
    return text


def heading(citation: Citation, showing: str = "") -> Text:
    where = ", ".join(
        part
        for part in (
            f"document {citation.doc_id}",
            f"page {citation.page}" if citation.page else "",
            citation.source,
            showing,
        )
        if part
    )
    title = Text(f"[{citation.n}] {citation.title or citation.doc_id}\n", style="bold")
    byline = ", ".join(part for part in (citation.authors, citation.year) if part)
    if byline:
        title.append(byline + "\n")
    title.append(where + "\n", style="dim")
    return title


class SourcePanel(VerticalScroll):
    """Hidden until a citation is opened (F2 cycles through the last answer's sources, a click on [n] opens one;
    Ctrl+B / Ctrl+N show the passage before / after it, Ctrl+O the whole document; F8 closes)."""

    DEFAULT_CSS = """
    SourcePanel { width: 45%; display: none; border-left: solid $accent; padding: 0 1; }
    SourcePanel.open { display: block; }
    """

    citation: Citation | None = None
    shown: str = ""  # the chunk on show: the citation's, or a neighbour's

    def __init__(self, chunks: DocumentChunks | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.chunks = chunks

    def compose(self):  # type: ignore[override]
        yield Static(id="source-heading")
        yield Static(id="source-text")

    def show(self, citation: Citation) -> None:
        self.citation, self.shown = citation, citation.chunk_id
        self._fill(heading(citation), highlighted(citation))

    def show_evidence(self, answer: Answer) -> None:
        self.citation, self.shown = None, ""
        self._fill(evidence_table(answer), Text(""))

    def step(self, by: int) -> str:
        """Shows the passage `by` chunks after (or before) the one on show in its document; says what happened."""
        chunks = self._document()
        at = next((i for i, h in enumerate(chunks) if h.chunk_id == self.shown), None)
        if at is None or not 0 <= at + by < len(chunks):
            return "No passage there: this is the document's " + ("last." if by > 0 else "first.")
        hit = chunks[at + by]
        self.shown = hit.chunk_id
        assert self.citation is not None
        if hit.chunk_id == self.citation.chunk_id:
            self.show(self.citation)
        else:
            where = f"passage {at + by + 1} of {len(chunks)}, {'after' if by > 0 else 'before'} the cited one"
            self._fill(heading(self.citation, where), Text(hit.chunk.text))
        return ""

    def show_document(self) -> str:
        """Shows the whole document of the citation on show, its cited span highlighted."""
        chunks = self._document()
        if not chunks:
            return "The document is not in the collection any more."
        assert self.citation is not None
        text = Text()
        for hit in chunks:
            part = highlighted(self.citation) if hit.chunk_id == self.citation.chunk_id else Text(hit.chunk.text)
            text.append_text(part)
            text.append("\n\n")
        self.shown = self.citation.chunk_id
        self._fill(heading(self.citation, f"the whole document, {len(chunks)} passage(s)"), text)
        return ""

    def _document(self) -> list[Hit]:
        if self.citation is None or self.chunks is None or not self.has_class("open"):
            return []
        return self.chunks(self.citation.doc_id, self.citation.title)

    def _fill(self, head: Text, body: Text) -> None:
        self.query_one("#source-heading", Static).update(head)
        self.query_one("#source-text", Static).update(body)
        self.add_class("open")
        self.scroll_home(animate=False)

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
