"""The help screen: every key binding of the chat, and where the answers come from."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# sleuth chat

| key | what it does |
|---|---|
| Enter | ask the question in the box; `/report` before it writes a report (an overview and a section per aspect) |
| Esc | cancel the running question (nothing of it is stored) |
| Ctrl+L | clear the conversation |
| PageUp, PageDown, Ctrl+Home, Ctrl+End | scroll the conversation (the question box keeps the focus) |
| F1 | this help |
| F2 | open the last answer's next source beside the chat, its cited span highlighted (or click a marker [n]) |
| Ctrl+B, Ctrl+N | in the open source: the passage before / after it in its document |
| Ctrl+O | in the open source: the whole document, the cited span highlighted |
| F3 | the evidence: every passage the last answer considered, cited, kept or dropped |
| F8 | close the side panel |
| F9 | switch collection (each listed with its document count) |
| F4 | history: past questions from memory, searchable; Enter reopens one |
| F5, F6 | rate the last answer, or the source open beside it, up or down (kept in memory) |
| F7 | copy the last answer and its references as Markdown |
| Ctrl+Q, Ctrl+C | quit (a running question is cancelled first) |

An answer rated down is never reused; a source rated down is left out of later evidence.
Answers cite their sources as [n]; each source is listed under the answer with the span it was cited for.
The answer streams in as the model writes it; the checked answer then replaces it.
"""


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = "HelpScreen { align: center middle; } #help { width: 80; height: auto; border: round $accent; }"
    BINDINGS = [Binding("escape", "dismiss", "Close"), Binding("f1", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Markdown(HELP)
