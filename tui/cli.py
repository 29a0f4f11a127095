"""The `sleuth` command line: a thin shell over ResearchAgent. `--help` imports nothing heavy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, NoReturn

import click
import typer
from rich.console import Console
from typer.core import TyperGroup

from sleuth.errors import SleuthError

if TYPE_CHECKING:
    from sleuth.agent.api import ResearchAgent


class _Commands(TyperGroup):
    """Every command's SleuthError becomes the same two lines (what went wrong, what to do) and exit status 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SleuthError as exc:
            _fail(exc)


app = typer.Typer(
    name="sleuth",
    cls=_Commands,
    help="Ask questions of your documents; every answer cites the passages it came from. Offline by default.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

Collection = Annotated[str | None, typer.Option("--collection", "-c", help="Collection to use.")]
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


def _agent(collection: str | None = None) -> ResearchAgent:
    from sleuth.agent.api import ResearchAgent
    from sleuth.settings import load_settings

    settings = load_settings()
    if collection:
        settings.index.collection = collection
    return ResearchAgent(settings)


def _fail(exc: SleuthError) -> NoReturn:
    err.print(f"[bold red]Error:[/] {exc.message}")
    if exc.hint:
        err.print(f"[yellow]What to do:[/] {exc.hint}")
    raise typer.Exit(2)


def main() -> None:
    app()


# The commands, one module per group; each registers itself on `app`.
from sleuth.tui import cli_ask, cli_eval, cli_ingest, cli_memory  # noqa: E402, F401

if __name__ == "__main__":
    main()
