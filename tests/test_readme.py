"""Every command line README.md shows runs as written, through the installed `sleuth` entry point.

The commands are read from the README itself (each ```bash block, line by line, `&&` chains split), so a line added
there is tested without editing this file. They run in order in one working folder that holds the example files the
README names (papers/, notes.md, data.csv, ...), against one temporary SLEUTH_HOME, with `SLEUTH_LM=scripted`: a
stand-in LM that answers with sentences copied from the passages, so no model is needed and nothing varies.
Each must exit 0 and print something. `sleuth chat` runs in a pseudo-terminal: a question is typed at once (no Tab
first) and the cited answer read off the screen. The set-up commands (`bash setup.sh`, pytest) are what CI runs:
they are checked to stand in `.ci/run`. The Python snippet runs too. The benchmark commands quoted in the prose run
for hours on the real models; for those, the module must exist and accept every flag the README passes it.
"""

from __future__ import annotations

import json
import os
import re
import select
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent
SETUP_COMMANDS = ("bash setup.sh", ".venv/bin/python -m pytest")  # what .ci/run itself runs


def readme_commands() -> list[str]:
    """Each command of the README's ```bash blocks, in order, comments kept out and `&&` chains split."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            while words:
                part = words[: words.index("&&")] if "&&" in words else words
                commands.append(shlex.join(part))
                words = words[len(part) + 1 :]
    return commands


def python_snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


def benchmark_commands() -> list[str]:
    """The `python -m sleuth....` and `python -m bench....` commands quoted in the README, BENCHMARKS.md and the lab's
    own README (they may wrap over two lines), each once."""
    texts = [README] + [
        (ROOT / name).read_text(encoding="utf-8")
        for name in ("BENCHMARKS.md", "bench/README.md")
        if (ROOT / name).exists()
    ]
    found = [" ".join(c.split()) for text in texts for c in re.findall(r"`(python -m (?:sleuth|bench)\.[^`]+)`", text)]
    return list(dict.fromkeys(found))


COMMANDS = readme_commands()
RUNNABLE = [c for c in COMMANDS if not c.startswith(SETUP_COMMANDS)]

WORKSPACE = {
    "papers/colbert.md": "# ColBERT\n\nColBERT is a late interaction retriever: it keeps one embedding per token "
    "and scores a passage by summing each query token's maximum similarity.\n",
    "papers/bm25.txt": "BM25 is a lexical ranking function that scores documents by term frequency and inverse "
    "document frequency, with saturation controlled by k1.\n",
    "papers/hybrid.html": "<html><head><title>Hybrid search</title></head><body><p>Hybrid search combines BM25 "
    "with dense embeddings; reciprocal rank fusion merges the two ranked lists.</p></body></html>",
    "notes.md": "# Notes\n\nHard negatives are passages that look relevant to a query but do not answer it; "
    "training a dense retriever on them sharpens its ranking.\n",
    "data.csv": "pmid,abstract,year,journal\n"
    "111,Early antibiotics lower mortality in sepsis patients admitted to intensive care.,2021,Crit Care\n"
    "222,Fluid resuscitation volumes in septic shock were compared across twelve hospitals.,2021,Lancet\n"
    "333,A lexical retriever was compared with a dense retriever on clinical notes.,2019,JAMIA\n",
    "refs.bib": "@article{robertson2009bm25,\n  title = {The Probabilistic Relevance Framework: {BM25} and Beyond},\n"
    "  author = {Robertson, Stephen and Zaragoza, Hugo},\n  year = {2009},\n"
    "  journal = {Foundations and Trends in IR},\n"
    "  file = {Full Text:papers/bm25.txt:text/plain}\n}\n@inproceedings{khattab2020colbert,\n  title = {ColBERT},\n"
    "  author = {Khattab, Omar and Zaharia, Matei},\n  year = {2020},\n  booktitle = {SIGIR},\n"
    "  abstract = {ColBERT scores a passage by late interaction over token embeddings.}\n}\n",
    "questions.jsonl": '{"id": "q1", "question": "What are hard negatives?"}\n'
    '{"id": "q2", "question": "How does ColBERT score a passage?"}\n',
    "corpus.jsonl": '{"_id": "c1", "title": "BM25", "text": "BM25 ranks documents by term frequency and inverse '
    'document frequency."}\n{"_id": "c2", "title": "DPR", "text": "Dense passage retrieval encodes questions and '
    'passages with two BERT encoders."}\n',
    "train.jsonl": '{"question": "What does BM25 rank documents by?", "answers": ["term frequency"], '
    '"supporting": ["c1"]}\n{"question": "What does DPR encode passages with?", "answers": ["BERT encoders"], '
    '"supporting": ["c2"]}\n',
    "qa.jsonl": '{"id": "t1", "question": "What does BM25 rank documents by?", "answers": ["term frequency"], '
    '"supporting": ["c1"]}\n{"id": "t2", "question": "What does DPR encode passages with?", "answers": '
    '["BERT encoders"], "supporting": ["c2"]}\n',
    "scifact/corpus.jsonl": "".join(
        json.dumps({"_id": f"d{i}", "title": title, "text": text}) + "\n"
        for i, (title, text) in enumerate(
            [
                ("Vitamin D", "Vitamin D supplements did not reduce fracture risk in older adults."),
                ("Aspirin", "Low-dose aspirin reduced the risk of a first heart attack in a large trial."),
                ("Sleep", "Short sleep was associated with higher blood pressure in adolescents."),
                ("Coffee", "Coffee drinking was not linked to arrhythmia in a cohort of 300,000 people."),
            ]
        )
    ),
    "scifact/queries.jsonl": '{"_id": "1", "text": "Vitamin D prevents fractures."}\n'
    '{"_id": "2", "text": "Aspirin prevents heart attacks."}\n{"_id": "3", "text": "Coffee causes arrhythmia."}\n',
    "scifact/qrels.tsv": "query-id\tcorpus-id\tscore\n1\td0\t1\n2\td1\t1\n3\td3\t1\n",
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("readme")
    for name, text in WORKSPACE.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    from bench.zotero_library import ZItem, write_library

    write_library(  # a Zotero data directory, as ~/Zotero holds one
        folder / "Zotero",
        [
            ZItem(
                "SPLADE01",
                "SPLADE",
                authors=[("Thibault", "Formal")],
                date="2021",
                tags=["to-read"],
                pages=["SPLADE learns sparse lexical expansions of queries and documents with BERT."],
            ),
            ZItem("HYDE0002", "HyDE", date="2022", abstract="HyDE writes a hypothetical document and embeds it."),
        ],
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLEUTH_")}
    env.update(
        SLEUTH_HOME=str(folder / "home"),
        SLEUTH_LM="scripted",
        HF_HUB_OFFLINE="1",
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        COLUMNS="160",
        TERM="xterm-256color",
    )
    return folder, env


def _argv(command: str) -> list[str]:
    words = shlex.split(command)
    if words[0] == ".venv/bin/sleuth":
        words[0] = "sleuth"
    assert words[0] == "sleuth", f"README command not run by this test: {command}"
    return [str(BIN / "sleuth"), *words[1:]]


def test_the_readme_shows_the_setup_line_and_the_commands() -> None:
    assert COMMANDS[0] == "bash setup.sh", "the first command sets everything up"
    assert "sleuth ingest --demo" in COMMANDS[1] and "sleuth ask" in COMMANDS[2]
    assert len(RUNNABLE) >= 20


def test_the_setup_commands_are_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    for command in COMMANDS:
        if command.startswith(SETUP_COMMANDS):
            assert command in ci, f"{command!r} is in the README but CI does not run it"


@pytest.mark.parametrize("command", RUNNABLE)
def test_readme_command_runs_as_written(command: str, workspace: tuple[Path, dict[str, str]]) -> None:
    folder, env = workspace
    argv = _argv(command)
    if argv[1:] == ["chat"]:
        output, code = _chat(argv, folder, env)
    else:
        done = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True, timeout=600, stdin=None)
        output, code = done.stdout + done.stderr, done.returncode
    assert code == 0, f"`{command}` exited {code}:\n{output[-3000:]}"
    assert output.strip(), f"`{command}` printed nothing"


def test_the_python_snippet_runs(workspace: tuple[Path, dict[str, str]]) -> None:
    folder, env = workspace
    [snippet] = python_snippets()
    done = subprocess.run(
        [sys.executable, "-c", snippet], cwd=folder, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"^\d+ .+ \S+$", done.stdout, flags=re.M), f"no citation line printed:\n{done.stdout}"


@pytest.mark.parametrize("command", benchmark_commands())
def test_benchmark_commands_name_real_modules_and_flags(command: str) -> None:
    words = shlex.split(command)
    module = words[2]
    done = subprocess.run(
        [sys.executable, "-m", module, "--help"], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, f"{module} --help failed:\n{done.stderr[-2000:]}"
    for flag in (w for w in words[3:] if w.startswith("--")):
        assert flag in done.stdout, f"{module} has no {flag} option"


def _chat(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[str, int]:
    """Runs the chat in a pseudo-terminal, types a question straight away, waits for its sources, quits."""
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=follower, stdout=follower, stderr=follower)
    os.close(follower)
    screen = _read_until(leader, "Ask a question", 120)
    os.write(leader, b"How does ColBERT score a passage?")
    time.sleep(0.5)
    os.write(leader, b"\r")
    screen += _read_until(leader, "Sources", 180)
    os.write(leader, b"\x11")  # ctrl+q
    deadline = time.monotonic() + 30
    while process.poll() is None and time.monotonic() < deadline:
        screen += _read_until(leader, "\0never", 0.5)  # keep reading: a full terminal buffer blocks its exit
    if process.poll() is None:
        process.kill()
    code = process.wait()
    os.close(leader)
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]", "", screen)
    assert "Sources" in plain, f"no cited answer on the chat screen:\n{plain[-3000:]}"
    return plain, code


def _read_until(fd: int, text: str, seconds: float) -> str:
    data = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
        if text.encode() in re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", data):
            break
    return data.decode("utf-8", errors="replace")
