"""The embedded index at scale: 1M chunks in qdrant-edge through sleuth's EdgeIndex, on 2 cores.

    python -m bench.bench_scale [--points 1000000] [--hnsw-ef 64 128]

Vectors are synthetic but clustered (10,000 centres; each point a centre plus noise of low intrinsic dimension, 16,
as real sentence embeddings have, plus a little full-rank noise; 384-d, normalised; noise 0.12 per intrinsic
dimension puts a point's 10 nearest neighbours at cosine ~0.8 and the 50th at ~0.2, like topical clusters of real
text; at 0.3 the noise swamps the centres and neighbourhoods become near-uniform, as with random vectors),
since HNSW on uniform random vectors recalls poorly and would make latency meaningless. Every point also carries
a one-term BM25 vector and a payload like a real chunk; `source` takes 10 values, so a filter on it keeps 10%.

Printed: upsert rate (sleuth's upsert path, generation excluded), the HNSW build (`optimize`) time, then for each
search `hnsw_ef`: dense query p50/p95 with and without the filter and recall@10 against exact search (numpy, same
filter), plus process RSS (minus the benchmark's own copy of the vectors) and disk size.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

DIM = 384
CENTRES = 10_000
INTRINSIC = 16
BATCH = 10_000


def clustered(rng: np.random.Generator, centres: np.ndarray, basis: np.ndarray, n: int, noise: float) -> np.ndarray:
    """Centre + low-rank noise (in the span of `basis`) + a little full-rank noise, normalised. Real sentence
    embeddings have low intrinsic dimension; full-rank Gaussian noise would make every neighbour equally near."""
    low = rng.normal(0, noise, size=(n, len(basis))).astype(np.float32) @ basis
    points = centres[rng.integers(len(centres), size=n)] + low + rng.normal(0, 0.01, size=(n, DIM)).astype(np.float32)
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int, mask: np.ndarray | None = None) -> list[set[int]]:
    out = []
    for q in queries:
        scores = vectors @ q
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        out.append(set(np.argpartition(-scores, k)[:k].tolist()))
    return out


def rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def du_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / (1 << 20)


def run(points: int, queries: int, efs: list[int], noise: float, m: int, ef_construct: int) -> None:
    from sleuth.schema import Chunk
    from sleuth.tools.index.edge import EdgeIndex
    from sleuth.tools.sparse import Sparse

    rng = np.random.default_rng(7)
    centres = rng.normal(0, 1, size=(CENTRES, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    basis = rng.normal(0, 1, size=(INTRINSIC, DIM)).astype(np.float32)
    basis /= np.linalg.norm(basis, axis=1, keepdims=True)
    baseline_rss = rss_mb()
    with tempfile.TemporaryDirectory() as tmp:
        index = EdgeIndex(Path(tmp), "scale", hnsw_m=m, hnsw_ef_construct=ef_construct)
        index.ensure(DIM)
        vectors = np.empty((points, DIM), dtype=np.float32)
        ids: list[str] = []
        upsert_seconds = 0.0
        for start in range(0, points, BATCH):
            n = min(BATCH, points - start)
            batch = clustered(rng, centres, basis, n, noise)
            vectors[start : start + n] = batch
            chunks = [
                Chunk(
                    chunk_id=str(uuid.UUID(int=start + i + 1)),
                    doc_id=f"d{(start + i) // 4}",
                    title=f"Document {(start + i) // 4}",
                    text="",
                    source=f"s{(start + i) % 10}",
                    position=(start + i) % 4,
                )
                for i in range(n)
            ]
            ids += [c.chunk_id for c in chunks]
            sparse = [Sparse([(start + i) % 5000], [1.0]) for i in range(n)]
            began = time.perf_counter()
            index.upsert(chunks, batch, sparse)
            upsert_seconds += time.perf_counter() - began
        began = time.perf_counter()
        index.optimize()
        build_seconds = time.perf_counter() - began
        probe = clustered(rng, centres, basis, queries, noise)
        source = np.arange(points) % 10 == 3
        truth = exact_top(vectors, probe, 10)
        truth_filtered = exact_top(vectors, probe, 10, source)
        position = {cid: i for i, cid in enumerate(ids)}
        memory = rss_mb() - baseline_rss - vectors.nbytes / (1 << 20)
        disk = du_mb(Path(tmp))
        print(
            f"== {points:,} chunks, {DIM}-d clustered vectors, HNSW m={m} ef_construct={ef_construct}, "
            f"{os.cpu_count()} cores"
        )
        rate = points / upsert_seconds
        print(f"upsert: {rate:,.0f} points/s ({upsert_seconds:.0f} s); HNSW build {build_seconds:.0f} s")
        print(f"RAM (process RSS minus the benchmark's vectors): {memory:,.0f} MB; disk {disk:,.0f} MB")
        for ef in efs:
            index.hnsw_ef = ef
            for name, filters, expected in (
                ("no filter", None, truth),
                ("filter 10%", {"source": "s3"}, truth_filtered),
            ):
                times, recalls = [], []
                for q, gold in zip(probe, expected, strict=True):
                    began = time.perf_counter()
                    hits = index.search(q, None, 10, filters=filters)
                    times.append(time.perf_counter() - began)
                    recalls.append(len({position[h.chunk_id] for h in hits} & gold) / 10)
                p95 = statistics.quantiles(times, n=20)[18]
                print(
                    f"hnsw_ef={ef:4d} {name:10s}: p50 {1000 * statistics.median(times):6.1f} ms  "
                    f"p95 {1000 * p95:6.1f} ms  recall@10 {statistics.mean(recalls):.3f}"
                )
        index.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--hnsw-ef", type=int, nargs="+", default=[64, 128, 256])
    parser.add_argument("--noise", type=float, default=0.12)
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construct", type=int, default=100)
    args = parser.parse_args()
    run(args.points, args.queries, args.hnsw_ef, args.noise, args.m, args.ef_construct)


if __name__ == "__main__":
    main()
