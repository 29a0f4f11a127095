"""How well the LLM-free question-shape cues say which questions ask for several things (and so get a plan).

    python -m bench.bench_shape --data ../shared/data/hotpotqa-train100 --data ../shared/data/musique-train100 \
        --data bench/data/demo_questions.jsonl

Gold labels: HotpotQA's own `type` (comparison = several things; bridge = one thing found through another);
MuSiQue's questions are chains of hops (one thing asked; no question there is labelled a comparison); the demo
questions carry a `shape` written with them. The cues were written looking at HotpotQA train100 (say so beside its
figure); MuSiQue and the demo questions were not used to write them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sleuth.agent.loop.shape import question_shape
from sleuth.evals.beir import iter_jsonl


def gold(row: dict) -> bool:
    if "type" in row:
        return row["type"] == "comparison"
    if "shape" in row:
        return row["shape"] == "multi"
    return False  # MuSiQue: chains of hops, each asking for one thing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, action="append", required=True)
    args = parser.parse_args()
    print(f"{'set':22s} {'questions':>9s} {'accuracy':>8s} {'multi-part':>10s} {'precision':>9s} {'recall':>6s}")
    for data in args.data:
        rows = list(iter_jsonl(data if data.is_file() else data / "questions.jsonl"))
        said = [question_shape(r["question"]).multi_part for r in rows]
        truth = [gold(r) for r in rows]
        tp = sum(s and t for s, t in zip(said, truth, strict=True))
        accuracy = sum(s == t for s, t in zip(said, truth, strict=True)) / len(rows)
        precision = tp / sum(said) if sum(said) else float("nan")
        recall = tp / sum(truth) if sum(truth) else float("nan")
        name = data.stem if data.is_file() else data.name
        print(f"{name:22s} {len(rows):9d} {accuracy:8.2f} {sum(truth):10d} {precision:9.2f} {recall:6.2f}")
        for row, s, t in zip(rows, said, truth, strict=True):
            if s != t:
                print(f"    {'missed' if t else 'false alarm'}: {row['question'][:110]}")


if __name__ == "__main__":
    main()
