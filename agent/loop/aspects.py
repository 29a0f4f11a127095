"""The aspects of a broad question, found in its evidence: the passages it retrieves, grouped by what they say.

A report's sections are these groups (STORM writes an outline first; here the outline comes from the evidence, so
every section has passages to stand on). Each passage is embedded (MiniLM), the passages are clustered by cosine
distance (average linkage, deterministic), and the groups are ordered by their best-ranked passage; a group keeps
its passages in retrieval order. Singletons that fit nowhere are kept as a last group only when nothing else is.
"""

from __future__ import annotations

import numpy as np

from sleuth.schema import Hit
from sleuth.tools.chunking import passage_text
from sleuth.tools.embedder import Embedder

PASSAGES_PER_ASPECT = 4


def aspects(embedder: Embedder, hits: list[Hit], most: int = 4, least: int = 2) -> list[list[Hit]]:
    """`hits` (best first, one per document is best) in at most `most` groups of related passages, each of at most
    PASSAGES_PER_ASPECT, ordered by their best member's rank. Fewer than 2 * `least` passages make one group."""
    if len(hits) < 2 * least:
        return [hits[:PASSAGES_PER_ASPECT]] if hits else []
    from sklearn.cluster import AgglomerativeClustering

    vectors = np.asarray(embedder.embed([passage_text(h.chunk) for h in hits]), dtype=np.float32)
    groups_wanted = max(least, min(most, round(len(hits) / 3)))
    labels = AgglomerativeClustering(n_clusters=groups_wanted, metric="cosine", linkage="average").fit_predict(vectors)
    groups: dict[int, list[Hit]] = {}
    for label, hit in zip(labels, hits, strict=True):  # hits are best first, so each group is too
        groups.setdefault(int(label), []).append(hit)
    ordered = sorted(groups.values(), key=lambda group: hits.index(group[0]))
    alone = [group for group in ordered if len(group) == 1]
    kept = [group for group in ordered if len(group) > 1]
    kept = _split_large(kept, vectors, hits, most)
    if alone and len(kept) < least:  # too few real groups: the strays make one more
        kept.append([group[0] for group in alone][:PASSAGES_PER_ASPECT])
    kept = sorted(kept, key=lambda group: hits.index(group[0]))
    return [group[:PASSAGES_PER_ASPECT] for group in kept[:most]]


def _split_large(groups: list[list[Hit]], vectors: np.ndarray, hits: list[Hit], most: int) -> list[list[Hit]]:
    """Average linkage over MiniLM vectors tends to one large group and strays: a group with more passages than a
    section reads is split in two by the same clustering, largest first, while sections are fewer than `most`, so
    the passages past a section's first four still get a section of their own (and a report cites more papers)."""
    from sklearn.cluster import AgglomerativeClustering

    groups = [list(g) for g in groups]
    while len(groups) < most:
        large = max(groups, key=len, default=[])
        if len(large) <= PASSAGES_PER_ASPECT:
            break
        rows = np.asarray([vectors[hits.index(h)] for h in large])
        labels = AgglomerativeClustering(n_clusters=2, metric="cosine", linkage="average").fit_predict(rows)
        halves = [[h for h, label in zip(large, labels, strict=True) if label == side] for side in (0, 1)]
        if min(len(half) for half in halves) < 2:  # one passage split off: cut by rank instead
            halves = [large[: len(large) // 2], large[len(large) // 2 :]]
        groups.remove(large)
        groups += halves
    return groups


__all__ = ["PASSAGES_PER_ASPECT", "aspects"]
