"""Scale-out on this machine: ingest and `--no-answer` batches on 1 and 2 Ray workers against the local path.

    python -m bench.bench_ray --corpus ../shared/data/scifact-train/corpus.jsonl.gz --docs 1000 \
        --queries ../shared/data/scifact-train/queries.jsonl --questions 200

One process, one local Ray cluster of 2 CPUs (the machine's cores), the bundled MiniLM embedder, the embedded index.
- Ingest: the first `--docs` documents of the corpus into a fresh collection, locally (three threads: read, embed,
  write) and through `ingest --ray` with 1 and 2 embedding actors; the actors' start-up (loading the models) is
  timed apart by a warm-up ingest of 20 other documents, so documents/s is the steady rate.
- Batch: `--questions` queries through `run_batch(no_answer=True)` (the LLM-free multi-hop search of every
  question), locally with 1 and 2 threads and on 1 and 2 Ray workers. Each Ray run starts its own workers (each
  loads the embedder) and an index holder actor, so each configuration runs twice, with 20 questions and with all
  of them: the difference gives the per-question time, the rest is the fixed start-up.
- Overhead per task: the round trip of an empty Ray actor call, and of one index search through the holder actor
  (`tools/index/remote.py`) against the same search in this process.
- On paper: 64 cores and a 3-node Qdrant cluster, from the measured per-worker rates (the arithmetic is printed).
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

WARM_DOCS = 20
SHORT_BATCH = 20
UPSERT_POINTS_S = 11_471  # bench/results/bench_scale_1m.txt: the embedded index's upsert rate on this machine
SEARCH_MS_1M = 2.6  # the same file: p50 of one search of 1M points (hnsw_ef 64)


def _subset(corpus: Path, start: int, count: int, out: Path) -> Path:
    opener = gzip.open if corpus.suffix == ".gz" else open
    with opener(corpus, "rt", encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
        for n, line in enumerate(src):
            if n >= start + count:
                break
            if n >= start:
                dst.write(line)
    return out


def _questions(queries: Path, count: int, out: Path) -> Path:
    with queries.open(encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
        for n, line in enumerate(src):
            if n >= count:
                break
            row = json.loads(line)
            dst.write(json.dumps({"id": str(row["_id"]), "question": row["text"]}) + "\n")
    return out


def _agent(home: Path, collection: str) -> Any:
    from sleuth.agent.api import ResearchAgent
    from sleuth.settings import Settings

    settings = Settings(home=home)
    settings.index.collection = collection
    settings.memory.enabled = False
    return ResearchAgent(settings)


def bench_ingest(home: Path, docs: Path, warm: Path, n_docs: int, ray: Any) -> dict[str, dict[str, float]]:
    from sleuth.tools.ray_ingest import release_pools

    rows = {}
    for name, workers in (("local", 0), ("ray 1 worker", 1), ("ray 2 workers", 2)):
        release_pools(ray)
        collection = f"ingest-{workers}"
        started = time.perf_counter()
        with _agent(home, f"{collection}-warm") as agent:
            agent.ingest([warm], ray="local" if workers else None, workers=max(1, workers))
        startup = time.perf_counter() - started
        with _agent(home, collection) as agent:
            report = agent.ingest([docs], ray="local" if workers else None, workers=max(1, workers))
        assert report.documents == n_docs and not report.failures, report
        rows[name] = {"startup": startup, "seconds": report.seconds, "docs_s": n_docs / report.seconds}
        rows[name] |= {"docs": n_docs, "chunks": report.added}
        print(
            f"ingest {name:14s} start-up {startup:6.1f} s  {n_docs} docs in {report.seconds:6.1f} s  "
            f"{rows[name]['docs_s']:6.1f} docs/s  {report.added} chunks",
            flush=True,
        )
    release_pools(ray)
    return rows


def bench_batch(home: Path, short: Path, full: Path, n: int, out: Path) -> dict[str, dict[str, float]]:
    from sleuth.agent.batch import run_batch

    rows = {}
    configs = (("local 1 thread", None, 1), ("local 2 threads", None, 2), ("ray 1 worker", "local", 1))
    for name, ray, width in (*configs, ("ray 2 workers", "local", 2)):
        timings = []
        for questions, count in ((short, SHORT_BATCH), (full, n)):
            with _agent(home, "ingest-0") as agent:
                agent.search("warm-up", k=1)  # the embedder and the index are loaded before the clock starts
                path = out / f"{name.replace(' ', '-')}-{count}.jsonl"
                started = time.perf_counter()
                report = run_batch(agent, questions, path, no_answer=True, concurrency=width, ray=ray, workers=width)
                timings.append(time.perf_counter() - started)
            assert (report.answered, report.failed) == (count, 0), report
        per_question = (timings[1] - timings[0]) / (n - SHORT_BATCH)
        fixed = max(0.0, timings[0] - SHORT_BATCH * per_question)  # below zero is noise: no start-up to speak of
        rows[name] = {"seconds": timings[1], "q_s": 1 / per_question, "fixed": fixed}
        print(
            f"batch  {name:15s} {n} questions in {timings[1]:6.1f} s  steady {rows[name]['q_s']:5.1f} q/s  "
            f"fixed start-up {rows[name]['fixed']:5.1f} s  ({SHORT_BATCH} questions: {timings[0]:.1f} s)",
            flush=True,
        )
    return rows


class _Echo:
    def ping(self) -> int:
        return 0


def bench_overhead(home: Path, ray: Any) -> dict[str, float]:
    from sleuth.tools.index.remote import IndexHolder, RemoteIndex

    echo = ray.remote(_Echo).options(num_cpus=0).remote()
    ray.get(echo.ping.remote())
    started = time.perf_counter()
    for _ in range(500):
        ray.get(echo.ping.remote())
    call_ms = (time.perf_counter() - started) * 1000 / 500
    ray.kill(echo)
    with _agent(home, "ingest-0") as agent:
        queries = ["hard negatives in dense retrieval", "vitamin D and fractures", "gene expression in tumours"]
        searcher = agent.searcher
        prepared = [(searcher.embedder.embed_query(q), searcher.sparse.embed_query(q)) for q in queries]
        here = _search_ms(agent.index, prepared)
        made = [0]
        search = agent.index.search

        def counted(*args: Any, **kwargs: Any) -> Any:
            made[0] += 1
            return search(*args, **kwargs)

        agent.index.search = counted  # how many index searches one question's multi-hop retrieval makes
        for query in queries:
            agent.retrieve_only(query)
        searches_per_question = made[0] / len(queries)
        settings = agent.settings
        agent.close()
    holder = ray.remote(IndexHolder).options(num_cpus=0).remote(settings)
    there = _search_ms(RemoteIndex(holder, settings.index.collection), prepared)
    ray.get(holder.close.remote())
    ray.kill(holder)
    print(
        f"overhead: empty actor call {call_ms:.2f} ms; one index search {here:.2f} ms here, {there:.2f} ms through "
        f"the holder actor (+{there - here:.2f} ms); {searches_per_question:.1f} searches a question",
        flush=True,
    )
    return {
        "call_ms": call_ms,
        "search_here_ms": here,
        "search_remote_ms": there,
        "searches_per_question": searches_per_question,
    }


def _search_ms(index: Any, prepared: list[tuple[Any, Any]]) -> float:
    """Median ms of one hybrid index search (dense + BM25 vectors made beforehand, outside the clock)."""
    index.search(*prepared[0], 10)
    times = []
    for _ in range(40):
        for dense, sparse in prepared:
            started = time.perf_counter()
            index.search(dense, sparse, 10)
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def on_paper(ingest: dict, batch: dict, overhead: dict) -> list[str]:
    one, two = ingest["ray 1 worker"]["docs_s"], ingest["ray 2 workers"]["docs_s"]
    q1, q2 = batch["ray 1 worker"]["q_s"], batch["ray 2 workers"]["q_s"]
    per_doc = ingest["local"]["chunks"] / ingest["local"]["docs"]
    writer = UPSERT_POINTS_S / per_doc
    searches = overhead["searches_per_question"]
    holder_q_s = 1000 / overhead["search_remote_ms"] / searches
    node_ms = max(overhead["search_here_ms"], SEARCH_MS_1M)
    cluster_q_s = 3 * 16 * (1000 / node_ms) / searches
    bound = "the embedders are the bound" if 64 * one < writer else "the one writer is the bound"
    return [
        f"per embedding actor {one:.1f} docs/s; 2 actors on these 2 cores {two:.1f} docs/s ({two / one:.2f}x).",
        f"64 cores, one embedding actor each: 64 x {one:.1f} = {64 * one:,.0f} docs/s ({64 * one * per_doc:,.0f} "
        f"chunks/s); the one writer upserts {UPSERT_POINTS_S:,} points/s (bench_scale_1m) = {writer:,.0f} docs/s, "
        f"so {bound}: 1M passages (chunks) in about {1_000_000 / min(64 * one, writer) / per_doc / 60:.0f} min.",
        f"per batch worker {q1:.1f} questions/s (no LM, {searches:.1f} index searches a question); 64 workers would "
        f"ask {64 * q1:,.0f} q/s, but the embedded index's one holder actor serves {holder_q_s:,.0f} q/s "
        f"({overhead['search_remote_ms']:.1f} ms a search): past {holder_q_s / q1:.0f} workers, use a Qdrant server.",
        f"3-node Qdrant cluster, 16 cores a node, each core searching as qdrant-edge does on 1M points here "
        f"({node_ms:.1f} ms): 3 x 16 x {1000 / node_ms:,.0f} searches/s = {cluster_q_s:,.0f} questions/s, above "
        f"the {64 * q1:,.0f} q/s of 64 workers: they run at their embedders' pace.",
        f"2 workers on 2 cores: {q2:.1f} q/s ({q2 / q1:.2f}x one worker); driver, holder and workers share the two "
        "cores here, so this is the floor of the scaling, not its ceiling.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()
    from sleuth.tools.ray_ingest import start_ray

    ray = start_ray("local", 2)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        docs = _subset(args.corpus, WARM_DOCS, args.docs, home / "docs.jsonl")
        warm = _subset(args.corpus, 0, WARM_DOCS, home / "warm.jsonl")
        short = _questions(args.queries, SHORT_BATCH, home / "short.jsonl")
        full = _questions(args.queries, args.questions, home / "questions.jsonl")
        print(f"== {args.docs} documents of {args.corpus.name}, {args.questions} questions; Ray local, 2 CPUs")
        ingest = bench_ingest(home, docs, warm, args.docs, ray)
        batch = bench_batch(home, short, full, args.questions, home)
        overhead = bench_overhead(home, ray)
        print("== on paper")
        for line in on_paper(ingest, batch, overhead):
            print(f"- {line}")
    ray.shutdown()


if __name__ == "__main__":
    main()
