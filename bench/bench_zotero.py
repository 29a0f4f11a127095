"""A Zotero library of 200 items (each a 2-page PDF, some with notes), written with Zotero's schema
(bench/zotero_library.py): a full ingest, an unchanged re-run, and a re-run with 3 items changed, each timed, with
how many PDFs each read. The incremental run should read only the 3 and take a fraction of the full one.

    python -m bench.bench_zotero --items 200 --out bench/results/bench_zotero.txt
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

TOPICS = ("dense retrieval", "sparse expansion", "reranking", "query rewriting", "long context", "agents")


def library_items(n: int, changed: set[int] = frozenset()) -> list:
    from bench.zotero_library import ZItem

    out = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        version = " (revised)" if i in changed else ""
        out.append(
            ZItem(
                f"I{i:07d}",
                f"Paper {i} on {topic}",
                authors=[("Ada", f"Author{i}"), ("Bo", f"Writer{i % 17}")],
                date=str(2015 + i % 10),
                venue="SIGIR" if i % 2 else "ACL",
                pages=[
                    f"Paper {i} studies {topic}{version}. It reports a gain of {i % 9 + 1} points on benchmark {i}.",
                    f"The second page of paper {i} discusses limits of {topic} and future work.",
                ],
                notes=[f"<p>Note {i}: compare with paper {i + 1}.</p>"] if i % 5 == 0 else [],
                tags=[topic.split()[0]],
                collections=["Reading"] if i % 3 == 0 else [],
                modified="2024-06-01 00:00:00" if i in changed else "2024-01-01 00:00:00",
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sleuth-bench-zotero-"))
    os.environ["SLEUTH_HOME"] = str(tmp / "home")
    import sleuth.tools.zotero as zotero
    from bench.zotero_library import write_library
    from sleuth.agent.api import ResearchAgent

    reads: list[str] = []
    real = zotero._read_pdf
    zotero._read_pdf = lambda f, d, *rest: reads.append(d) or real(f, d, *rest)
    folder = tmp / "Zotero"
    write_library(folder, library_items(args.items))
    lines = [f"Zotero library: {args.items} items, each a 2-page PDF; every fifth with a note"]
    with ResearchAgent() as agent:
        agent.embedder.embed(["warm up"])  # the embedder's load is not the ingest's
        for label, changed in (
            ("full ingest", None),
            ("re-run, nothing changed", None),
            ("re-run, 3 changed", {3, 77, 150}),
        ):
            if changed:
                write_library(folder, library_items(args.items, changed))
            reads.clear()
            started = time.perf_counter()
            report = agent.ingest_zotero(folder)
            seconds = time.perf_counter() - started
            lines.append(
                f"{label:<26} {seconds:6.2f}s  PDFs read {len(reads):3d}  documents {report.documents:3d}  "
                f"new {report.documents - report.unchanged - report.replaced:3d}  changed {report.replaced:2d}  "
                f"unchanged {report.unchanged:3d}  chunks added {report.added:3d}  failures {len(report.failures)}"
            )
            print(lines[-1], flush=True)
        chunk = agent.search("paper 77 revised", k=1)[0]
        lines.append(f"metadata on a chunk: {sorted(k for k in chunk.chunk.metadata if not k.startswith('doc_'))}")
    print(lines[-1])
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
