"""What the training-split studies share: their arguments and the corpus index, judged queries and qrels."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from sleuth.evals.beir import load_qrels, load_queries
from sleuth.evals.retrieval import corpus_collection

if TYPE_CHECKING:
    from sleuth.agent.api import ResearchAgent


def study_parser(doc: str | None, tune: int = 400) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--qrels", type=Path, required=True)
    parser.add_argument("--tune", type=int, default=tune, help="Judged queries used to choose settings.")
    return parser


def load_split(args: argparse.Namespace) -> tuple[ResearchAgent, dict[str, str], dict[str, dict[str, int]]]:
    """An agent over the corpus' eval collection (see `sleuth eval retrieval`), the judged queries, the qrels."""
    from sleuth.agent.api import ResearchAgent
    from sleuth.settings import Settings

    qrels = load_qrels(args.qrels)
    queries = {q: t for q, t in load_queries(args.queries).items() if q in qrels}
    settings = Settings()
    settings.index.collection = corpus_collection(args.corpus)
    return ResearchAgent(settings), queries, qrels
