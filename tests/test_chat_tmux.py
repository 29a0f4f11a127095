"""The real `sleuth chat` in tmux: type a question at once (no Tab), read the cited answer off the screen, open its
source with F2, quit with Ctrl+Q. Skipped where tmux is not installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
BIN = Path(sys.executable).parent


def _tmux(socket: str, *args: str) -> str:
    done = subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True, timeout=30)
    return done.stdout


def _screen_until(socket: str, text: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux(socket, "capture-pane", "-p", "-t", "chat")
        if text in screen:
            time.sleep(1.0)  # let the frame finish drawing
            return _tmux(socket, "capture-pane", "-p", "-t", "chat")
        time.sleep(0.5)
    raise AssertionError(f"{text!r} never appeared on the chat screen:\n{screen}")


def test_the_chat_answers_a_question_typed_at_once_and_opens_its_source(tmp_path: Path, corpus_file: Path) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLEUTH_")}
    env.update(SLEUTH_HOME=str(home), SLEUTH_LM="scripted", HF_HUB_OFFLINE="1")
    subprocess.run([str(BIN / "sleuth"), "ingest", str(corpus_file), "-q"], env=env, check=True, timeout=300)
    socket = f"sleuth-test-{os.getpid()}"
    exports = [
        arg for key in ("SLEUTH_HOME", "SLEUTH_LM", "HF_HUB_OFFLINE", "PATH") for arg in ("-e", f"{key}={env[key]}")
    ]
    _tmux(socket, "new-session", "-d", "-s", "chat", "-x", "150", "-y", "45", *exports, f"{BIN / 'sleuth'} chat")
    try:
        _tmux(socket, "resize-window", "-t", "chat", "-x", "150", "-y", "45")
        _screen_until(socket, "Ask a question", 120)
        _tmux(socket, "send-keys", "-t", "chat", "-l", "How does ColBERT score passages?")
        _tmux(socket, "send-keys", "-t", "chat", "Enter")
        screen = _screen_until(socket, "answered in", 120)
        assert "“" in screen and "passage" in screen, screen  # a source quoted under the answer
        _tmux(socket, "send-keys", "-t", "chat", "F2")
        screen = _screen_until(socket, "document ", 30)  # the source panel: title, document, path
        assert "ColBERT" in screen, screen
        _tmux(socket, "send-keys", "-t", "chat", "C-q")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "chat" in _tmux(socket, "list-sessions", "-F", "#{session_name}"):
            time.sleep(0.5)
        assert "chat" not in _tmux(socket, "list-sessions", "-F", "#{session_name}"), "Ctrl+Q did not quit"
    finally:
        _tmux(socket, "kill-server")
    runs = subprocess.run(
        [str(BIN / "sleuth"), "memory", "list", "--json"], env=env, capture_output=True, text=True, timeout=120
    )
    assert [r["question"] for r in json.loads(runs.stdout)] == ["How does ColBERT score passages?"]


@pytest.mark.real_models
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_the_bundled_models_answer_is_on_screen_when_it_is_done(tmp_path: Path, size: tuple[int, int]) -> None:
    """With the bundled model, a 120x40 chat once showed nothing after 'answered in 33.7s': the answer sat above the
    visible area. Its first words and a marker [1] must be on screen with no key pressed after Enter."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLEUTH_")}
    env.update(SLEUTH_HOME=str(home), HF_HUB_OFFLINE="1")
    papers = tmp_path / "papers.jsonl"
    from sleuth.locations import demo_corpus

    papers.write_text("".join(line + "\n" for line in demo_corpus().read_text().splitlines()[:40]))
    subprocess.run([str(BIN / "sleuth"), "ingest", str(papers), "-q"], env=env, check=True, timeout=600)
    socket = f"sleuth-real-{os.getpid()}-{size[0]}"
    exports = [arg for key in ("SLEUTH_HOME", "HF_HUB_OFFLINE", "PATH") for arg in ("-e", f"{key}={env[key]}")]
    width, height = (str(n) for n in size)
    _tmux(socket, "new-session", "-d", "-s", "chat", "-x", width, "-y", height, *exports, f"{BIN / 'sleuth'} chat")
    try:
        _tmux(socket, "resize-window", "-t", "chat", "-x", width, "-y", height)
        _screen_until(socket, "Ask a question", 120)
        _tmux(socket, "send-keys", "-t", "chat", "-l", "How does FIRST speed up listwise reranking?")
        _tmux(socket, "send-keys", "-t", "chat", "Enter")
        screen = _screen_until(socket, "answered in", 400)
        assert "[1]" in screen, screen
        assert any(word in screen for word in ("FIRST", "First")), screen  # the answer's opening, not blank space
    finally:
        _tmux(socket, "kill-server")
