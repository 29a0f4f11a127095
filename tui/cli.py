"""The `sleuth` command line: a thin shell over ResearchAgent. `--help` imports nothing heavy."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from sleuth.errors import ConfigError, SleuthError

if TYPE_CHECKING:
    from sleuth.agent.api import ResearchAgent
    from sleuth.schema import Answer, Step
    from sleuth.tools.ingest import IngestReport

app = typer.Typer(
    name="sleuth",
    help="Ask questions of your documents; every answer cites the passages it came from. Offline by default.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

Collection = Annotated[str | None, typer.Option("--collection", "-c", help="Collection to use.")]


def _version(value: bool) -> None:
    if value:
        from sleuth import __version__

        out.print(f"sleuth {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Ask questions of your documents; every answer cites the passages it came from. Offline by default."""


def demo_corpus() -> Path:
    """The 260 retrieval/RAG paper abstracts that ship with sleuth."""
    return Path(str(resources.files("sleuth.tools") / "data" / "papers.jsonl"))


def _agent(collection: str | None = None) -> ResearchAgent:
    from sleuth.agent.api import ResearchAgent
    from sleuth.settings import load_settings

    settings = load_settings()
    if collection:
        settings.index.collection = collection
    return ResearchAgent(settings)


def _fail(exc: SleuthError) -> None:
    err.print(f"[bold red]Error:[/] {exc.message}")
    if exc.hint:
        err.print(f"[yellow]What to do:[/] {exc.hint}")
    raise typer.Exit(2)


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders: .pdf .docx .html .md .txt, BEIR .jsonl, records in .jsonl/.csv."),
    ] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Ingest the bundled demo corpus of paper abstracts.")] = False,
    collection: Collection = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Also drop documents whose files under PATHS are gone.")
    ] = False,
    field: Annotated[
        list[str] | None,
        typer.Option(
            "--field",
            help="Where JSONL/CSV records keep their parts: id=KEY, title=KEY, text=KEY, meta=KEY[,KEY...].",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Read, chunk, embed and index documents. Re-running adds only what is new or changed."""
    targets = list(paths or []) + ([demo_corpus()] if demo else [])
    if not targets:
        _fail(SleuthError("Nothing to ingest.", "Name files or folders, or pass --demo for the bundled papers."))
    try:
        with _agent(collection) as agent:
            _set_fields(agent, field or [])
            report = _run_ingest(agent, targets, quiet, prune)
    except SleuthError as exc:
        _fail(exc)
    _print_report(report)
    if report.failures:
        raise typer.Exit(1)


def _set_fields(agent: ResearchAgent, specs: list[str]) -> None:
    opts = agent.settings.index
    for spec in specs:
        key, _, value = spec.partition("=")
        if key not in ("id", "title", "text", "meta") or not value.strip():
            raise SleuthError(
                f"--field '{spec}' is not KEY=NAME with KEY one of id, title, text, meta.",
                "Example: --field text=abstract --field id=pmid --field meta=year,journal",
            )
        if key == "meta":
            opts.metadata_fields = [*opts.metadata_fields, *(v.strip() for v in value.split(",") if v.strip())]
        else:
            setattr(opts, f"{key}_field", value.strip())


def _run_ingest(agent: ResearchAgent, targets: list[Path], quiet: bool, prune: bool = False) -> IngestReport:
    if quiet:
        return agent.ingest(targets, prune=prune)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from sleuth.tools.readers import estimate_documents

    total = estimate_documents(targets)
    columns = (
        TextColumn("ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("documents · {task.fields[rate]:.1f} docs/s · {task.fields[chunks]:,} chunks · ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("ingest", total=total or None, rate=0.0, chunks=0)

        def update(report: IngestReport) -> None:
            bar.update(
                task,
                completed=report.documents,
                total=max(total, report.documents) or None,
                rate=report.docs_per_second,
                chunks=report.chunks,
            )

        return agent.ingest(targets, on_progress=update, prune=prune)


def _print_report(report: IngestReport) -> None:
    out.print(
        f"Ingested {report.documents:,} documents in {report.seconds:.1f}s ({report.docs_per_second:.1f}/s): "
        f"{report.added:,} new chunks; {report.unchanged:,} documents unchanged, {report.replaced:,} changed."
    )
    if report.pruned:
        out.print(f"Pruned {len(report.pruned):,} documents whose files are gone ({report.removed_chunks:,} chunks).")
    if report.failures:
        err.print(f"[bold red]{len(report.failures)} input(s) could not be ingested:[/]")
        for failure in report.failures:
            err.print(f"  {failure.path}: {failure.reason}")


@app.command()
def remove(
    targets: Annotated[list[str], typer.Argument(help="Document ids, or source files or folders.")],
    collection: Collection = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Drop documents from the collection, by id or by the file or folder they came from."""
    try:
        with _agent(collection) as agent:
            docs, chunks = agent.remove(targets)
    except SleuthError as exc:
        _fail(exc)
    if as_json:
        sys.stdout.write(json.dumps({"removed": docs, "chunks": chunks}) + "\n")
    elif docs:
        out.print(f"Removed {len(docs):,} documents ({chunks:,} chunks).")
    else:
        err.print(
            "Nothing matched: no document has that id or comes from that path. "
            "`sleuth search --json` shows document ids and sources."
        )
    if not docs:
        raise typer.Exit(1)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the Answer object as JSON.")] = False,
    collection: Collection = None,
) -> None:
    """Research a question in the collection and answer it with citations (streamed as it is written)."""
    try:
        with _agent(collection) as agent:
            answer = _ask_live(agent, question) if out.is_terminal and not as_json else _ask_quietly(agent, question)
    except SleuthError as exc:
        _fail(exc)
    if as_json:
        sys.stdout.write(json.dumps(answer.record(), ensure_ascii=False, indent=2) + "\n")
    else:
        _print_answer(answer)
    if answer.error and not answer.answer:
        raise typer.Exit(1)


def _ask_quietly(agent: ResearchAgent, question: str) -> Answer:
    """Progress on stderr; the answer is printed once, whole (for pipes and --json)."""
    from sleuth.schema import STEP_WORDS

    with err.status("loading models...") as status:

        def show(step: Step) -> None:
            status.update(f"{STEP_WORDS.get(step.kind, step.kind)} in {step.seconds:.1f}s; working...")

        return agent.ask(question, on_step=show)


def _ask_live(agent: ResearchAgent, question: str) -> Answer:
    """The answer's text as the LM writes it, under a line saying what the agent is doing; then the checked answer
    replaces it (verification may drop a sentence or renumber its sources)."""
    from rich.console import Group
    from rich.live import Live
    from rich.spinner import Spinner
    from rich.text import Text

    from sleuth.schema import STEP_WORDS, AnswerToken

    state = {"status": "loading models...", "text": "", "draft": 1}

    def view() -> Group:
        return Group(Text(str(state["text"])), Spinner("dots", text=Text(str(state["status"]), style="dim")))

    with Live(view(), console=out, transient=True, refresh_per_second=12) as live:

        def show(step: Step) -> None:
            state["status"] = f"{STEP_WORDS.get(step.kind, step.kind)} in {step.seconds:.1f}s; working..."
            if step.kind == "search":
                state["status"] = "writing the answer..."
            live.update(view())

        def token(piece: AnswerToken) -> None:
            if piece.draft != state["draft"]:
                state["text"], state["draft"] = "", piece.draft
            state["text"] = str(state["text"]) + piece.text
            live.update(view())

        return agent.ask(question, on_step=show, on_token=token)


def _print_answer(answer: Answer) -> None:
    from rich.markdown import Markdown

    from sleuth.tui.render import answer_markdown

    out.print(Markdown(answer_markdown(answer)))
    if answer.error:
        err.print(f"[yellow]Warning:[/] {answer.error}")


@app.command()
def chat(collection: Collection = None) -> None:
    """Open the terminal chat: ask, read the cited answer, ask again."""
    from sleuth.tui.app import SleuthApp

    try:
        with _agent(collection) as agent:
            SleuthApp(agent).run()
    except SleuthError as exc:
        _fail(exc)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to search for.")],
    k: Annotated[int, typer.Option("-k", help="How many passages.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print hits as JSON.")] = False,
    filters: Annotated[list[str] | None, typer.Option("--filter", help="field=value, repeatable.")] = None,
    collection: Collection = None,
) -> None:
    """Hybrid search (dense + BM25) without the LM: ranked passages with scores and sources."""
    try:
        parsed = _parse_filters(filters or [])
        with _agent(collection) as agent:
            hits = agent.search(query, k=k, filters=parsed)
    except SleuthError as exc:
        _fail(exc)
    if as_json:
        rows = [{"rank": i, "score": h.score, **h.chunk.model_dump()} for i, h in enumerate(hits, 1)]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    for i, hit in enumerate(hits, 1):
        out.print(f"[cyan]{i:>2}[/] {hit.score:.4f} [bold]{hit.chunk.title}[/] [dim]({hit.doc_id})[/]")
        out.print(f"    {' '.join(hit.chunk.text.split())[:200]}")


def _parse_filters(filters: list[str]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for item in filters:
        field, sep, value = item.partition("=")
        if not sep or not field.strip():
            raise SleuthError(f"Filter '{item}' is not field=value.", "Write it like --filter doc_id=abc123.")
        parsed[field.strip()] = value.strip()
    return parsed


@app.command()
def collections(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The collections in this SLEUTH_HOME (or on the Qdrant server), with document and chunk counts."""
    from sleuth.settings import load_settings
    from sleuth.tools.index import collection_names, open_index

    try:
        settings = load_settings()
        rows = []
        for name in collection_names(settings):
            index = open_index(settings, name)
            try:
                rows.append({"collection": name, "documents": index.document_count(), "chunks": index.count()})
            finally:
                index.close()
    except SleuthError as exc:
        _fail(exc)
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
    elif not rows:
        out.print("No collections yet. Make one: sleuth ingest PATH (or sleuth ingest --demo).")
    for row in [] if as_json else rows:
        out.print(f"{row['collection']:24s} {row['documents']:>8,} documents {row['chunks']:>9,} chunks")


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
def batch(
    questions: Annotated[Path, typer.Argument(help='JSONL, one {"id", "question"} per line.')],
    answers: Annotated[Path, typer.Option("--out", help="Answers JSONL; re-running skips ids already in it.")],
    no_answer: Annotated[bool, typer.Option("--no-answer", help="Evidence search only, no LM.")] = False,
    concurrency: Annotated[int, typer.Option(help="Questions in flight at once.")] = 1,
    collection: Collection = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Answer a file of questions, one output line per question, resumable after an interruption."""
    from sleuth.agent.batch import read_questions, run_batch

    try:
        total = sum(1 for item in read_questions(questions) if not isinstance(item, str))
        with _agent(collection) as agent:
            if quiet:
                report = run_batch(agent, questions, answers, no_answer=no_answer, concurrency=concurrency)
            else:
                from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

                with Progress(BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err) as bar:
                    task = bar.add_task("questions", total=total)
                    report = run_batch(
                        agent,
                        questions,
                        answers,
                        no_answer=no_answer,
                        concurrency=concurrency,
                        on_done=lambda r: bar.update(task, completed=r.skipped + r.answered + r.failed),
                    )
    except SleuthError as exc:
        _fail(exc)
    out_msg = f"{report.answered} answered, {report.failed} failed, {report.skipped} already in {answers}"
    console = err if report.failed or report.problems else out
    console.print(out_msg)
    for problem in report.problems:
        err.print(f"  {problem}")
    if report.failed or report.problems:
        raise typer.Exit(1)


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


memory_app = typer.Typer(
    help="What sleuth remembers: past runs, their citations and your feedback.", no_args_is_help=True
)
app.add_typer(memory_app, name="memory")
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _store() -> Any:
    from sleuth.memory.store import open_store
    from sleuth.settings import load_settings

    return open_store(load_settings().home_dir / "memory.db")


def _emit(data: Any, as_json: bool, render: Any) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        render(data)


def _print_runs(rows: list[dict[str, Any]]) -> None:
    import datetime as dt

    from rich.markup import escape

    if not rows:
        out.print("[dim]No runs in memory.[/]")
    for r in rows:
        when = dt.datetime.fromtimestamp(r["created"]).strftime("%Y-%m-%d %H:%M")
        rating = r.get("rating")
        mark = "" if rating is None else (" [green]+[/]" if rating > 0 else " [red]-[/]")
        out.print(f"[cyan]{r['id'][:12]}[/] {when}{mark} {escape(r['question'][:90])}")


@memory_app.command("list")
def memory_list(limit: Annotated[int, typer.Option(help="How many runs.")] = 20, as_json: AsJson = False) -> None:
    """The most recent runs, newest first."""
    from sleuth.memory.store import list_runs

    try:
        _emit(list_runs(_store(), limit), as_json, _print_runs)
    except SleuthError as exc:
        _fail(exc)


@memory_app.command("show")
def memory_show(
    run_id: Annotated[str, typer.Argument(help="Run id, a unique prefix, or last.")], as_json: AsJson = False
) -> None:
    """One run: question, answer, citations, steps and feedback."""
    from sleuth.memory.store import get_run
    from sleuth.schema import Answer

    try:
        run = get_run(_store(), run_id)
    except SleuthError as exc:
        _fail(exc)
    _emit(run, as_json, lambda r: _print_answer(Answer.model_validate(r["record"])))


@memory_app.command("search")
def memory_search(
    text: Annotated[str, typer.Argument(help="Words to find in past questions and answers.")],
    as_json: AsJson = False,
) -> None:
    """Full-text search over past questions and answers."""
    from sleuth.memory.store import search_runs

    try:
        _emit(search_runs(_store(), text), as_json, _print_runs)
    except SleuthError as exc:
        _fail(exc)


@memory_app.command("forget")
def memory_forget(
    run_id: Annotated[str, typer.Argument(help="Run id, a unique prefix, or last.")], as_json: AsJson = False
) -> None:
    """Delete a run and everything stored with it."""
    from sleuth.memory.store import forget_run

    try:
        full = forget_run(_store(), run_id)
    except SleuthError as exc:
        _fail(exc)
    _emit({"forgotten": full}, as_json, lambda d: out.print(f"Forgot run {d['forgotten']}."))


@memory_app.command("export")
def memory_export(
    file: Annotated[Path, typer.Argument(help="JSONL file to write, one run per line.")],
    as_json: AsJson = False,
) -> None:
    """Write every run (with citations and feedback) to a JSONL file."""
    from sleuth.memory.store import export_runs

    try:
        runs = export_runs(_store())
    except SleuthError as exc:
        _fail(exc)
    file.parent.mkdir(parents=True, exist_ok=True)
    with file.open("w", encoding="utf-8") as handle:
        for run in runs:
            handle.write(json.dumps(run, ensure_ascii=False, default=str) + "\n")
    _emit(
        {"runs": len(runs), "file": str(file)},
        as_json,
        lambda d: out.print(f"Exported {d['runs']} runs to {d['file']}."),
    )


@memory_app.command("stats")
def memory_stats(as_json: AsJson = False) -> None:
    """Counts: runs, LM calls, tokens, citations, feedback."""
    from sleuth.memory.store import stats

    try:
        data = stats(_store())
    except SleuthError as exc:
        _fail(exc)
    _emit(data, as_json, lambda d: out.print("\n".join(f"{k}: {v}" for k, v in d.items())))


@app.command()
def feedback(
    run_id: Annotated[str, typer.Argument(help="Run id, a unique prefix (shown after each answer), or last.")],
    rating: Annotated[str, typer.Argument(help="up or down")],
    comment: Annotated[str, typer.Argument(help="Optional comment.")] = "",
    citation: Annotated[
        int | None, typer.Option("--citation", "-n", help="Rate only the source cited as [N] in that answer.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Rate an answer or one of its sources. Answers rated down are not reused; sources rated down are left out
    of later evidence (a rated answer's sources for similar questions, a rated citation's source everywhere)."""
    from sleuth.memory.store import add_feedback

    if rating not in ("up", "down"):
        _fail(
            SleuthError(f"Rating '{rating}' is neither up nor down.", "Use: sleuth feedback RUN_ID up|down [COMMENT]")
        )
    try:
        full = add_feedback(_store(), run_id, 1 if rating == "up" else -1, comment, citation)
    except SleuthError as exc:
        _fail(exc)
    _emit(
        {"run_id": full, "rating": rating, "citation": citation},
        as_json,
        lambda d: out.print(
            f"Recorded {rating} for run {full[:12]}" + (f", source [{citation}]." if citation else ".")
        ),
    )


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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
