"""Fuzz the readers and the input parsers with hypothesis, a time budget per target; crashes are saved as files.

    pip install hypothesis   # (in the bench extra)
    python -m bench.fuzz --seconds 120 --out bench/results/fuzz

Targets: each reader (text, Markdown, HTML, CSV, JSONL, PDF, DOCX) through `read_file` and then the chunker, on
bytes hypothesis draws: arbitrary bytes for the text formats and, for PDF and DOCX, a valid seed file with bytes
overwritten, inserted or cut off (random bytes are rarely a PDF at all); the batch questions reader
(`agent.batch.read_questions`); the QA-set loader of `sleuth eval qa` (`evals.qa.load_questions`); and the `--set
KEY=VALUE` parser (`evals.qa.make_configs`). A reader must give Documents or Failures and never raise; a parser may
raise only sleuth's own errors (InputError, ConfigError: a clear message). Anything else is a crash: its input goes
to `<out>/crashes/<target>-<n>.bin` with its traceback beside it, for a regression test in tests/test_fuzz_found.py.
Prints, per target, the inputs tried and the crashes found (`<out>/summary.txt`).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sleuth.errors import SleuthError


@dataclass
class Target:
    name: str
    check: Callable[[bytes], None]  # raises on a crash
    seed: bytes = b""
    tried: int = 0
    crashes: list[tuple[bytes, str]] = field(default_factory=list)


def _pdf_seed() -> bytes:
    from bench.documents import pdf_bytes

    return pdf_bytes(["ColBERT scores passages by late interaction."])


def _docx_seed() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("ColBERT", level=1)
    document.add_paragraph("ColBERT scores passages by late interaction.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "model", "ColBERT"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _reader(suffix: str, folder: Path, chunker: Any) -> Callable[[bytes], None]:
    from sleuth.schema import Document
    from sleuth.tools.readers import Failure, read_file

    def check(data: bytes) -> None:
        path = folder / f"input{suffix}"
        path.write_bytes(data)
        for item in read_file(path):
            assert isinstance(item, Document | Failure), type(item)
            if isinstance(item, Document):
                chunker.split(item)

    return check


def _parser(parse: Callable[[Path], Any], folder: Path, suffix: str = ".jsonl") -> Callable[[bytes], None]:
    def check(data: bytes) -> None:
        path = folder / f"questions{suffix}"
        path.write_bytes(data)
        with contextlib.suppress(SleuthError):  # a clear error is the right answer to bad input
            parse(path)

    return check


def _set_option(data: bytes) -> None:
    from sleuth.evals.qa import make_configs
    from sleuth.settings import Settings

    with contextlib.suppress(SleuthError):
        make_configs(Settings(), [], [data.decode("utf-8", errors="replace")])


def targets(folder: Path) -> list[Target]:
    from sleuth.agent.batch import read_questions
    from sleuth.evals.qa import load_questions
    from sleuth.tools.chunking import Chunker
    from sleuth.tools.embedder import Embedder

    chunker = Chunker(200, 20, Embedder("minilm").tokenize)
    readers = [
        Target(f"read {suffix}", _reader(suffix, folder, chunker), seed)
        for suffix, seed in [
            (".txt", b"ColBERT scores passages.\n"),
            (".md", b"---\ntitle: ColBERT\n---\n# Scoring\n\nLate interaction.\n"),
            (".html", b"<html><head><title>T</title></head><body><h1>ColBERT</h1><p>MaxSim.</p></body></html>"),
            (".csv", b"id,title,text\n1,ColBERT,late interaction\n"),
            (".jsonl", b'{"_id": "d1", "title": "ColBERT", "text": "MaxSim", "metadata": {"year": 2020}}\n'),
            (".pdf", _pdf_seed()),
            (".docx", _docx_seed()),
        ]
    ]
    questions = b'{"id": "q1", "question": "What is ColBERT?", "answers": ["a retriever"], "supporting": ["d1"]}\n'
    return [
        *readers,
        Target("batch questions", _parser(lambda p: list(read_questions(p)), folder), questions),
        Target("eval qa questions", _parser(load_questions, folder), questions),
        Target("eval --set", _set_option, b"agent.loop=full"),
    ]


def _inputs(seed: bytes) -> Any:
    """Arbitrary bytes, or the seed with bytes overwritten, inserted and cut: both, for every target."""
    from hypothesis import strategies as st

    edits = st.lists(st.tuples(st.integers(0, max(len(seed) - 1, 0)), st.binary(min_size=1, max_size=8)), max_size=8)

    def mutate(args: tuple[list[tuple[int, bytes]], int, bool]) -> bytes:
        changes, cut, insert = args
        data = bytearray(seed)
        for at, chunk in changes:
            data[at : at + (0 if insert else len(chunk))] = chunk
        return bytes(data[: max(cut, 1)])

    mutated = st.tuples(edits, st.integers(0, len(seed)), st.booleans()).map(mutate)
    return st.one_of(st.binary(max_size=4096), mutated, st.text(max_size=2048).map(str.encode))


def fuzz(target: Target, seconds: float) -> None:
    from hypothesis import HealthCheck, given, settings

    stop = time.monotonic() + seconds

    @settings(max_examples=500, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(_inputs(target.seed))
    def run(data: bytes) -> None:
        if time.monotonic() > stop:
            return
        target.tried += 1
        try:
            target.check(data)
        except Exception:  # a crash: kept, and the search goes on
            target.crashes.append((data, traceback.format_exc()))

    while time.monotonic() < stop:
        run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=120.0, help="Time budget per target.")
    parser.add_argument("--out", type=Path, default=Path("bench/results/fuzz"))
    parser.add_argument("--only", help="Fuzz only the targets whose name contains this.")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # readers log every undecodable byte; the crashes are what counts here
    crashes = args.out / "crashes"
    crashes.mkdir(parents=True, exist_ok=True)
    lines = [f"fuzzing, {args.seconds:.0f} s per target", f"{'target':20s} {'inputs':>8s} {'crashes':>8s}  first"]
    with tempfile.TemporaryDirectory() as tmp:
        for target in targets(Path(tmp)):
            if args.only and args.only not in target.name:
                continue
            fuzz(target, args.seconds)
            first = target.crashes[0][1].strip().splitlines()[-1] if target.crashes else "-"
            lines.append(f"{target.name:20s} {target.tried:8d} {len(target.crashes):8d}  {first[:90]}")
            print(lines[-1], flush=True)
            stem = target.name.replace(" ", "-").replace(".", "")
            for n, (data, trace) in enumerate(target.crashes[:20]):
                (crashes / f"{stem}-{n}.bin").write_bytes(data)
                (crashes / f"{stem}-{n}.txt").write_text(trace)
    (args.out / "summary.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
