"""`sleuth ask`, `search`, `chat` and `batch`: asking the collection."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sleuth.errors import SleuthError
from sleuth.tools.text import inert
from sleuth.tui.shell import Collection, RayAddress, Workers, app, err, open_agent, out, print_answer, said

if TYPE_CHECKING:
    from sleuth.agent.api import ResearchAgent
    from sleuth.schema import Answer, Step


DEGRADED = 3  # `sleuth ask` answered, but not as asked: a script can tell (README, "Exit status")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the Answer object as JSON (= --format json).")] = False,
    form: Annotated[
        str,
        typer.Option(
            "--format",
            metavar="FORMAT",
            help="text (the screen's), markdown (to paste: the answer and numbered references), bibtex (the "
            "cited works) or json.",
        ),
    ] = "text",
    report: Annotated[
        bool, typer.Option("--report", help="A report: an overview and a section per aspect of the evidence.")
    ] = False,
    markdown: Annotated[
        Path | None, typer.Option("--markdown", metavar="FILE", help="Also write it as Markdown with its references.")
    ] = None,
    collection: Collection = None,
) -> None:
    """Research a question in the collection and answer it with citations (streamed as it is written)."""
    if form not in FORMATS:
        raise SleuthError(f"There is no format '{form}'.", f"Use one of: {', '.join(FORMATS)}.")
    form = "json" if as_json else form
    at_end = form != "text"  # every format but the screen's prints once, at the end, for a pipe or a file
    with open_agent(collection) as agent:
        if report:
            answer = (
                _report_live(agent, question) if out.is_terminal and not at_end else _ask_quietly(agent, question, True)
            )
        else:
            answer = _ask_live(agent, question) if out.is_terminal and not at_end else _ask_quietly(agent, question)
    if at_end:
        sys.stdout.write(formatted(answer, form))
    elif not (report and out.is_terminal):  # a live report has been printed section by section
        print_answer(answer)
    if markdown is not None:
        from sleuth.tui.render import report_markdown

        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(report_markdown(answer), encoding="utf-8")
        err.print(f"Wrote {markdown}.")
    if answer.error and not answer.answer:
        raise typer.Exit(1)
    if answer.error:  # answered, but degraded: the LM failed or ran out of time (the answer is the evidence's)
        raise typer.Exit(DEGRADED)


FORMATS = ("text", "markdown", "bibtex", "json")


def formatted(answer: Answer, form: str) -> str:
    from sleuth.tui.render import bibtex, report_markdown

    if form == "markdown":
        return report_markdown(answer)
    if form == "bibtex":
        return bibtex(answer)
    return json.dumps(answer.record(), ensure_ascii=False, indent=2) + "\n"


def _ask_quietly(agent: ResearchAgent, question: str, report: bool = False) -> Answer:
    """Progress on stderr; the answer (or report) is printed once, whole (for pipes and --json)."""
    from sleuth.schema import STEP_WORDS

    with err.status("loading models...") as status:

        def show(step: Step) -> None:
            status.update(f"{STEP_WORDS.get(step.kind, step.kind)} in {step.seconds:.1f}s; working...")

        return agent.report(question, on_step=show) if report else agent.ask(question, on_step=show)


def _report_live(agent: ResearchAgent, question: str) -> Answer:
    """A report printed as it is written: the overview, then each section as soon as it is checked, then the
    sources; a status line on stderr says what the agent is doing meanwhile."""
    from rich.markdown import Markdown

    from sleuth.schema import STEP_WORDS
    from sleuth.tui.render import cost_line, sources_markdown

    with err.status("loading models...") as status:

        def show(step: Step) -> None:
            if step.kind == "section":
                title = str(step.detail.get("title") or "")
                out.print(Markdown((f"## {title}\n\n" if title else "") + str(step.detail.get("text") or "")))
            status.update(f"{STEP_WORDS.get(step.kind, step.kind)} in {step.seconds:.1f}s; writing the report...")

        report = agent.report(question, on_step=show)
    out.print(Markdown(f"{sources_markdown(report)}\n\n_{cost_line(report)}_"))
    if report.error:
        err.print(f"[yellow]Warning:[/] {said(report.error)}")
    return report


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


@app.command()
def chat(collection: Collection = None) -> None:
    """Open the terminal chat: ask, read the cited answer, ask again."""
    from sleuth.tui.app import SleuthApp

    with open_agent(collection) as agent:
        SleuthApp(agent).run()


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to search for.")],
    k: Annotated[int, typer.Option("-k", min=1, max=1000, help="How many passages.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print hits as JSON.")] = False,
    filters: Annotated[list[str] | None, typer.Option("--filter", help="field=value, repeatable.")] = None,
    collection: Collection = None,
) -> None:
    """Hybrid search (dense + BM25) without the LM: ranked passages with scores and sources."""
    parsed = _parse_filters(filters or [])
    with open_agent(collection) as agent:
        hits = agent.search(query, k=k, filters=parsed)
    if as_json:
        rows = [{"rank": i, "score": h.score, **h.chunk.model_dump()} for i, h in enumerate(hits, 1)]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    for i, hit in enumerate(hits, 1):
        out.print(
            f"[cyan]{i:>2}[/] {hit.score:.4f} [bold]{said(inert(hit.chunk.title))}[/] [dim]({said(hit.doc_id)})[/]"
        )
        out.print(f"    {said(inert(hit.chunk.text)[:200])}")


def _parse_filters(filters: list[str]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for item in filters:
        field, sep, value = item.partition("=")
        if not sep or not field.strip():
            raise SleuthError(f"Filter '{item}' is not field=value.", "Write it like --filter doc_id=abc123.")
        if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", field.strip()):
            raise SleuthError(
                f"Filter field {field.strip()!r} is not a metadata field name (letters, digits, _ . -).",
                "Write it like --filter year=2021 or --filter doc_id=abc123.",
            )
        parsed[field.strip()] = value.strip()
    return parsed


@app.command()
def batch(
    questions: Annotated[Path, typer.Argument(help='JSONL, one {"id", "question"} per line.')],
    answers: Annotated[Path, typer.Option("--out", help="Answers JSONL; re-running skips ids already in it.")],
    no_answer: Annotated[bool, typer.Option("--no-answer", help="Evidence search only, no LM.")] = False,
    concurrency: Annotated[int, typer.Option(min=1, help="Questions in flight at once.")] = 1,
    collection: Collection = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    ray: RayAddress = None,
    workers: Workers = 2,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Ask again the questions whose line in --out is a failure.")
    ] = False,
    report: Annotated[bool, typer.Option("--report", help="A report per question (overview and sections).")] = False,
) -> None:
    """Answer a file of questions, one output line per question, resumable after an interruption."""
    from sleuth.agent.batch import read_questions, run_batch

    total = sum(1 for item in read_questions(questions) if not isinstance(item, str))
    spread = {"no_answer": no_answer, "concurrency": concurrency, "ray": ray, "workers": workers, "say": err.print}
    spread |= {"retry_failed": retry_failed, "reports": report}
    with open_agent(collection) as agent:
        if quiet:
            report = run_batch(agent, questions, answers, **spread)
        else:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            with Progress(BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err) as bar:
                task = bar.add_task("questions", total=total)
                report = run_batch(
                    agent,
                    questions,
                    answers,
                    **spread,
                    on_done=lambda r: bar.update(task, completed=r.skipped + r.answered + r.failed),
                )
    out_msg = f"{report.answered} answered, {report.failed} failed, {report.skipped} already in {answers}"
    console = err if report.failed or report.problems else out
    console.print(out_msg)
    for problem in report.problems:
        err.print(f"  {said(problem)}")
    if report.failed or report.problems:
        raise typer.Exit(1)
