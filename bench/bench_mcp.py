"""`sleuth mcp` as an MCP client meets it: the SDK's own client starts the server over stdio on the demo corpus
(bundled models), lists the tools, asks a question, then makes 20 sequential calls (search, read and ask in
turn) on the one server process, printing each call's seconds and the server's resident memory after it, then a
malformed call and the call after it.

    python -m bench.bench_mcp --home /tmp/sleuth-bench-mcp --out bench/results/bench_mcp.txt

Flat memory: the server's RSS after the last call against after the first ask (the models are loaded by then).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

QUESTIONS = (
    "What are hard negatives in dense retrieval training?",
    "How does ColBERT score a passage?",
    "What problem does query rewriting address in retrieval-augmented generation?",
    "Which papers study long-context language models against retrieval?",
)


def server_rss_mb() -> float:
    """Resident memory of this process's `sleuth mcp` child, in MB (0 if none)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and b" mcp" in cmdline:
            return int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    return 0.0


async def session(home: Path) -> list[str]:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    env = {**os.environ, "SLEUTH_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    params = StdioServerParameters(command=sys.executable, args=["-m", "sleuth.tui.cli", "mcp"], env=env)
    lines = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    async def call(name: str, arguments: dict[str, Any]) -> Any:
        started = time.perf_counter()
        result = await client.call_tool(name, arguments)
        data = result.structured_content or {}
        what = result.content[0].text[:70] if result.is_error else str(data.get("answer", data))[:70]
        say(
            f"{name:<11} {time.perf_counter() - started:6.1f}s  rss {server_rss_mb():7.0f} MB  "
            f"{'ERROR ' if result.is_error else ''}{what!r}"
        )
        return data

    async with Client(params) as client:
        started = time.perf_counter()
        tools = (await client.list_tools()).tools
        say(f"tools: {', '.join(t.name for t in tools)} ({time.perf_counter() - started:.1f}s to start and list)")
        first = await call("ask", {"question": QUESTIONS[0]})
        cited = first.get("citations") or [{}]
        say(f"first answer cites {len(first.get('citations', []))} passages; [1] = {cited[0].get('title', '')!r}")
        after_first = server_rss_mb()
        for i in range(20):
            kind = ("search", "read", "ask")[i % 3]
            if kind == "search":
                await call("search", {"query": QUESTIONS[i % 4], "k": 10})
            elif kind == "read":
                await call("read", {"doc_id": cited[0].get("doc_id", "x"), "context": 300})
            else:
                await call("ask", {"question": QUESTIONS[(i // 3) % 4]})
        last = server_rss_mb()
        grown = last - after_first
        say(f"rss after the first ask {after_first:.0f} MB, after 20 more calls {last:.0f} MB ({grown:+.0f})")
        await call("search", {"query": "x", "k": "ten"})
        await call("collections", {})
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=Path("/tmp/sleuth-bench-mcp"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    env = {**os.environ, "SLEUTH_HOME": str(args.home)}
    subprocess.run([sys.executable, "-m", "sleuth.tui.cli", "ingest", "--demo", "--quiet"], env=env, check=True)
    lines = asyncio.run(session(args.home))
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
