"""Switch collection: every collection of this SLEUTH_HOME (or Qdrant server) with its document count."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from sleuth.schema import CollectionInfo


class CollectionsScreen(ModalScreen[str | None]):
    """Returns the chosen collection's name (or None)."""

    DEFAULT_CSS = "CollectionsScreen { align: center middle; } #collections { width: 70; height: 16; }"
    BINDINGS = [Binding("escape", "dismiss(None)", "Close")]
    AUTO_FOCUS = "#collections"

    def __init__(self, rows: list[CollectionInfo], current: str) -> None:
        super().__init__()
        self.rows = rows
        self.current = current

    def compose(self) -> ComposeResult:
        options = [
            Option(
                f"{'*' if row.name == self.current else ' '} {row.name:30s} {row.documents:>8,} documents", id=row.name
            )
            for row in self.rows
        ]
        yield OptionList(*options, id="collections")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
