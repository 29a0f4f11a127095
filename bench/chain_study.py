"""Does putting the question's chain first give the first draft its supporting passages? LLM-free.

    python -m bench.chain_study --data ../shared/data/hotpotqa-train100 \
        --data ../shared/data/musique-train100 --data bench/data/demo_questions.jsonl [--skip 0] [--limit 60]

The adaptive loop's first draft reads `agent.top_k` = 4 passages. For each question the loop runs with a stand-in
LM (sleuth.agent.llm.testing, extractive: no model) with `agent.chain_first` off and on, and the first round's evidence
is compared with the gold supporting passages: the share of gold passages it holds, and the questions where it
holds all of them, with per-question wins and losses and a bootstrap interval of the recall difference. A set
without gold (the demo questions, over the demo corpus) reports on how many questions the evidence changed. The
rule was chosen on the first 60 questions of HotpotQA and MuSiQue train100; `--skip 60 --limit 40` reports
questions that chose nothing.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench.bench_agent import load_set
from sleuth.errors import SleuthError
from sleuth.evals.qa import QAItem
from sleuth.evals.qa_report import bootstrap
from sleuth.schema import Seen

Evidence = list[tuple[set[str], list[str]]]  # per question: its gold documents, the first draft's documents


def first_evidence(name: str, questions: list[QAItem], corpus: Path, home: Path, chain: bool) -> Evidence:
    from sleuth.agent.api import ResearchAgent
    from sleuth.settings import Settings

    settings = Settings(home=home)
    settings.index.collection = f"bench-{name}"  # what bench_agent builds: --home of its run reuses the index
    settings.memory.enabled = False
    settings.models.lm = "scripted"
    settings.agent.chain_first = chain
    settings.agent.chain_only = False  # the order alone: chain_only (on by default) would cut both arms' evidence
    with ResearchAgent(settings) as agent:
        agent.ingest([corpus])
        return [(set(q.supporting), _kept(agent.ask(q.question).evidence)) for q in questions]


def _kept(evidence: list[Seen]) -> list[str]:
    return list(dict.fromkeys(seen.doc_id for seen in evidence if seen.kept))


def report(name: str, before: Evidence, after: Evidence) -> str:
    changed = sum(a[1] != b[1] for a, b in zip(after, before, strict=True))
    lines = [f"== {name}: {len(before)} questions; first-round evidence (top 4) reordered or changed on {changed}"]
    if not all(gold for gold, _ in before):
        return "\n".join(lines)  # no gold to score

    def recall(gold: set[str], kept: list[str]) -> float:
        return len(gold & set(kept)) / len(gold)

    lines.append(f"{'':14s} {'gold share':>10s} {'gold recall':>11s} {'all found':>9s}")
    for label, rows in (("order as fused", before), ("chain first", after)):
        share = sum(len(g & set(k)) for g, k in rows) / max(1, sum(len(k) for _, k in rows))
        mean = sum(recall(g, k) for g, k in rows) / len(rows)
        lines.append(f"{label:14s} {share:10.2f} {mean:11.2f} {sum(g <= set(k) for g, k in rows):9d}")
    diffs = [recall(*a) - recall(*b) for a, b in zip(after, before, strict=True)]
    low, high = bootstrap(diffs)
    wins, losses = sum(d > 0 for d in diffs), sum(d < 0 for d in diffs)
    lines.append(
        f"chain first vs as fused: recall {sum(diffs) / len(diffs):+.3f} (95% CI {low:+.3f} to {high:+.3f}); "
        f"wins {wins}, losses {losses}, ties {len(diffs) - wins - losses}"
    )
    return "\n".join(lines)


def main() -> None:
    from sleuth.locations import demo_corpus

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, action="append", required=True, help="A set folder or questions file.")
    parser.add_argument("--skip", type=int, default=0, help="Start after this many questions of each set.")
    parser.add_argument("--limit", type=int, default=60, help="Questions per set.")
    parser.add_argument("--home", type=Path, help="SLEUTH_HOME to index into (default: a temporary folder).")
    args = parser.parse_args()
    try:  # every set read before any is run: a wrong path fails at once, not after the first set's runs
        loaded = [load_set(data, args.limit, args.skip) for data in args.data]
    except SleuthError as exc:
        parser.error(str(exc))
    with tempfile.TemporaryDirectory() as scratch:
        home = args.home or Path(scratch)
        for name, questions, corpus in loaded:
            runs = [first_evidence(name, questions, corpus or demo_corpus(), home, chain) for chain in (False, True)]
            first = args.skip + 1 if questions else 0
            print(report(f"{name} (questions {first}-{args.skip + len(questions)})", *runs))
            print()


if __name__ == "__main__":
    main()
