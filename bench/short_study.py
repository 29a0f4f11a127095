"""Study: the short answer asked for on its own, from the answer's sentences, against the one written with them.

    python -m bench.short_study bench/results/bench_agent_bounded --data ../shared/data/hotpotqa-train100 \
        --data ../shared/data/musique-train100 --out bench/results/short_study

The draft writes its sentences and, in the same JSON, "the answer in a few words"; a 1.5B model often writes a
sentence there, which `agent/checks/short.py` cuts without an LM. Here each stored adaptive answer's sentences (markers
and the "do not answer" notes removed) are given, with the question, to an `AnswerPhrase` signature alone, and its
phrase is tidied the same way. (The agent asks in a follow-up turn of the draft's own conversation instead,
`agent/loop/phrase.py`: the separate prompt measured here costs ~340 uncached tokens a call.)
Printed per set: F1 and EM of the stored short answer and of the new one, and the
paired comparison (wins, losses, mean difference with a 95% bootstrap interval), for every answer and for the
answers whose drafted short answer was longer than three words (a gate that would spend the call only there).
Resumable: rows go to `<out>/<set>.jsonl`.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

NOTES = re.compile(r"\s*The (?:cited passages do not answer|collection does not say):.*$", re.S)
MARKERS = re.compile(r"\s*\[\d+\]")
GATE_WORDS = 3


def statements(answer: str) -> str:
    """An answer's sentences as the LM stated them: without markers and without the notes the loop appends."""
    return MARKERS.sub("", NOTES.sub("", answer)).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=Path, help="A bench_agent output folder.")
    parser.add_argument("--data", type=Path, action="append", default=[])
    parser.add_argument("--out", type=Path, default=Path("bench/results/short_study"))
    parser.add_argument("--home", type=Path, default=Path("/tmp/sleuth-bench-agent"))
    parser.add_argument("--limit", type=int, default=60)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    predict = None
    for data in args.data:
        name = data.name
        questions = {q["id"]: q for q in map(json.loads, (data / "questions.jsonl").read_text().splitlines())}
        rows = [r for r in map(json.loads, (args.rows / f"{name}.jsonl").read_text().splitlines())]
        rows = [r for r in rows if r["system"] == "adaptive"][: args.limit]
        out = args.out / f"{name}.jsonl"
        done = {json.loads(line)["id"] for line in out.read_text().splitlines()} if out.exists() else set()
        for row in rows:
            if row["id"] in done:
                continue
            if predict is None:
                predict = _predictor(args.home)
            q = questions[row["id"]]
            said = statements(row["answer"])
            started = time.perf_counter()
            phrase = predict(q["question"], said) if row["cited"] else "unknown"
            result = {
                "id": row["id"],
                "question": q["question"],
                "gold": q["answers"],
                "stored": row["short"],
                "drafted": (row.get("drafted_short") or [""])[-1],
                "new": phrase,
                "seconds": round(time.perf_counter() - started, 2),
            }
            with out.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(result, ensure_ascii=False) + "\n")
            print(f"[{name}] {result['new']!r:40.40} was {result['stored']!r:40.40} gold {q['answers'][0]!r:.30}")
        print(summary(out))


def _predictor(home: Path):
    import dspy

    from sleuth.agent.checks.short import tidy_short_answer
    from sleuth.agent.llm.lm import build_lm
    from sleuth.prompts.bounded import Phrase, whole_words
    from sleuth.settings import Settings

    class AnswerPhrase(dspy.Signature):
        """Give the answer to the question that the statements state, in as few words as possible: the name, date,
        number, place, yes or no, or short phrase itself, copied from the statements, not a sentence about it. If
        the statements do not answer the question, give "unknown"."""

        question: str = dspy.InputField()
        statements: str = dspy.InputField(desc="the answer's sentences")
        short_answer: Phrase = dspy.OutputField(desc="the answer in a few words, or unknown")

    lm = build_lm(Settings(home=home))
    ask = dspy.Predict(AnswerPhrase)

    def predict(question: str, said: str) -> str:
        with dspy.context(lm=lm, adapter=dspy.JSONAdapter()):
            raw = whole_words(str(ask(question=question, statements=said).short_answer or ""))
        return tidy_short_answer(raw, question, [said])

    return predict


def summary(path: Path) -> str:
    from sleuth.evals.qa import answer_f1, normalise_answer
    from sleuth.evals.qa_report import bootstrap

    rows = [json.loads(line) for line in path.read_text().splitlines()]
    lines = [f"== {path.stem}: {len(rows)} answers"]
    asked = [r for r in rows if len(r["drafted"].split()) > GATE_WORDS]  # where the gate would spend the call
    asked_ids = {r["id"] for r in asked}
    for label, group in (("all", rows), (f"drafted > {GATE_WORDS} words", asked)):
        if not group:
            continue
        old = [answer_f1(r["stored"], r["gold"]) for r in group]
        new = [answer_f1(r["new"], r["gold"]) for r in group]
        gated = [answer_f1(r["new"] if r["id"] in asked_ids else r["stored"], r["gold"]) for r in group]
        em_old = sum(normalise_answer(r["stored"]) in map(normalise_answer, r["gold"]) for r in group) / len(group)
        em_new = sum(normalise_answer(r["new"]) in map(normalise_answer, r["gold"]) for r in group) / len(group)
        diffs = [a - b for a, b in zip(new, old, strict=True)]
        low, high = bootstrap(diffs)
        wins, losses = sum(d > 0 for d in diffs), sum(d < 0 for d in diffs)
        mean = sum(diffs) / len(diffs)
        diff = f"new - stored {mean:+.3f} (95% CI {low:+.3f} to {high:+.3f}), wins {wins}, losses {losses}"
        lines.append(
            f"{label:22s} n={len(group):3d}  F1 stored {sum(old) / len(group):.3f}  new {sum(new) / len(group):.3f}"
            f"  (gated {sum(gated) / len(group):.3f})  EM stored {em_old:.3f}  new {em_new:.3f}  {diff}"
        )
    seconds = sorted(r["seconds"] for r in rows)
    lines.append(f"seconds per call: p50 {seconds[len(seconds) // 2]:.1f}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
