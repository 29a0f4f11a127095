"""Scripted batches: questions JSONL in, one answer line per question out, resumable.

Every question gets exactly one output line, even when it fails (its `error` says why). Lines are flushed
and synced as they are written, and a re-run skips the ids already in the output, so an interrupted batch
loses nothing it had finished; `retry_failed` asks the failed ones again (a server that was down, a timeout).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sleuth.agent.answering import answer_one
from sleuth.errors import InputError
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


def answered_ids(out: Path, retry_failed: bool = False) -> set[str]:
    """Ids already written to `out`; a torn last line from an interrupted run is cut off first. With `retry_failed`,
    the lines of failed answers (an `error`) are taken out of the file, atomically, so those questions are asked
    again and still end with one line each."""
    if not out.exists():
        return set()
    data = out.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        with out.open("r+b") as handle:
            handle.truncate(cut)
        data = data[:cut]
    ids, kept, dropped = set(), [], 0
    for line in data.decode("utf-8", errors="replace").splitlines(keepends=True):
        try:
            row = json.loads(line)
            qid = str(row["id"])
        except (json.JSONDecodeError, KeyError, TypeError):
            kept.append(line)
            continue
        if retry_failed and row.get("error") is not None:
            dropped += 1
            continue
        ids.add(qid)
        kept.append(line)
    if dropped:
        _replace(out, "".join(kept))
    return ids


def _replace(path: Path, text: str) -> None:
    """`path` rewritten as `text` without a moment where it is half written: a synced temp file renamed over it."""
    temp = path.with_name(path.name + ".tmp")
    with temp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def answers_here(
    agent: ResearchAgent, pending: list[tuple[str, str]], no_answer: bool, concurrency: int, report: bool = False
) -> Iterator[Answer]:
    """Each pending question's Answer as soon as it is ready, from `concurrency` threads sharing one agent."""
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = [pool.submit(answer_one, agent, qid, question, no_answer, report) for qid, question in pending]
        for future in as_completed(futures):
            yield future.result()


def answers(
    agent: ResearchAgent,
    pending: list[tuple[str, str]],
    no_answer: bool = False,
    *,
    concurrency: int = 1,
    ray: str | None = None,
    workers: int = 2,
    say: Callable[[str], None] | None = None,
    report: bool = False,
) -> Iterator[Answer]:
    """Each pending question's Answer as it is ready: from `concurrency` threads on `agent`, or with `ray`
    (`local`, `auto` or a cluster address) from `workers` Ray actors, each with its own agent built from
    `agent.settings` (`agent/ray_batch.py`). `say` hears of fewer Ray workers than asked for; with `report`, each
    question gets a Report."""
    if not pending:  # a resumed batch with nothing left starts no workers
        return
    if not ray:
        yield from answers_here(agent, pending, no_answer, concurrency, report)
        return
    from sleuth.agent.ray_batch import answers_on_ray

    agent.close()  # the embedded index is opened by one process at a time: the cluster's, from now on
    yield from answers_on_ray(agent.settings, pending, no_answer, address=ray, workers=workers, say=say, report=report)


def run_batch(
    agent: ResearchAgent,
    questions: Path,
    out: Path,
    *,
    no_answer: bool = False,
    concurrency: int = 1,
    ray: str | None = None,
    workers: int = 2,
    on_done: Callable[[BatchReport], None] | None = None,
    say: Callable[[str], None] | None = None,
    retry_failed: bool = False,
    reports: bool = False,
) -> BatchReport:
    """Answers the questions of `questions` not yet in `out` (with `retry_failed`, also those whose line there is a
    failure), appending one line each as it is ready, from the stream `answers` picks (threads here, or Ray actors
    with `ray`): the lines, the resume and the report are the same either way. With `reports`, each line is a
    Report's record (an answer's fields, with the overview and sections)."""
    report = BatchReport()
    done = answered_ids(out, retry_failed)
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
    with out.open("a", encoding="utf-8") as handle:
        stream = answers(
            agent, pending, no_answer, concurrency=concurrency, ray=ray, workers=workers, say=say, report=reports
        )
        for answer in stream:
            handle.write(json.dumps(answer.record(), ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
            report.answered += answer.error is None
            report.failed += answer.error is not None
            if on_done:
                on_done(report)
    return report
