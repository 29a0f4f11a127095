"""What one question's research has found so far: the program's own state, passed to each stage as arguments.

The pool holds every candidate the searches fused, best first; the evidence is what the draft reads; `covering`
keeps each sub-question's best passage so the evidence covers every part of the question.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sleuth.schema import Hit, Seen

if TYPE_CHECKING:
    from sleuth.memory.recall import Recollection

RANKED_LOGGED = 20  # pool candidates recorded per run as evidence seen


@dataclass
class Research:
    question: str
    memory: Recollection | None = None
    path: str = "fast"
    sub_questions: list[str] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    pool: list[Hit] = field(default_factory=list)
    covering: dict[str, Hit | None] = field(default_factory=dict)
    rankings: dict[str, list[Hit]] = field(default_factory=dict)  # each sub-question's own search, best first
    evidence: list[Hit] = field(default_factory=list)

    @property
    def avoided(self) -> set[str]:
        """Documents the user rated down: left out of the pool and the evidence."""
        return self.memory.avoid_docs if self.memory else set()

    def add_evidence(self, hits: list[Hit], limit: int) -> list[Hit]:
        """Adds up to `limit` passages not yet in the evidence (and not from avoided sources); returns them."""
        have = {h.chunk_id for h in self.evidence}
        new = [h for h in hits if h.chunk_id not in have and h.doc_id not in self.avoided][:limit]
        self.evidence.extend(new)
        return new

    def seen(self, cited: set[str]) -> list[Seen]:
        """The best pool candidates and every evidence passage, each with its pool rank, kept and cited."""
        kept = {h.chunk_id for h in self.evidence}
        ranks = {h.chunk_id: rank for rank, h in enumerate(self.pool)}
        rows = {h.chunk_id: h for h in [*self.pool[:RANKED_LOGGED], *self.evidence]}
        return [
            Seen(
                chunk_id=h.chunk_id,
                doc_id=h.doc_id,
                title=h.chunk.title,
                rank=ranks.get(h.chunk_id, len(self.pool)),
                score=round(h.score, 6),
                kept=h.chunk_id in kept,
                cited=h.chunk_id in cited,
            )
            for h in rows.values()
        ]

    def with_coverage(self, chosen: list[Hit]) -> list[Hit]:
        """`chosen`, with each sub-question's best passage put in place of the weakest others if it is missing."""
        have = {c.chunk_id for c in chosen}
        missing = [h for h in self.covering.values() if h is not None and h.chunk_id not in have]
        missing = list({h.chunk_id: h for h in missing}.values())
        if not missing:
            return chosen
        keep = max(0, len(chosen) - len(missing))
        return chosen[:keep] + missing


def diverse(hits: list[Hit], k: int, per_doc: int = 2) -> list[Hit]:
    """The best `k` hits, at most `per_doc` from any one document, so one long paper cannot crowd out the rest."""
    taken: list[Hit] = []
    counts: dict[str, int] = {}
    for hit in hits:
        if counts.get(hit.doc_id, 0) < per_doc:
            taken.append(hit)
            counts[hit.doc_id] = counts.get(hit.doc_id, 0) + 1
        if len(taken) == k:
            break
    return taken


__all__ = ["Research", "diverse"]
