"""The chat's keys for sources: open a cited source (F2, or a click on [n]), walk its document, list the evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App
from textual.widgets import Markdown

from sleuth.schema import Answer, Hit
from sleuth.tui.source_panel import SourcePanel

if TYPE_CHECKING:
    from sleuth.agent.api import ResearchAgent


class SourceKeys(App[None]):
    """The chat app's source keys, given its last answer (`last`) and its agent; the chat app builds on this."""

    agent: ResearchAgent
    last: Answer | None
    opened: int

    def action_source(self) -> None:
        """Opens the last answer's next source in the side panel, its cited span highlighted."""
        if not self.last or not self.last.citations:
            self.notify("No answer with sources yet: ask a question first.", severity="warning")
            return
        citation = self.last.citations[self.opened % len(self.last.citations)]
        self.opened += 1
        self.query_one("#source", SourcePanel).show(citation)

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        """A click on a citation marker `[n]` opens that source in the side panel."""
        if event.href.startswith("#source-") and self.last:
            event.prevent_default()
            n = int(event.href.removeprefix("#source-"))
            citation = next((c for c in self.last.citations if c.n == n), None)
            if citation is not None:
                self.opened = self.last.citations.index(citation) + 1
                self.query_one("#source", SourcePanel).show(citation)

    def action_passage(self, by: int) -> None:
        self._say(self.query_one("#source", SourcePanel).step(by) if self._source_open() else "")

    def action_document(self) -> None:
        self._say(self.query_one("#source", SourcePanel).show_document() if self._source_open() else "")

    def _source_open(self) -> bool:
        panel = self.query_one("#source", SourcePanel)
        if panel.has_class("open") and panel.citation is not None:
            return True
        self.notify("Open a source first: F2, or click a marker such as [1].", severity="warning")
        return False

    def _say(self, problem: str) -> None:
        if problem:
            self.notify(problem, severity="warning")

    def _document_chunks(self, doc_id: str, title: str) -> list[Hit]:
        """The chunks of one document in reading order, from the index (no LM, no reranking)."""
        return self.agent.document(doc_id, title)

    def action_evidence(self) -> None:
        """The side panel lists every passage the last answer considered: cited, kept, dropped."""
        if not self.last:
            self.notify("No answer yet: ask a question first.", severity="warning")
            return
        self.query_one("#source", SourcePanel).show_evidence(self.last)

    def action_close_source(self) -> None:
        self.query_one("#source", SourcePanel).close()
