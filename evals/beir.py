"""Loaders for BEIR-layout data: corpus.jsonl(.gz), queries.jsonl, qrels/*.tsv."""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from sleuth.errors import InputError


def _open(path: Path) -> IO[str]:
    if not path.exists():
        raise InputError(f"{path} does not exist.", "Check the path.")
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")


def iter_jsonl(path: Path) -> Iterator[dict]:
    with _open(path) as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"{path}:{number} is not valid JSON ({exc}).", "Fix or remove the line.") from exc


def load_queries(path: Path) -> dict[str, str]:
    """`{"_id", "text"}` lines (BEIR) or `{"id", "question"}` lines (sleuth's QA layout)."""
    queries = {}
    for row in iter_jsonl(path):
        qid = str(row.get("_id") or row.get("id"))
        queries[qid] = str(row.get("text") or row.get("question") or "")
    return queries


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    """`query-id corpus-id score` TSV with a header line; only positive judgements are kept."""
    qrels: dict[str, dict[str, int]] = {}
    with _open(path) as handle:
        reader = csv.reader(handle, delimiter="\t")
        for row in reader:
            if len(row) < 3 or row[0] == "query-id":
                continue
            score = int(float(row[2]))
            if score > 0:
                qrels.setdefault(row[0], {})[row[1]] = score
    return qrels
