"""Retrieve: every search a run makes, fused into one pool of candidates, with no LM involved.

The question is searched with the configured second stage (`search.rerank`); its sub-questions and queries, the
remembered queries and passages of similar runs, and the LLM-free multi-hop follow-ups (what the best passages
name, searched with the question) are searched too. The pool ranks each passage by its rank for the question plus
its best rank under any other query, as the multi-hop search fuses its rounds: summing ranks instead (RRF) favours
passages that match every query a little over the one passage a sub-question needs (all-found@10 on HotpotQA
train100 fell from 0.92 to 0.86 under RRF). Within the first ten documents, the question's chain goes first: the
passages whose title the question names, then those their text names (tools/multihop.py `chain_first`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import dspy

from sleuth.agent.loop.trace import Trace, unique_docs
from sleuth.schema import Hit, Search
from sleuth.settings import AgentSettings
from sleuth.tools.multihop import chain_first, hop_fuse, multi_hop_search
from sleuth.tools.passages import PassageSource

if TYPE_CHECKING:
    from sleuth.memory.recall import Recollection

MEMORY_WEIGHT = 0.5  # a remembered query or passage counts half as much as a search for this question


@dataclass
class Pool:
    """The fused candidates, best first; each sub-question's best passage (None: its search found nothing) and its
    own ranking (the evidence a part drafted on its own reads)."""

    hits: list[Hit]
    covering: dict[str, Hit | None]
    rankings: dict[str, list[Hit]] = field(default_factory=dict)


class Retrieve(dspy.Module):
    def __init__(self, settings: AgentSettings) -> None:
        super().__init__()
        self.settings = settings

    def forward(
        self,
        trace: Trace,
        source: PassageSource,
        question: str,
        sub_questions: list[str] | None = None,
        queries: list[str] | None = None,
        memory: Recollection | None = None,
    ) -> Pool:
        """Every search for `question` fused into one pool."""
        avoid = memory.avoid_docs if memory else set()
        with trace.stage("search") as stage:
            subs = [s for s in sub_questions or [] if s != question]
            searches = list(dict.fromkeys([question, *subs, *(queries or [])]))
            remembered = [q for q in (memory.queries if memory else []) if q not in searches]
            sources = {q: "sub_question" if q in subs else "rewrite" for q in searches[1:]}
            rankings = [trace.searched(question, "question", source.search(question, rerank=True))]
            rankings += [trace.searched(q, sources[q], source.search(q)) for q in searches[1:]]
            rankings += [trace.searched(q, "memory", source.search(q)) for q in remembered]
            weights = [1.0] * (len(searches) - 1) + [MEMORY_WEIGHT] * len(remembered)
            hopped, hops = multi_hop_search(source.searcher, question, k=self.settings.candidates, first=rankings[0])
            trace.searches += [Search(query=query, source="hop") for query in hops[1:]]
            rankings.append(hopped)
            weights.append(1.0)
            if memory and memory.pinned:
                rankings.append(memory.pinned)
                weights.append(MEMORY_WEIGHT)
            pooled = hop_fuse(rankings[0], rankings[1:], weights=weights)
            avoided = sorted({h.doc_id for h in pooled if h.doc_id in avoid})
            hits = [h for h in pooled if h.doc_id not in avoid]
            if self.settings.chain_first:
                hits = chain_first(hits, question)
            covering = {sub: _best(rankings[1 + i], avoid) for i, sub in enumerate(subs)}
            own = {sub: [h for h in rankings[1 + i] if h.doc_id not in avoid] for i, sub in enumerate(subs)}
            trace.budget.charge_tool()
            stage.note(
                queries=searches,
                memory_queries=remembered,
                multi_hop_queries=hops[1:],
                candidates=len(hits),
                avoided=avoided,
                top=unique_docs(hits)[:10],
            )
            return Pool(hits, covering, own)

    def gap(self, trace: Trace, source: PassageSource, question: str, missing: str, pool: list[Hit]) -> list[Hit]:
        """The passages a gap the draft named leads to, best first: the gap searched with and without the
        question, plus the multi-hop follow-ups of what those passages name; with no gap named (sentences were
        lost), the pool's next best passages. The caller adds what is new to the evidence and notes it."""
        if missing.strip():
            found = [trace.searched(q, "gap", source.search(q)) for q in (f"{question} {missing}", missing)]
            hopped, _ = multi_hop_search(source.searcher, missing, k=self.settings.candidates, first=found[-1])
            return hop_fuse(found[0], [*found[1:], hopped])
        return pool


def _best(ranking: list[Hit], avoid: set[str]) -> Hit | None:
    return next((h for h in ranking if h.doc_id not in avoid), None)
