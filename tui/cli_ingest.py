"""`sleuth ingest`, `remove` and `collections`: what is in the collections."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sleuth.errors import SleuthError
from sleuth.locations import demo_corpus
from sleuth.tui.shell import Collection, RayAddress, Workers, app, err, open_agent, out, run_ingest, said

if TYPE_CHECKING:
    from sleuth.agent.api import ResearchAgent
    from sleuth.tools.ingest import IngestReport


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
    zotero: Annotated[
        bool,
        typer.Option(
            "--zotero",
            help="Read a Zotero library, read-only: PATHS is its data directory (default ~/Zotero). Re-running "
            "reads only added and changed items and drops deleted and trashed ones.",
        ),
    ] = False,
    zotero_collection: Annotated[
        str, typer.Option("--zotero-collection", metavar="NAME", help="With --zotero: only this Zotero collection.")
    ] = "",
    tag: Annotated[str, typer.Option("--tag", metavar="TAG", help="With --zotero: only items with this tag.")] = "",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    ray: RayAddress = None,
    workers: Workers = 2,
) -> None:
    """Read, chunk, embed and index documents. Re-running adds only what is new or changed."""
    if zotero or zotero_collection or tag:
        _ingest_zotero(paths or [], collection, zotero_collection, tag, demo)
        return
    targets = list(paths or []) + ([demo_corpus()] if demo else [])
    if not targets:
        raise SleuthError("Nothing to ingest.", "Name files or folders, or pass --demo for the bundled papers.")
    with open_agent(collection) as agent:
        _set_fields(agent, field or [])
        report = run_ingest(agent, targets, quiet, prune, ray, workers)
    _print_report(report)
    if report.failures:
        raise typer.Exit(1)


def _ingest_zotero(paths: list[Path], collection: str | None, zotero_collection: str, tag: str, demo: bool) -> None:
    if len(paths) > 1 or demo:
        raise SleuthError(
            "--zotero reads one Zotero data directory.", "Ingest other files or --demo in a run of their own."
        )
    with open_agent(collection) as agent:
        err.print("Reading the Zotero library (a copy: Zotero may stay open) ...")
        report = agent.ingest_zotero(paths[0] if paths else None, collection=zotero_collection, tag=tag)
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


def _print_report(report: IngestReport) -> None:
    new = report.documents - report.unchanged - report.replaced
    out.print(
        f"Read {report.documents:,} documents in {report.seconds:.1f}s ({report.docs_per_second:.1f}/s): "
        f"{new:,} new, {report.replaced:,} changed, {report.unchanged:,} unchanged; {report.added:,} chunks added."
    )
    if report.pruned:
        out.print(f"Pruned {len(report.pruned):,} documents whose files are gone ({report.removed_chunks:,} chunks).")
    if report.failures:
        err.print(f"[bold red]{len(report.failures)} input(s) could not be ingested:[/]")
        for failure in report.failures:
            err.print(f"  {said(failure.path)}: {said(failure.reason)}")


@app.command()
def remove(
    targets: Annotated[list[str], typer.Argument(help="Document ids, or source files or folders.")],
    collection: Collection = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Drop documents from the collection, by id or by the file or folder they came from."""
    with open_agent(collection) as agent:
        docs, chunks = agent.remove(targets)
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
def collections(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The collections in this SLEUTH_HOME (or on the Qdrant server), with document and chunk counts."""
    with open_agent() as agent:
        rows = [{"collection": c.name, "documents": c.documents, "chunks": c.chunks} for c in agent.collections()]
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
    elif not rows:
        out.print("No collections yet. Make one: sleuth ingest PATH (or sleuth ingest --demo).")
    for row in [] if as_json else rows:
        out.print(f"{row['collection']:24s} {row['documents']:>8,} documents {row['chunks']:>9,} chunks")
