"""Ingest throughput: sleuth against LlamaIndex's IngestionPipeline + QdrantVectorStore, in one run.

    pip install -e ".[bench]"
    python -m bench.bench_ingest --corpus ../shared/data/scifact-train/corpus.jsonl

Both pipelines read the same BEIR corpus, cut 200-token chunks with 32 tokens of overlap using the same MiniLM
tokenizer, embed them with the same MiniLM model (batches of 32) and write them to an embedded Qdrant: sleuth to
qdrant-edge with BM25 sparse vectors as well, LlamaIndex to qdrant-client's local mode (`path=`, what its docs show
for an embedded store; dense only, since its hybrid mode needs a sparse model from the hub). Each runs in a
subprocess of its own so peak RSS is its own. Printed: documents/s, the ratio, peak RSS, and sleuth's re-ingest
time of the unchanged corpus as a share of the first ingest.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def sleuth_worker(corpus: Path, home: Path, limit: int | None) -> dict:
    from sleuth.agent.api import ResearchAgent
    from sleuth.settings import Settings

    source = _limited(corpus, limit, home)
    settings = Settings(home=home)
    settings.memory.enabled = False
    with ResearchAgent(settings) as agent:
        first = agent.ingest([source])
        again = agent.ingest([source])
        chunks = agent.index.count()
    return {
        "documents": first.documents,
        "chunks": chunks,
        "seconds": first.seconds,
        "reingest_seconds": again.seconds,
        "reingest_added": again.added,
    }


def llamaindex_worker(corpus: Path, home: Path, limit: int | None) -> dict:
    from sleuth.runtime import offline_environment

    offline_environment()
    from llama_index.core import Document
    from llama_index.core.ingestion import IngestionPipeline
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.qdrant import QdrantVectorStore
    from qdrant_client import QdrantClient

    from sleuth.tools.embedder import Embedder

    started = time.perf_counter()
    embedder = Embedder("minilm")
    tokenizer = embedder.model.tokenizer
    source = _limited(corpus, limit, home)
    documents = []
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt") as handle:
        for line in handle:
            row = json.loads(line)
            documents.append(
                Document(text=row["text"], doc_id=str(row["_id"]), metadata={"title": row.get("title", "")})
            )
    client = QdrantClient(path=str(home / "qdrant"))
    store = QdrantVectorStore(client=client, collection_name="bench")
    pipeline = IngestionPipeline(
        transformations=[
            SentenceSplitter(
                chunk_size=200,
                chunk_overlap=32,
                tokenizer=lambda text: tokenizer.encode(text, add_special_tokens=False),
            ),
            HuggingFaceEmbedding(model_name=str(embedder.path), device="cpu", embed_batch_size=32),
        ],
        vector_store=store,
    )
    nodes = pipeline.run(documents=documents)
    seconds = time.perf_counter() - started
    client.close()
    return {"documents": len(documents), "chunks": len(nodes), "seconds": seconds}


def _limited(corpus: Path, limit: int | None, home: Path) -> Path:
    if not limit:
        return corpus
    out = home / "corpus.jsonl"
    opener = gzip.open if corpus.suffix == ".gz" else open
    with opener(corpus, "rt") as src, out.open("w") as dst:
        for n, line in enumerate(src):
            if n >= limit:
                break
            dst.write(line)
    return out


WORKERS = {"sleuth": sleuth_worker, "llamaindex": llamaindex_worker}


def run_worker(name: str, corpus: Path, limit: int | None) -> dict:
    """Run one pipeline in a fresh process; its result plus its peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "bench.bench_ingest", "--worker", name, "--corpus", str(corpus)]
        command += ["--home", tmp] + (["--limit", str(limit)] if limit else [])
        done = subprocess.run(command, capture_output=True, text=True, env=os.environ)
        if done.returncode:
            raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--worker", choices=sorted(WORKERS))
    parser.add_argument("--home", type=Path)
    args = parser.parse_args()
    if args.worker:
        result = WORKERS[args.worker](args.corpus, args.home, args.limit)
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    results = {name: run_worker(name, args.corpus, args.limit) for name in ("llamaindex", "sleuth")}
    print(f"== ingest {args.corpus} ({results['sleuth']['documents']:,} documents), 2 CPU cores")
    for name, r in results.items():
        rate = r["documents"] / r["seconds"]
        print(
            f"{name:11s} {r['seconds']:7.1f} s  {rate:6.1f} docs/s  {r['chunks']:,} chunks  "
            f"peak RSS {r['peak_rss_mb']:,.0f} MB"
        )
    s, li = results["sleuth"], results["llamaindex"]
    print(f"sleuth / LlamaIndex throughput: {li['seconds'] / s['seconds']:.2f}x (goal 1.5x)")
    share = s["reingest_seconds"] / s["seconds"]
    print(
        f"sleuth re-ingest of the unchanged corpus: {s['reingest_seconds']:.1f} s = {share:.1%} of the first "
        f"(goal < 20%), {s['reingest_added']} chunks added"
    )


if __name__ == "__main__":
    main()
