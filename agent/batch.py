"""Scripted batches: questions JSONL in, one answer line per question out, resumable.

Every question gets exactly one output line, even when it fails (its `error` says why). Lines are flushed
and synced as they are written, and a re-run skips the ids already in the output, so an interrupted batch
loses nothing it had finished.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sleuth.errors import InputError, SleuthError
from sleuth.schema import Answer

if TYPE_CHECKING:
    from sleuth.agent.api import ResearchAgent


@dataclass
class BatchReport:
    total: int = 0
    skipped: int = 0
    answered: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)


def read_questions(path: Path) -> Iterator[tuple[str, str] | str]:
    """`(id, question)` for each usable line; a string describing each unusable one."""
    if not path.is_file():
        raise InputError(f"No questions file at {path}.", 'Give a JSONL file with one {"id", "question"} per line.')
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield f"{path}:{number}: not valid JSON ({exc}); skipped"
                continue
            if not isinstance(row, dict) or "question" not in row:
                yield f"{path}:{number}: no 'question' field; skipped"
                continue
            yield str(row.get("id", f"line-{number}")), str(row["question"])


def answered_ids(out: Path) -> set[str]:
    """Ids already written to `out`; a torn last line from an interrupted run is cut off first."""
    if not out.exists():
        return set()
    data = out.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        with out.open("r+b") as handle:
            handle.truncate(cut)
        data = data[:cut]
    ids = set()
    for line in data.decode("utf-8", errors="replace").splitlines():
        try:
            ids.add(str(json.loads(line)["id"]))
        except (json.JSONDecodeError, KeyError, TypeError):
            continue
    return ids


def run_batch(
    agent: ResearchAgent,
    questions: Path,
    out: Path,
    *,
    no_answer: bool = False,
    concurrency: int = 1,
    on_done: Callable[[BatchReport], None] | None = None,
) -> BatchReport:
    report = BatchReport()
    done = answered_ids(out)
    pending: list[tuple[str, str]] = []
    for item in read_questions(questions):
        if isinstance(item, str):
            report.problems.append(item)
            continue
        report.total += 1
        if item[0] in done:
            report.skipped += 1
        else:
            done.add(item[0])
            pending.append(item)
    out.parent.mkdir(parents=True, exist_ok=True)
    lock = threading.Lock()

    def answer_one(item: tuple[str, str]) -> None:
        qid, question = item
        try:
            answer = agent.retrieve_only(question, id=qid) if no_answer else agent.ask(question, id=qid)
        except SleuthError as exc:
            answer = Answer(id=qid, question=question, error=str(exc))
        except Exception as exc:  # one bad question must not end the batch
            answer = Answer(id=qid, question=question, error=f"{type(exc).__name__}: {exc}")
        with lock, out.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(answer.record(), ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
            report.answered += answer.error is None
            report.failed += answer.error is not None
            if on_done:
                on_done(report)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        list(pool.map(answer_one, pending))
    return report
