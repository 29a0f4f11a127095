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

import time

import dspy

from sleuth.agent.loop.run import Run, unique_docs
from sleuth.schema import Hit, Search
from sleuth.settings import AgentSettings
from sleuth.tools.multihop import chain_first, hop_fuse, multi_hop_search

MEMORY_WEIGHT = 0.5  # a remembered query or passage counts half as much as a search for this question


class Retrieve(dspy.Module):
    def __init__(self, settings: AgentSettings) -> None:
        super().__init__()
        self.settings = settings

    def forward(self, run: Run, sub_questions: list[str] | None = None, queries: list[str] | None = None) -> None:
        """Fills `run.pool`; `run.covering` keeps each sub-question's best passage (so evidence covers every part)."""
        started = time.perf_counter()
        subs = [s for s in sub_questions or [] if s != run.question]
        searches = list(dict.fromkeys([run.question, *subs, *(queries or [])]))
        remembered = [q for q in (run.memory.queries if run.memory else []) if q not in searches]
        sources = {q: "sub_question" if q in subs else "rewrite" for q in searches[1:]}
        rankings = [run.searched(run.question, "question", run.tools.search(run.question, rerank=True))]
        rankings += [run.searched(q, sources[q], run.tools.search(q)) for q in searches[1:]]
        rankings += [run.searched(q, "memory", run.tools.search(q)) for q in remembered]
        weights = [1.0] * (len(searches) - 1) + [MEMORY_WEIGHT] * len(remembered)
        hopped, hops = multi_hop_search(run.tools.searcher, run.question, k=self.settings.candidates, first=rankings[0])
        run.searches += [Search(query=query, source="hop") for query in hops[1:]]
        rankings.append(hopped)
        weights.append(1.0)
        if run.memory and run.memory.pinned:
            rankings.append(run.memory.pinned)
            weights.append(MEMORY_WEIGHT)
        pooled = hop_fuse(rankings[0], rankings[1:], weights=weights)
        avoided = sorted({h.doc_id for h in pooled if h.doc_id in run.avoided})
        run.pool = [h for h in pooled if h.doc_id not in run.avoided]
        if self.settings.chain_first:
            run.pool = chain_first(run.pool, run.question)
        run.covering = {sub: _best(rankings[1 + i], run.avoided) for i, sub in enumerate(subs)}
        run.budget.charge_tool()
        run.record(
            "search",
            started,
            queries=searches,
            memory_queries=remembered,
            multi_hop_queries=hops[1:],
            candidates=len(run.pool),
            avoided=avoided,
            top=unique_docs(run.pool)[:10],
        )

    def gap(self, run: Run, missing: str, room: int) -> list[Hit]:
        """The passages a gap the draft named leads to: the gap searched with and without the question, plus the
        multi-hop follow-ups of what those passages name; at most `room` new ones."""
        started = time.perf_counter()
        if missing.strip():
            found = [run.searched(q, "gap", run.tools.search(q)) for q in (f"{run.question} {missing}", missing)]
            hopped, _ = multi_hop_search(run.tools.searcher, missing, k=self.settings.candidates, first=found[-1])
            ranked = hop_fuse(found[0], [*found[1:], hopped])
        else:  # no gap named (sentences were lost): the pool's next best passages
            ranked = run.pool
        added = run.add_evidence(ranked, room)
        run.budget.charge_tool()
        run.record(
            "tool", started, tool="search", argument=missing, found=len(ranked), added=[h.chunk_id for h in added]
        )
        return added


def _best(ranking: list[Hit], avoid: set[str]) -> Hit | None:
    return next((h for h in ranking if h.doc_id not in avoid), None)
