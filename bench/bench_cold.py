"""Where a cold `sleuth ask` goes (#35 item 9): the README's first answer in a fresh process, against the same
question in a warm one, with the parts of the start measured on their own.

    python -m bench.bench_cold --out bench/results/bench_cold.txt

In a fresh SLEUTH_HOME holding the ingested demo corpus: (1) `import sleuth.tui.cli` (what --help costs); (2) a
process that only opens the models (embedder and LLM, side by side) and the index; (3) the README's `sleuth ask`
as a user runs it, first in the new home (no saved prompt state) and then again (the state the first one saved is
restored); (4) the same question asked twice in one process (the warm figure). Wall seconds of each process, from
its start to its exit, and the agent's own seconds for the answers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTION = "How do hybrid retrievers combine sparse BM25 and dense embeddings?"  # the README's first question
OPEN = (
    "import time; t = time.perf_counter()\n"
    "from sleuth.agent.api import ResearchAgent\n"
    "a = ResearchAgent(); i = time.perf_counter(); a.warm_up(); m = time.perf_counter(); a.index.count()\n"
    "print(f'{i - t:.2f} {m - i:.2f} {time.perf_counter() - m:.2f}')"
)
WARM = (
    "import json, sys, time\nfrom sleuth.agent.api import ResearchAgent\na = ResearchAgent()\n"
    "for _ in range(2):\n    t = time.perf_counter(); ans = a.ask(sys.argv[1])\n"
    "    print(json.dumps({'wall': time.perf_counter() - t, 'calls': ans.usage.llm_calls}))"
)


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="sleuth-bench-cold-"))
    env = {**os.environ, "SLEUTH_HOME": str(home), "HF_HUB_OFFLINE": "1", "SLEUTH_MEMORY__ENABLED": "false"}
    sleuth = str(Path(sys.executable).with_name("sleuth"))
    subprocess.run([sleuth, "ingest", "--demo", "--quiet"], env=env, check=True, capture_output=True)
    lines = [f"cold start, {QUESTION!r} (memory off, so no answer is reused)"]

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    seconds, _ = timed([sys.executable, "-c", "import sleuth.tui.cli"], env)
    say(f"import sleuth.tui.cli (sleuth --help)          {seconds:6.1f} s")
    seconds, printed = timed([sys.executable, "-c", OPEN], env)
    imports, models, index = (float(x) for x in printed.split())
    say(
        f"open only: imports {imports:.1f} s, embedder + LLM {models:.1f} s, index {index:.1f} s; "
        f"process {seconds:.1f} s"
    )
    for label in ("first sleuth ask in a new home (no saved prompt state)", "second sleuth ask (state restored)"):
        seconds, printed = timed([sleuth, "ask", QUESTION, "--json"], env)
        answer = json.loads(printed)
        say(
            f"{label:<55} process {seconds:6.1f} s, answer {answer['seconds']:5.1f} s, "
            f"{answer['usage']['llm_calls']} LM calls"
        )
    seconds, printed = timed([sys.executable, "-c", WARM, QUESTION], env)
    first, second = (json.loads(line) for line in printed.splitlines()[-2:])
    say(f"one process, asked twice: {first['wall']:.1f} s then {second['wall']:.1f} s (warm); process {seconds:.1f} s")
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
