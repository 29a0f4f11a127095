"""`sleuth doctor`, `config`, `optimize` and `eval`: checking, configuring and measuring sleuth."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from sleuth.errors import ConfigError, SleuthError
from sleuth.tui.shell import Collection, RayAddress, Workers, app, err, open_agent, out, run_ingest


@app.command()
def doctor(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Check the install: llama.cpp, the model file and its checksum, the embedder, the index, memory, an LM server."""
    from dataclasses import asdict

    from sleuth.agent.ops.doctor import run_checks, summary
    from sleuth.settings import load_settings

    settings = load_settings()
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

    settings = load_settings()
    sys.stdout.write(json.dumps(settings.masked(), indent=2) + "\n")


@app.command()
def optimize(
    questions: Annotated[Path, typer.Argument(help='JSONL of {"question", "answers", "supporting"?} lines.')],
    corpus: Annotated[
        Path | None, typer.Option("--corpus", help="Ingest this corpus first (skipped if already in).")
    ] = None,
    optimizer: Annotated[str, typer.Option(help="bootstrap (BootstrapFewShot) or mipro (MIPROv2).")] = "bootstrap",
    limit: Annotated[int | None, typer.Option(min=1, help="Use only the first N questions.")] = None,
    max_demos: Annotated[int, typer.Option(min=0, help="Demonstrations kept per module.")] = 2,
    collection: Collection = None,
) -> None:
    """Compile the agent's modules on questions with known answers; the agent loads the result from then on."""
    from sleuth.agent.ops.optimize import load_examples
    from sleuth.agent.ops.optimize import optimize as compile_agent

    if optimizer not in ("bootstrap", "mipro"):
        raise ConfigError(f"Unknown optimizer '{optimizer}'.", "Use --optimizer bootstrap or --optimizer mipro.")
    examples = load_examples(questions, limit)
    with open_agent(collection) as agent:
        if corpus is not None:
            agent.ingest([corpus])
        with err.status(f"compiling on {len(examples)} questions..."):
            report = compile_agent(agent, examples, optimizer, max_demos)  # type: ignore[arg-type]
    demos = ", ".join(f"{name} {n}" for name, n in report.demos.items() if n) or "none"
    out.print(f"Compiled on {report.examples} questions in {report.seconds:.0f} s; demonstrations: {demos}.")
    out.print(f"Saved to {report.path}; sleuth loads it for collection '{agent.settings.index.collection}'.")


eval_app = typer.Typer(
    help="How well sleuth works on your documents: a QA set under one or more configurations, or retrieval quality.",
    no_args_is_help=True,
)
app.add_typer(eval_app, name="eval")


@eval_app.command("retrieval")
def eval_retrieval(
    corpus: Annotated[Path, typer.Option(help="BEIR corpus: corpus.jsonl or corpus.jsonl.gz.")],
    queries: Annotated[Path, typer.Option(help="queries.jsonl ({_id, text}).")],
    qrels: Annotated[Path, typer.Option(help="qrels TSV (query-id, corpus-id, score).")],
    run_out: Annotated[Path, typer.Option("--run-out", help="Where to write the TREC run file.")],
    pipeline: Annotated[str, typer.Option(help="bm25 | dense | hybrid | hybrid+rerank")] = "hybrid+rerank",
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N judged queries.")] = None,
) -> None:
    """Search every judged query, write a TREC run, print nDCG@10, Recall@100 and MRR@10."""
    from sleuth.evals.beir import check_qrels, load_queries
    from sleuth.evals.retrieval import PIPELINES, corpus_collection, run_queries, score, write_trec

    if pipeline not in PIPELINES:
        raise SleuthError(f"Unknown pipeline '{pipeline}'.", f"Use one of: {', '.join(PIPELINES)}.")
    known = load_queries(queries)
    judged = check_qrels(qrels, known, queries, corpus)
    asked = {q: t for q, t in known.items() if q in judged}
    if limit:
        asked = dict(list(asked.items())[:limit])
    with open_agent(corpus_collection(corpus)) as agent:
        report = run_ingest(agent, [corpus], quiet=False)  # resumes; adds nothing once complete
        err.print(f"corpus: {report.documents:,} documents, {report.added:,} chunks added in {report.seconds:.0f}s")
        run = run_queries(agent, asked, pipeline)  # type: ignore[arg-type]
    write_trec(run, run_out)
    metrics = score(run, {q: judged[q] for q in asked})
    out.print(
        f"{pipeline}: nDCG@10 {metrics['nDCG@10']:.4f}  Recall@100 {metrics['Recall@100']:.4f}  "
        f"MRR@10 {metrics['MRR@10']:.4f}  ({metrics['queries']} queries; p50 {run.p50_ms:.0f} ms, "
        f"p95 {run.p95_ms:.0f} ms)  run -> {run_out}"
    )


@eval_app.command("qa")
def eval_qa(
    questions: Annotated[Path, typer.Argument(help="JSONL of {id, question, answers, supporting} lines.")],
    corpus: Annotated[Path, typer.Option("--corpus", help="The documents the questions were written on (JSONL).")],
    configs: Annotated[
        list[Path] | None, typer.Option("--config", help="A TOML file of settings to compare; repeat for more.")
    ] = None,
    sets: Annotated[
        list[str] | None, typer.Option("--set", help="A configuration that changes one setting: KEY=VALUE.")
    ] = None,
    report_dir: Annotated[Path, typer.Option("--out", help="Folder for the answers, report.md and plots.")] = Path(
        "sleuth-eval"
    ),
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N questions.")] = None,
    no_answer: Annotated[
        bool, typer.Option("--no-answer", help="Retrieval only (no LM): recall, not answers.")
    ] = False,
    ray: RayAddress = None,
    workers: Workers = 2,
) -> None:
    """Answer a QA set under each configuration (resumable), score every answer, write a report with plots."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from sleuth.evals.qa import check_corpus, load_questions, make_configs, run_config
    from sleuth.evals.qa_report import table, write_report
    from sleuth.evals.retrieval import corpus_collection
    from sleuth.settings import load_settings

    items = load_questions(questions)[:limit] if limit else load_questions(questions)
    check_corpus(items, corpus)
    base = load_settings()
    base.memory.enabled = False  # questions must not help each other
    if base.index.collection == "default":
        base.index.collection = corpus_collection(corpus)
    chosen = make_configs(base, list(configs or []), list(sets or []))
    report_dir.mkdir(parents=True, exist_ok=True)
    order = [{"name": c.name, "made_of": c.made_of} for c in chosen]
    (report_dir / "configs.json").write_text(json.dumps(order, indent=2) + "\n", encoding="utf-8")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err) as progress:
        for config in chosen:
            task = progress.add_task(config.name, total=len(items))
            advance = lambda n, t=task: progress.advance(t, n)  # noqa: E731
            run_config(config, items, corpus, report_dir, no_answer, advance, ray=ray, workers=workers, say=err.print)
    by = _scored(report_dir, [c.name for c in chosen], {i.id for i in items})
    notes = [f"Questions: `{questions}` ({len(items)}); corpus: `{corpus}`.", *(_made_of(c) for c in chosen)]
    path = write_report(by, report_dir, "sleuth eval qa", notes)
    out.print("\n".join(table(by, max([11, *(len(c.name) for c in chosen)]))))
    out.print(f"Report: {path}")


@eval_app.command("show")
def eval_show(folder: Annotated[Path, typer.Argument(help="A folder `sleuth eval qa --out` wrote.")]) -> None:
    """Print the table of an eval report folder in the terminal, with the paired comparisons."""
    from sleuth.evals.qa_report import compare, table

    listed = folder / "configs.json"
    names = [c["name"] for c in json.loads(listed.read_text())] if listed.is_file() else []
    runs = [p for p in sorted((folder / "runs").glob("*.jsonl")) if p.stem not in names]
    runs = [folder / "runs" / f"{n}.jsonl" for n in names if (folder / "runs" / f"{n}.jsonl").is_file()] + runs
    if not runs:
        raise SleuthError(f"{folder} holds no eval answers.", "Run: sleuth eval qa QUESTIONS --corpus CORPUS --out DIR")
    by = _scored(folder, [p.stem for p in runs], None)
    names = list(by)
    out.print("\n".join(table(by, max([11, *(len(n) for n in names)]))))
    for other in names[1:]:
        for key in ("f1", "ndcg10"):
            if line := compare(by, other, names[0], key):
                out.print(line)


def _scored(folder: Path, names: list[str], ids: set[str] | None) -> dict[str, dict[str, dict]]:
    from sleuth.evals.qa import load_rows

    by = {}
    for name in names:
        rows = load_rows(folder / "runs" / f"{name}.jsonl") if (folder / "runs" / f"{name}.jsonl").is_file() else []
        by[name] = {r["id"]: r for r in rows if ids is None or r["id"] in ids}
    return by


def _made_of(config) -> str:  # noqa: ANN001
    return f"Configuration `{config.name}`: {', '.join(config.made_of) or 'the effective settings (sleuth config)'}."
