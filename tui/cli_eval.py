"""`sleuth doctor`, `config`, `optimize` and `eval`: checking, configuring and measuring sleuth."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sleuth.errors import ConfigError, SleuthError
from sleuth.tui.cli import Collection, _agent, _fail, app, err, out

if TYPE_CHECKING:
    pass
from sleuth.tui.cli_ingest import _run_ingest


@app.command()
def doctor(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Check the install: llama.cpp, the model file and its checksum, the embedder, the index, memory, an LM server."""
    from dataclasses import asdict

    from sleuth.agent.doctor import run_checks, summary
    from sleuth.settings import load_settings

    try:
        settings = load_settings()
    except SleuthError as exc:
        _fail(exc)
    checks = run_checks(settings)
    if as_json:
        sys.stdout.write(json.dumps([asdict(c) for c in checks], indent=2) + "\n")
    else:
        from rich.markup import escape

        for check in checks:
            mark = "[dim]-[/]" if check.skipped else ("[green]ok[/]" if check.ok else "[bold red]FAIL[/]")
            out.print(f"{mark:>4} [bold]{check.name:11s}[/] {escape(check.detail)}")
            if check.fix and not check.ok:
                out.print(f"     [yellow]What to do:[/] {escape(check.fix)}")
        out.print(summary(checks))
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


@app.command()
def config() -> None:
    """Print the effective settings (secrets masked) and where they come from."""
    from sleuth.settings import load_settings

    try:
        settings = load_settings()
    except SleuthError as exc:
        _fail(exc)
    sys.stdout.write(json.dumps(settings.masked(), indent=2) + "\n")


@app.command()
def optimize(
    questions: Annotated[Path, typer.Argument(help='JSONL of {"question", "answers", "supporting"?} lines.')],
    corpus: Annotated[
        Path | None, typer.Option("--corpus", help="Ingest this corpus first (skipped if already in).")
    ] = None,
    optimizer: Annotated[str, typer.Option(help="bootstrap (BootstrapFewShot) or mipro (MIPROv2).")] = "bootstrap",
    limit: Annotated[int | None, typer.Option(help="Use only the first N questions.")] = None,
    max_demos: Annotated[int, typer.Option(help="Demonstrations kept per module.")] = 2,
    collection: Collection = None,
) -> None:
    """Compile the agent's modules on questions with known answers; the agent loads the result from then on."""
    from sleuth.agent.optimize import load_examples
    from sleuth.agent.optimize import optimize as compile_agent

    if optimizer not in ("bootstrap", "mipro"):
        _fail(ConfigError(f"Unknown optimizer '{optimizer}'.", "Use --optimizer bootstrap or --optimizer mipro."))
    try:
        examples = load_examples(questions, limit)
        with _agent(collection) as agent:
            if corpus is not None:
                agent.ingest([corpus])
            with err.status(f"compiling on {len(examples)} questions..."):
                report = compile_agent(agent, examples, optimizer, max_demos)  # type: ignore[arg-type]
    except SleuthError as exc:
        _fail(exc)
    demos = ", ".join(f"{name} {n}" for name, n in report.demos.items() if n) or "none"
    out.print(f"Compiled on {report.examples} questions in {report.seconds:.0f} s; demonstrations: {demos}.")
    out.print(f"Saved to {report.path}; sleuth loads it for collection '{agent.settings.index.collection}'.")


eval_app = typer.Typer(help="Benchmarks: retrieval quality on a BEIR-style corpus.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@eval_app.command("retrieval")
def eval_retrieval(
    corpus: Annotated[Path, typer.Option(help="BEIR corpus: corpus.jsonl or corpus.jsonl.gz.")],
    queries: Annotated[Path, typer.Option(help="queries.jsonl ({_id, text}).")],
    qrels: Annotated[Path, typer.Option(help="qrels TSV (query-id, corpus-id, score).")],
    run_out: Annotated[Path, typer.Option("--run-out", help="Where to write the TREC run file.")],
    pipeline: Annotated[str, typer.Option(help="bm25 | dense | hybrid | hybrid+rerank")] = "hybrid+rerank",
    limit: Annotated[int | None, typer.Option(help="Only the first N judged queries.")] = None,
) -> None:
    """Search every judged query, write a TREC run, print nDCG@10, Recall@100 and MRR@10."""
    from sleuth.evals.beir import load_qrels, load_queries
    from sleuth.evals.retrieval import PIPELINES, corpus_collection, run_queries, score, write_trec

    if pipeline not in PIPELINES:
        _fail(SleuthError(f"Unknown pipeline '{pipeline}'.", f"Use one of: {', '.join(PIPELINES)}."))
    try:
        judged = load_qrels(qrels)
        asked = {q: t for q, t in load_queries(queries).items() if q in judged}
        if limit:
            asked = dict(list(asked.items())[:limit])
        with _agent(corpus_collection(corpus)) as agent:
            report = _run_ingest(agent, [corpus], quiet=False)  # resumes; adds nothing once complete
            err.print(f"corpus: {report.documents:,} documents, {report.added:,} chunks added in {report.seconds:.0f}s")
            run = run_queries(agent, asked, pipeline)  # type: ignore[arg-type]
    except SleuthError as exc:
        _fail(exc)
    write_trec(run, run_out)
    metrics = score(run, {q: judged[q] for q in asked})
    out.print(
        f"{pipeline}: nDCG@10 {metrics['nDCG@10']:.4f}  Recall@100 {metrics['Recall@100']:.4f}  "
        f"MRR@10 {metrics['MRR@10']:.4f}  ({metrics['queries']} queries; p50 {run.p50_ms:.0f} ms, "
        f"p95 {run.p95_ms:.0f} ms)  run -> {run_out}"
    )
