"""Load: a long `sleuth batch --no-answer` run, its throughput and whether its memory stays bounded.

    python -m bench.bench_load --questions 10000 --out bench/results/bench_load.txt

The collection is HotpotQA train100's corpus (ingested into a temporary SLEUTH_HOME); the questions are the
HotpotQA and MuSiQue train100 questions repeated, each repetition with its own id, so the batch does the work of
`--questions` distinct lines. The batch runs as the command a user types, in a child process; its resident memory
(VmRSS from /proc) is sampled twice a second against the lines written so far. Printed: questions per second, the
peak RSS, and the RSS after the first tenth of the questions against the last (flat when memory is bounded).
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

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def write_questions(path: Path, count: int, data: Path) -> None:
    pool = []
    for name in ("hotpotqa-train100", "musique-train100"):
        pool += [json.loads(line)["question"] for line in (data / name / "questions.jsonl").open()]
    with path.open("w") as handle:
        for i in range(count):
            handle.write(json.dumps({"id": f"q{i}", "question": pool[i % len(pool)]}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, help="Also write the report here.")
    args = parser.parse_args()
    sleuth = str(Path(sys.executable).parent / "sleuth")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        env = {**os.environ, "SLEUTH_HOME": str(home), "SLEUTH_MEMORY__ENABLED": "false"}
        corpus = args.data / "hotpotqa-train100" / "corpus.jsonl"
        subprocess.run([sleuth, "ingest", str(corpus)], env=env, check=True, capture_output=True)
        questions, out = Path(tmp) / "questions.jsonl", Path(tmp) / "evidence.jsonl"
        write_questions(questions, args.questions, args.data)
        command = [sleuth, "batch", str(questions), "--out", str(out), "--no-answer"]
        command += ["--concurrency", str(args.concurrency)]
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        samples: list[tuple[float, int, float]] = []  # seconds, lines written, RSS MB
        while child.poll() is None:
            samples.append((time.perf_counter() - started, _lines(out), _rss_mb(child.pid)))
            time.sleep(0.5)
        seconds = time.perf_counter() - started
        if child.returncode:
            raise SystemExit(f"sleuth batch failed: {child.stderr.read() if child.stderr else ''}")
        done = _lines(out)
    rss = [s for s in samples if s[2] > 0]
    first = next((mb for _, n, mb in rss if n >= args.questions // 10), 0.0)
    last = rss[-1][2] if rss else 0.0
    working = [s for s in rss if s[1] > 0]
    busy = (working[-1][0] - working[0][0]) if len(working) > 1 else seconds
    rate = (working[-1][1] - working[0][1]) / busy if len(working) > 1 and busy else done / seconds
    report = [
        f"sleuth batch --no-answer --concurrency {args.concurrency}: {done:,} questions over HotpotQA train100's "
        f"corpus, {seconds:.0f} s in all (start-up and model load included)",
        f"  questions/s once answering: {rate:.1f}",
        f"  peak RSS: {max((s[2] for s in rss), default=0):.0f} MB",
        f"  RSS after {args.questions // 10:,} questions: {first:.0f} MB; at the end: {last:.0f} MB",
        "  (seconds, lines written, RSS MB) every ~10% of the run:",
    ]
    step = max(len(rss) // 10, 1)
    report += [f"    {t:7.0f} {n:7d} {mb:7.0f}" for t, n, mb in rss[::step]]
    text = "\n".join(report)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
