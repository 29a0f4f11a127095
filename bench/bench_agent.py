"""The adaptive agent against the full loop and single-shot RAG, same LM for every row, resumable.

    python -m bench.bench_agent --data ../shared/data/hotpotqa-train100 --data ../shared/data/musique-train100 \
        --data bench/data/demo_questions.jsonl --limit 60 --out bench/results/bench_agent_runs

Systems, each question asked of all three before the next question (so an interrupted run leaves paired data):
- single-shot RAG: one hybrid search of the question, the top 4 passages (two per document at most), one call of
  the agent's answer Signature, the markers resolved against those passages (no verification);
- adaptive (the default loop), and full (plan, rewrite, judge, draft, gap round, LM check), memory off so
  questions do not help each other.
Each answer is one line of `<out>/<set>.jsonl`, scored by `sleuth eval qa`'s own `evals.qa.score` (questions read by
its loader); a re-run skips the (system, id) pairs already there. `--report` prints the tables from what is stored
(`evals.qa_report`, as `sleuth eval show` does): EM, token F1 of the short answer, gold answer contained in the
cited prose, supporting-passage recall@10 and all-found@10, cited passages that are gold, dangling citations, the
attribution audit (share of cited sentences misattributed or unsupported, `evals.metrics.attribution_audit`),
p50/p95 seconds, LM calls, prompt tokens (all of them, and those reused from the engine's cache), failed or empty
answers; then the paired comparison of adaptive against each other system (per-question F1 wins/losses/ties,
mean difference with a 95% bootstrap interval). Sets: HotpotQA train100 chose the multi-hop fusion (and the
question-shape cues); MuSiQue chose nothing; the demo questions were written for this benchmark.
"""

from __future__ import annotations

import argparse
import json
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any, get_args

from bench.llama_server import llama_server
from bench.replay import Record, replaying
from sleuth.errors import SleuthError
from sleuth.evals.qa import QAItem, dangling, load_questions, with_assignment
from sleuth.evals.qa import score as qa_score
from sleuth.evals.qa_report import Rows, compare, complete, table
from sleuth.schema import Answer, Seen

SYSTEMS = ("single-shot", "adaptive", "full")


def single_shot(agent: Any, question: str) -> Answer:
    """Single-shot RAG: one hybrid search, the top 4 passages (two per document at most), one answer call, its
    markers resolved against those passages; no multi-hop, no verification, the short answer as the LM wrote it."""
    import dspy

    from sleuth.agent.checks.citations import resolve_citations
    from sleuth.agent.llm.adapters import adapter_for, usage_of
    from sleuth.agent.loop.research import diverse
    from sleuth.prompts.bounded import whole_words
    from sleuth.prompts.signatures import AnswerWithCitations, render_sentences
    from sleuth.schema import Usage
    from sleuth.tools.text import format_passages

    started = time.perf_counter()
    hits = agent.searcher.search(question, k=40)
    evidence = diverse(hits, 4)
    passages = format_passages(evidence, agent.settings.agent.passage_chars)
    answer = Answer(question=question, path="single-shot", usage=Usage(llm_calls=1))
    answer.retrieved = list(dict.fromkeys(h.doc_id for h in hits))
    answer.evidence = [
        Seen(chunk_id=h.chunk_id, doc_id=h.doc_id, rank=i, score=h.score, kept=True) for i, h in enumerate(evidence)
    ]
    try:
        with dspy.context(lm=agent.lm, adapter=adapter_for(agent.lm), track_usage=True):
            prediction = dspy.Predict(AnswerWithCitations)(question=question, passages=passages)
        answer.usage = usage_of(prediction)
        answer.short_answer = whole_words(str(prediction.short_answer or ""))
        answer.answer, answer.citations, _ = resolve_citations(render_sentences(prediction.answer.sentences), evidence)
    except Exception as exc:  # counted as a failed answer
        answer.error = f"{type(exc).__name__}: {exc}"
    answer.seconds = time.perf_counter() - started
    return answer


def score(q: QAItem, answer: Answer) -> dict[str, Any]:
    """`sleuth eval qa`'s scores, plus the route the adaptive loop took, dangling citations counted against the
    evidence the LM was shown (not only the answer's own markers), and what a short-answer rule reads: each draft's
    short answer as the LM wrote it and the cited passages' texts."""
    kept = {e.chunk_id for e in answer.evidence if e.kept}
    return {
        **qa_score(q, answer),
        "dangling": dangling(answer.answer, answer.citations, kept),
        "route": [str(s.detail.get("reason", "")) for s in answer.steps if s.kind == "route"],
        "drafted_short": [str(s.detail.get("short_answer", "")) for s in answer.steps if s.kind == "draft"],
        "cited_texts": [c.text for c in answer.citations],
    }


def load_set(data: Path, limit: int, skip: int = 0) -> tuple[str, list[QAItem], Path | None]:
    """A QA set's name, its questions (those with supporting passages, read by `sleuth eval qa`'s loader; `limit`
    of them after the first `skip`), and its corpus (None: the demo corpus)."""
    if data.is_file():
        return data.stem, load_questions(data)[skip : skip + limit], None
    questions = [q for q in load_questions(data / "questions.jsonl") if q.supporting][skip : skip + limit]
    return data.name, questions, data / "corpus.jsonl"


def run(
    sets: list[Path],
    out: Path,
    limit: int,
    lm: str | None,
    home: Path,
    systems: tuple[str, ...] = SYSTEMS,
    api_base: str | None = None,
    structured_output: str = "off",
    skip: int = 0,
    replay: Path | None = None,
    assignments: tuple[str, ...] = (),
) -> None:
    from sleuth.agent.api import ResearchAgent
    from sleuth.locations import demo_corpus
    from sleuth.settings import Settings

    out.mkdir(parents=True, exist_ok=True)
    loaded = [load_set(path, limit, skip) for path in sets]
    agents: dict[str, dict[str, Any]] = {}
    for name, _, corpus in loaded:
        base = Settings(home=home)
        base.index.collection = f"bench-{name}"
        base.memory.enabled = False
        for assignment in assignments:  # --set: the arm under test (an index or memory setting is not one)
            base = with_assignment(base, assignment)
        if lm:
            base.models.lm = lm
        if api_base:
            base.models.api_base = api_base
            base.models.api_key = "sk-local"  # type: ignore[assignment]
            base.models.structured_output = structured_output  # type: ignore[assignment]
        shared = ResearchAgent(base)
        shared.ingest([corpus or demo_corpus()])
        full = base.model_copy(deep=True)
        full.agent.loop = "full"
        agents[name] = {
            "single-shot": shared,
            "adaptive": shared,
            "full": ResearchAgent(full, lm=shared.lm, index=shared.index, embedder=shared.embedder),
        }
    first = next(iter(agents.values()))["adaptive"]  # all share one LM
    first.warm_up()
    with replaying(replay) if replay else nullcontext() as record:
        _answer_all(loaded, agents, systems, out, record)


def _answer_all(
    loaded: list[tuple[str, list[QAItem], Path | None]],
    agents: dict[str, dict[str, Any]],
    systems: tuple[str, ...],
    out: Path,
    record: Record | None,
) -> None:
    done = {name: _done(out / f"{name}.jsonl") for name, _, _ in loaded}
    longest = max(len(qs) for _, qs, _ in loaded)
    for i in range(longest):  # the sets interleaved, so each grows at the same pace
        for name, questions, _ in loaded:
            if i >= len(questions):
                continue
            q = questions[i]
            for system in systems:
                if (system, q.id) in done[name]:
                    continue
                agent = agents[name][system]
                before = record.replayed if record else 0
                answer = single_shot(agent, q.question) if system == "single-shot" else agent.ask(q.question)
                row = {"set": name, "system": system, **score(q, answer)}
                if record:
                    row["replayed"] = record.replayed - before
                with (out / f"{name}.jsonl").open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                print(
                    f"[{name} {i + 1}/{len(questions)}] {system:11s} {row['seconds']:6.1f}s {row['calls']} calls "
                    f"short={row['short']!r:.50} gold={(q.answers or ['-'])[0]!r:.30}",
                    flush=True,
                )


def _done(path: Path) -> set[tuple[str, str]]:
    if not path.exists():
        return set()
    return {(r["system"], r["id"]) for r in map(json.loads, path.read_text().splitlines()) if r.get("system")}


def _rows(path: Path) -> Rows:
    by: Rows = {s: {} for s in SYSTEMS}
    for row in map(json.loads, filter(str.strip, path.read_text().splitlines())):
        by[row["system"]][row["id"]] = row
    return by


def against(out: Path, before: Path) -> str:
    """Each system of `out` against the same system in `before` (an earlier commit's rows), on the questions both
    answered: the tables and the paired comparisons of F1 and of cited-gold precision (on the questions where both
    cited something), per set."""
    lines = []
    for path in sorted(out.glob("*.jsonl")):
        if not (before / path.name).exists():
            continue
        now, then = _rows(path), _rows(before / path.name)
        for system in SYSTEMS:
            group = {f"{system} now": now[system], f"{system} before": then[system]}
            if not all(group.values()) or not complete(group):
                continue
            lines.append(f"\n== {path.stem}: {system}, {len(complete(group))} questions answered by both runs")
            lines += table(group, name_width=max(map(len, group)))
            pairs = [compare(group, f"{system} now", f"{system} before", key) for key in ("f1", "precision")]
            lines += [line for line in pairs if line]
    return "\n".join(lines)


def report(out: Path) -> str:
    """Per set, the table of the systems that answered the most questions; while another system is still being
    run (resumed over sessions), a second table compares every system on the questions all of them answered."""
    lines = []
    for path in sorted(out.glob("*.jsonl")):
        by = _rows(path)
        present = {s: by[s] for s in SYSTEMS if by[s]}
        most = max(len(ids) for ids in present.values())
        leading = {s: ids for s, ids in present.items() if len(ids) == most}
        for group in (leading, present) if len(leading) < len(present) else (present,):
            label = "every system" if group is present else "these systems"
            lines.append(f"\n== {path.stem}: {len(complete(group))} questions answered by {label} ({', '.join(group)})")
            lines += table(group)
            lines += [
                compare(group, "adaptive", other)
                for other in ("single-shot", "full")
                if other in group and "adaptive" in group
            ]
    return "\n".join(lines)


def main() -> None:
    from sleuth.settings import StructuredOutput

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, action="append", default=[])
    parser.add_argument("--limit", type=int, default=60)
    parser.add_argument(
        "--skip", type=int, default=0, help="Start after this many questions of each set (held-out rows: --skip 60)."
    )
    parser.add_argument("--lm", help="LM for every system (default: the embedded model).")
    parser.add_argument("--out", type=Path, default=Path("bench/results/bench_agent_runs"))
    parser.add_argument("--home", type=Path, default=Path("/tmp/sleuth-bench-agent"), help="Index and model cache.")
    parser.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS))
    parser.add_argument(
        "--server", action="store_true", help="Serve the bundled model with llama.cpp's server and use it remotely."
    )
    parser.add_argument(
        "--schema",
        default="json_object",
        choices=get_args(StructuredOutput),
        help="With --server: how each answer's JSON schema is sent (`models.structured_output`; llama-cpp-python's "
        "server reads `json_object`).",
    )
    parser.add_argument(
        "--replay",
        type=Path,
        help="Record the embedded LM's replies in this JSONL file and answer a request it holds from it "
        "(bench/replay.py): a re-run after a change past the LM costs only the prompts it changed. Seconds of "
        "replayed answers are not measured.",
    )
    parser.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="A setting for every system (agent.by_hops=false): the arm this run measures.",
    )
    parser.add_argument("--report", action="store_true", help="Only print the tables from the stored answers.")
    parser.add_argument(
        "--against", type=Path, help="With --report: each system against its rows in this earlier run's folder."
    )
    args = parser.parse_args()
    if args.against and not args.report:
        parser.error("--against compares stored runs: add --report (it runs no questions)")
    if args.against:
        print(against(args.out, args.against))
        return
    try:
        _run_all(args)
    except SleuthError as exc:  # a wrong --data path, a missing model: what was wrong and what to do, no traceback
        parser.error(str(exc))
    print(report(args.out))


def _run_all(args: argparse.Namespace) -> None:
    if args.report:
        pass
    elif args.server:
        with llama_server(args.home) as base:
            run(
                args.data,
                args.out,
                args.limit,
                "openai/qwen",
                args.home,
                tuple(args.systems),
                base,
                args.schema,
                args.skip,
            )
    else:
        run(
            args.data,
            args.out,
            args.limit,
            args.lm,
            args.home,
            tuple(args.systems),
            skip=args.skip,
            replay=args.replay,
            assignments=tuple(args.assignments),
        )


if __name__ == "__main__":
    main()
