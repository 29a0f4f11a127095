"""What every `sleuth` command shares: the Typer app, the consoles, common options, opening the agent, printing an
answer and running an ingest with its progress bar. The commands live one group per module (cli_*.py) and import
only this; tui/cli.py registers them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, NoReturn

import click
import typer
from rich.console import Console
from typer.core import TyperGroup

from sleuth.errors import SleuthError

if TYPE_CHECKING:
    from pathlib import Path

    from sleuth.agent.api import ResearchAgent
    from sleuth.schema import Answer
    from sleuth.tools.ingest import IngestReport


class _Commands(TyperGroup):
    """Every command's SleuthError becomes the same two lines (what went wrong, what to do) and exit status 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SleuthError as exc:
            _fail(exc)


def _plain_metavars() -> None:
    """Help that reads like gh's and uv's: `sleuth ask QUESTION`, `-k N`, `--out PATH`, `--collection TEXT`, never
    Typer's Python types (`{question}`, `<str>`, `<list[Path]>`). Typer has no setting for it, so its three display
    methods are replaced here, once, for every command (tests/test_cli.py reads every help page)."""
    from typer.core import TyperArgument, TyperOption

    words = {"int": "N", "int range": "N", "float": "X", "float range": "X", "path": "PATH", "file": "FILE"}

    def argument_name(self: TyperArgument) -> str:
        name = self.metavar or (self.name or "").upper()
        return name + ("..." if self.nargs != 1 else "")

    def option_type(self: TyperOption, ctx: click.Context) -> str | None:
        if self.metavar is not None or self.is_flag or self.count:
            return self.metavar
        label = self.display_type(ctx).strip("<>").removeprefix("list[").removesuffix("]").lower()
        return words.get(label, "TEXT")

    TyperArgument._usage_display_name = lambda self: (  # type: ignore[method-assign]
        argument_name(self) if self.required else f"[{argument_name(self)}]"
    )
    TyperArgument._rich_display_name = argument_name  # type: ignore[method-assign]
    TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]
    TyperOption.display_type_rich = option_type  # type: ignore[method-assign]


_plain_metavars()
app = typer.Typer(
    name="sleuth",
    cls=_Commands,
    help="Ask questions of your documents; every answer cites the passages it came from. Offline by default.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help, as gh and uv print it: QUESTION, --json, no Python types
    context_settings={"help_option_names": ["-h", "--help"]},
)
out = Console()
err = Console(stderr=True)

Collection = Annotated[str | None, typer.Option("--collection", "-c", metavar="NAME", help="Collection to use.")]
RayAddress = Annotated[
    str | None,
    typer.Option(
        "--ray",
        metavar="ADDRESS",
        help="Fan out over Ray actors: 'local' starts a cluster here, 'auto' joins this machine's, or give a "
        "cluster's address (ray://host:10001). Needs pip install 'sleuth[scale]'.",
    ),
]
Workers = Annotated[int, typer.Option("--workers", min=1, help="Ray actors (one core or GPU each).")]


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


def open_agent(collection: str | None = None) -> ResearchAgent:
    from sleuth.agent.api import ResearchAgent
    from sleuth.settings import load_settings

    settings = load_settings()
    if collection:
        settings.index.collection = collection
    return ResearchAgent(settings)


def said(text: object) -> str:
    """Text from a document, a user or an error, printed as written: its square brackets ("sleuth[scale]",
    "[openai/x]") are not markup."""
    from rich.markup import escape

    return escape(str(text))


def _fail(exc: SleuthError) -> NoReturn:
    err.print(f"[bold red]Error:[/] {said(exc.message)}")
    if exc.hint:
        err.print(f"[yellow]What to do:[/] {said(exc.hint)}")
    raise typer.Exit(2)


def run_ingest(
    agent: ResearchAgent,
    targets: list[Path],
    quiet: bool,
    prune: bool = False,
    ray: str | None = None,
    workers: int = 2,
) -> IngestReport:
    if quiet:
        return agent.ingest(targets, prune=prune, ray=ray, workers=workers)
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

        return agent.ingest(targets, on_progress=update, prune=prune, ray=ray, workers=workers)


def print_answer(answer: Answer) -> None:
    from rich.markdown import Markdown

    from sleuth.tui.render import answer_markdown

    out.print(Markdown(answer_markdown(answer, warning=False)))  # the warning once, on stderr
    if answer.error:
        err.print(f"[yellow]Warning:[/] {said(answer.error)}")
