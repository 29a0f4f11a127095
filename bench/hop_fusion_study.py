"""How the multi-hop fusion should weigh the question's own ranking against the follow-ups, for the top 4.

    python -m bench.hop_fusion_study --tune ../shared/data/hotpotqa-train100 \
        --check ../shared/data/musique-train100 [--limit 60]

The agent's first draft reads the best `agent.top_k` = 4 passages of the multi-hop pool, so what matters to it is
whether every supporting passage is in the top 4, not the top 10 that chose `hop_fuse`'s follow-up constant. For
each question the rankings of the question and of every follow-up query are computed once (LLM-free, the same
queries `multi_hop_search` runs), then re-fused under each (k_first, k_follow): printed per setting are
all-found@4, the share of the top 4 that is gold, and all-found@10. The setting is chosen on `--tune` alone
(all-found@4, ties to all-found@10) and reported on `--check`, which chose nothing, with a paired comparison
against today's (60, 1): per-question wins and losses on all-found@4 and a bootstrap interval.
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path

from sleuth.evals.beir import iter_jsonl
from sleuth.lexicon import mentioned_names
from sleuth.tools.multihop import hop_fuse

GRID_FIRST = (1, 2, 5, 10, 20, 60)
GRID_FOLLOW = (1, 2, 5, 10)
TODAY = (60, 1)


def rankings(data: Path, home: Path, limit: int) -> list[tuple[set[str], list, list[list]]]:
    """Per question: its gold ids, the question's ranking and the follow-up rankings (as multi_hop_search makes
    them with its defaults: two rounds, the best 3 passages' names)."""
    from sleuth.agent.api import ResearchAgent
    from sleuth.settings import Settings

    settings = Settings(home=home)
    settings.index.collection = data.name
    settings.memory.enabled = False
    out = []
    with ResearchAgent(settings) as agent:
        agent.ingest([data / "corpus.jsonl"])
        searcher, k = agent.searcher, settings.agent.candidates
        for item in [q for q in iter_jsonl(data / "questions.jsonl") if q.get("supporting")][:limit]:
            question = item["question"]
            first = searcher.search(question, k=k)
            follow, seen = [], set()
            for hit in first[:3]:
                for name in mentioned_names(hit.chunk.text, question, 4, hit.chunk.title):
                    if (query := f"{name} {question}") not in seen:
                        seen.add(query)
                        follow.append(searcher.search(query, k=k))
            out.append((set(item["supporting"]), first, follow))
    return out


def outcome(gold: set[str], first: list, follow: list[list], k_first: int, k_follow: int) -> tuple[float, ...]:
    ranked = list(dict.fromkeys(h.doc_id for h in hop_fuse(first, follow, k_first=k_first, k_follow=k_follow)))
    return (float(gold <= set(ranked[:4])), len(gold & set(ranked[:4])) / 4, float(gold <= set(ranked[:10])))


def table(questions: list, settings: list[tuple[int, int]]) -> dict[tuple[int, int], list[tuple[float, ...]]]:
    return {s: [outcome(g, f, fo, *s) for g, f, fo in questions] for s in settings}


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def paired(a: list[float], b: list[float], rounds: int = 10_000) -> str:
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    rng = random.Random(0)
    boot = sorted(mean([rng.choice(diffs) for _ in diffs]) for _ in range(rounds))
    wins, losses = sum(d > 0 for d in diffs), sum(d < 0 for d in diffs)
    low, high = boot[int(0.025 * rounds)], boot[int(0.975 * rounds)]
    return f"{mean(diffs):+.3f} (95% CI {low:+.3f} to {high:+.3f}); wins {wins}, losses {losses}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tune", type=Path, required=True)
    parser.add_argument("--check", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=60)
    args = parser.parse_args()
    grid = [(a, b) for a in GRID_FIRST for b in GRID_FOLLOW]
    with tempfile.TemporaryDirectory() as tmp:
        tune = table(rankings(args.tune, Path(tmp), args.limit), grid)
        check = table(rankings(args.check, Path(tmp), args.limit), grid)
    print(f"== {args.tune.name} (chooses) and {args.check.name} (reports), {args.limit} questions each")
    print(f"{'k_first':>7s} {'k_follow':>8s}   tune: all@4 gold@4 all@10   check: all@4 gold@4 all@10")
    for s in grid:
        t = [mean([o[i] for o in tune[s]]) for i in range(3)]
        c = [mean([o[i] for o in check[s]]) for i in range(3)]
        mark = "  (today)" if s == TODAY else ""
        cells = f"{t[0]:11.2f} {t[1]:6.2f} {t[2]:6.2f}   {c[0]:12.2f} {c[1]:6.2f} {c[2]:6.2f}"
        print(f"{s[0]:7d} {s[1]:8d}   {cells}{mark}")
    chosen = max(grid, key=lambda s: (mean([o[0] for o in tune[s]]), mean([o[2] for o in tune[s]]), s == TODAY))
    print(f"chosen on {args.tune.name}: k_first={chosen[0]}, k_follow={chosen[1]}")
    for name, scored in ((args.tune.name, tune), (args.check.name, check)):
        for i, metric in ((0, "all-found@4"), (2, "all-found@10")):
            new, old = [o[i] for o in scored[chosen]], [o[i] for o in scored[TODAY]]
            print(f"{name}: {metric} {mean(new):.2f} vs {mean(old):.2f} today: {paired(new, old)}")


if __name__ == "__main__":
    main()
