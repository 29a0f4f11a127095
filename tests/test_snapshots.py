"""How the chat looks: the empty chat and the help screen (pytest-textual-snapshot; update with --snapshot-update)."""

from __future__ import annotations

from pathlib import Path

APP = Path(__file__).parent / "snapshot_apps" / "chat_app.py"


def test_the_empty_chat(snap_compare) -> None:
    assert snap_compare(APP, terminal_size=(120, 32))


def test_the_help_screen(snap_compare) -> None:
    assert snap_compare(APP, press=["f1"], terminal_size=(120, 32))
