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


_QRELS_LAYOUT = "Each line: query-id<TAB>corpus-id<TAB>score (a header line 'query-id corpus-id score' may come first)."


def read_qrels(path: Path) -> Iterator[tuple[int, str, str, int]]:
    """`(line number, query id, corpus id, score)` per judgement of a `query-id corpus-id score` TSV; a line in
    another layout is an error naming it."""
    with _open(path) as handle:
        for number, row in enumerate(csv.reader(handle, delimiter="\t"), 1):
            if not row or not "".join(row).strip() or (number == 1 and row[0].strip() == "query-id"):
                continue
            if len(row) < 3:
                raise InputError(f"{path}:{number}: {len(row)} tab-separated column(s), expected 3.", _QRELS_LAYOUT)
            try:
                score = int(float(row[-1]))
            except ValueError:
                raise InputError(f"{path}:{number}: the score '{row[-1]}' is not a number.", _QRELS_LAYOUT) from None
            yield number, row[0].strip(), row[-2].strip(), score  # TREC's 4 columns (q 0 doc score) read too


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    """The positive judgements of a `query-id corpus-id score` TSV: `{query id: {corpus id: score}}`."""
    qrels: dict[str, dict[str, int]] = {}
    for _, query, doc, score in read_qrels(path):
        if score > 0:
            qrels.setdefault(query, {})[doc] = score
    return qrels


def corpus_ids(corpus: Path) -> set[str]:
    """The document ids of a JSONL corpus (`_id` or `id` per line; the reader reports bad lines when it ingests)."""
    if not corpus.is_file():
        raise InputError(
            f"{corpus} does not exist.", "Give the corpus (JSONL) the questions or judgements were written on."
        )
    ids = set()
    with _open(corpus) as handle:
        for line in handle:
            try:
                row = json.loads(line) if line.strip() else None
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict):
                ids.add(str(row.get("_id", row.get("id", ""))))
    return ids


def check_qrels(path: Path, queries: dict[str, str], queries_path: Path, corpus: Path) -> dict[str, dict[str, int]]:
    """The positive judgements, as `load_qrels` gives them, once every judged query is known to be in the queries
    file and every judged document in the corpus: an unknown id is an error naming the qrels line (a wrong corpus
    or queries file would otherwise score as zero, silently)."""
    documents = corpus_ids(corpus)
    qrels: dict[str, dict[str, int]] = {}
    for number, query, doc, score in read_qrels(path):
        if score <= 0:
            continue
        if query not in queries:
            raise InputError(
                f"{path}:{number}: query '{query}' is not in {queries_path}.",
                "Give the queries file of the same dataset (and split) as the qrels.",
            )
        if doc not in documents:
            raise InputError(
                f"{path}:{number}: document '{doc}' is not in {corpus}.",
                "Give the corpus of the same dataset as the qrels.",
            )
        qrels.setdefault(query, {})[doc] = score
    return qrels
