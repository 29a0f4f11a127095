"""History: past runs from memory, searchable by text; Enter reopens one with its citations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from sleuth.agent.experience import Experience


class HistoryScreen(ModalScreen[str | None]):
    """Returns the chosen run's id (or None)."""

    DEFAULT_CSS = "HistoryScreen { align: center middle; } #history { width: 100; height: 24; border: round $accent; }"
    BINDINGS = [Binding("escape", "dismiss(None)", "Close")]
    AUTO_FOCUS = "#history-search"  # the app's own AUTO_FOCUS names a widget this screen does not have

    def __init__(self, memory: Experience) -> None:
        super().__init__()
        self.memory = memory

    def compose(self) -> ComposeResult:
        with Vertical(id="history"):
            yield Input(
                placeholder="Words to search past runs, Enter; Enter again opens the first", id="history-search"
            )
            yield OptionList(id="history-runs")

    def on_mount(self) -> None:
        self._fill(self.memory.runs(50))

    def _fill(self, runs: list[dict[str, Any]]) -> None:
        options = self.query_one("#history-runs", OptionList)
        options.clear_options()
        for run in runs:
            options.add_option(Option(f"{run['id'][:12]}  {run['question'][:80]}", id=run["id"]))
        if runs:
            options.highlighted = 0  # the newest, ready for Enter

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()  # a search of past runs is not a question for the chat
        text = event.value.strip()
        options = self.query_one("#history-runs", OptionList)
        if not text and options.highlighted is not None:  # Enter on an empty box opens the highlighted run
            self.dismiss(options.get_option_at_index(options.highlighted).id)
            return
        self._fill(self.memory.runs(50, search=text))
        event.input.value = ""

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
