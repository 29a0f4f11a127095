"""`sleuth memory ...` and `sleuth feedback`: what sleuth remembers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sleuth.errors import SleuthError
from sleuth.tui.shell import app, open_agent, out, print_answer

if TYPE_CHECKING:
    from sleuth.agent.experience import Experience

memory_app = typer.Typer(
    help="What sleuth remembers: past runs, their citations and your feedback.", no_args_is_help=True
)
app.add_typer(memory_app, name="memory")
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _memory() -> Experience:
    """The memory of the configured SLEUTH_HOME, through the agent's public API (no model or index is opened)."""
    return open_agent().memory


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
def memory_list(
    limit: Annotated[int, typer.Option(min=1, help="How many runs.")] = 20, as_json: AsJson = False
) -> None:
    """The most recent runs, newest first."""
    _emit(_memory().runs(limit), as_json, _print_runs)


@memory_app.command("show")
def memory_show(
    run_id: Annotated[str, typer.Argument(help="Run id, a unique prefix, or last.")], as_json: AsJson = False
) -> None:
    """One run: question, answer, citations, steps and feedback."""
    from sleuth.schema import Answer

    run = _memory().run(run_id)
    _emit(run, as_json, lambda r: print_answer(Answer.model_validate(r["record"])))


@memory_app.command("search")
def memory_search(
    text: Annotated[str, typer.Argument(help="Words to find in past questions and answers.")],
    as_json: AsJson = False,
) -> None:
    """Full-text search over past questions and answers."""
    _emit(_memory().runs(search=text), as_json, _print_runs)


@memory_app.command("forget")
def memory_forget(
    run_id: Annotated[str, typer.Argument(help="Run id, a unique prefix, or last.")], as_json: AsJson = False
) -> None:
    """Delete a run and everything stored with it."""
    full = _memory().forget(run_id)
    _emit({"forgotten": full}, as_json, lambda d: out.print(f"Forgot run {d['forgotten']}."))


@memory_app.command("export")
def memory_export(
    file: Annotated[Path, typer.Argument(help="JSONL file to write, one run per line.")],
    as_json: AsJson = False,
) -> None:
    """Write every run (with citations and feedback) to a JSONL file."""
    runs = _memory().export()
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
    data = _memory().stats()
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
    if rating not in ("up", "down"):
        raise SleuthError(f"Rating '{rating}' is neither up nor down.", "Use: sleuth feedback RUN_ID up|down [COMMENT]")
    full = open_agent().feedback(run_id, rating, comment, citation)
    _emit(
        {"run_id": full, "rating": rating, "citation": citation},
        as_json,
        lambda d: out.print(
            f"Recorded {rating} for run {full[:12]}" + (f", source [{citation}]." if citation else ".")
        ),
    )
