"""The research loop as a DSPy module composed of one module per stage.

    adaptive (default): retrieve (hybrid + LLM-free multi-hop) -> draft -> verify
                        + plan first when the question asks for several things (agent/loop/shape.py)
                        + one more round when the draft names a gap or verification loses sentences
    full:               plan -> rewrite -> retrieve -> judge -> draft [-> gap round -> draft] -> verify + LM check
    react:              retrieve -> dspy.ReAct over the tools -> judge -> draft -> verify + LM check
    single-shot:        the question's hybrid search -> draft -> verify (the RAG baseline the loops must beat)

Small untrained LMs lose as free-form agents and win when retrieval does the hopping (Search-R1's 3B baselines),
so the default spends an LM call only where one pays: the answer, a plan for multi-part questions, a second draft
when the first says what it lacks. Every call is checked against the budget first, optional stages leave the
answer call its reserved time, and when the LM fails the run degrades (the draft so far, or an extractive answer
from the evidence) with `error` set instead of raising. `Answer.steps` says which path ran and why.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import dspy

from sleuth.agent.checks.sentences import answering_sentence
from sleuth.agent.loop.budget import Budget
from sleuth.agent.loop.by_parts import ByParts
from sleuth.agent.loop.chain import Chain, looks_chained
from sleuth.agent.loop.draft import Draft, Drafter
from sleuth.agent.loop.followup import Contextualise
from sleuth.agent.loop.judge import Judge
from sleuth.agent.loop.outcome import answer_of, report_of, reused_answer
from sleuth.agent.loop.parts import Part, named_works, one_work, work_parts
from sleuth.agent.loop.phrase import ShortAnswer
from sleuth.agent.loop.plan import Plan
from sleuth.agent.loop.react import Explore
from sleuth.agent.loop.report import Reporter
from sleuth.agent.loop.research import Research, diverse
from sleuth.agent.loop.retrieve import Retrieve
from sleuth.agent.loop.reuse import Reuse
from sleuth.agent.loop.rounds import gap_of, needs_another_round, say_what_is_missing
from sleuth.agent.loop.shape import question_shape
from sleuth.agent.loop.trace import StepSink, TokenSink, Trace, unique_docs
from sleuth.agent.loop.verify import Verified, Verify
from sleuth.schema import Answer, Hit, Report
from sleuth.settings import AgentSettings
from sleuth.tools.multihop import complete_chain
from sleuth.tools.passages import MemoryLookup, PassageSource
from sleuth.tools.search import HybridSearcher

if TYPE_CHECKING:
    from sleuth.memory.recall import Recollection

NEW_PER_ROUND = 2  # passages one further round may add to the evidence
LOOPS = {"auto": "adaptive", "guided": "full"}


class ResearchProgram(dspy.Module):
    def __init__(self, searcher: HybridSearcher, settings: AgentSettings, max_output_tokens: int = 256) -> None:
        super().__init__()
        self.searcher = searcher
        self.settings = settings
        self.max_output_tokens = max_output_tokens
        self.contextualise = Contextualise()
        self.reuse = Reuse()
        self.planner = Plan(settings)
        self.retriever = Retrieve(settings)
        self.judge = Judge(settings)
        self.explorer = Explore(settings)
        self.drafter = Drafter(settings)
        self.verifier = Verify(settings)
        self.short_answer = ShortAnswer()
        self.chain = Chain(settings)
        self.by_parts = ByParts(settings, self.drafter, self.verifier, self.short_answer)
        self.reporter = Reporter(settings, self.retriever, self.drafter, self.verifier)

    def __deepcopy__(self, memo: dict[int, Any]) -> ResearchProgram:
        """Copies the modules an optimizer tunes; the searcher, its index and models are shared, not copied."""
        import copy

        clone = self.__class__.__new__(self.__class__)
        for name, value in self.__dict__.items():
            clone.__dict__[name] = value if name in ("searcher", "settings") else copy.deepcopy(value, memo)
        return clone

    def trace(
        self, emit: StepSink | None = None, on_token: TokenSink | None = None, cancel: threading.Event | None = None
    ) -> Trace:
        """A new question's trace: a fresh budget (its clock starts now), the sinks its steps and tokens go to."""
        return Trace(Budget(self.settings, self.max_output_tokens), emit=emit, on_token=on_token, cancel=cancel)

    def forward(
        self,
        question: str,
        trace: Trace | None = None,
        memory: Recollection | None = None,
        memory_lookup: MemoryLookup | None = None,
        loop: str = "adaptive",
        previous: tuple[str, str] | None = None,
    ) -> Answer:
        """Researches `question` and answers it; what the run spent, did and failed at is in `trace` (a new one if
        none is given). `previous` (the conversation's last question and answer) lets a follow-up be rewritten into
        a question that stands alone first."""
        trace = trace or self.trace()
        source = PassageSource(self.searcher, self.settings.candidates, memory_lookup)
        asked = self.contextualise(trace, question, previous) if previous else question
        research = Research(asked, memory)
        if memory and memory.reuse and self.reuse(trace, asked, memory):
            return reused_answer(trace, memory, question)
        if memory and memory.similar:
            use = memory.report(reused=False, plan_used=bool(memory.plan))
            trace.record("recall", time.perf_counter(), **use.model_dump(exclude={"used", "reused_run"}))
        loop = LOOPS.get(loop, loop)
        if loop == "full":
            verified = self._full(trace, source, research)
        elif loop == "react":
            verified = self._react(trace, source, research)
        elif loop == "single-shot":
            verified = self._single_shot(trace, source, research)
        else:
            verified = self._adaptive(trace, source, research)
        return answer_of(trace, self.searcher.embedder, research, verified, question)

    def report(self, question: str, trace: Trace | None = None) -> Report:
        """A report on a broad question: an overview and a section per aspect of the evidence (agent/loop/report.py)."""
        trace = trace or self.trace()
        written = self.reporter(trace, PassageSource(self.searcher, self.settings.candidates), question)
        trace.check()
        return report_of(trace, written, question)

    # -- the loops ---------------------------------------------------------------------------------------------

    def _adaptive(self, trace: Trace, source: PassageSource, research: Research) -> Verified | None:
        started = time.perf_counter()
        shape = question_shape(research.question)
        plan_it = shape.multi_part or bool(research.memory and research.memory.plan)
        reason = shape.reason if shape.multi_part else ("memory holds a plan" if plan_it else shape.reason)
        research.path = "deep" if plan_it else "fast"
        trace.record("route", started, path=research.path, reason=reason)
        by_parts = self.settings.by_parts and shape.kind != "choice"
        work = ""  # the one work a question of several parts is about, if it names one
        self._retrieve(trace, source, research)
        if by_parts:  # works the question lists together ("X and Y") are its parts, whatever its cue words
            works = named_works(research.question, research.pool, source.search)
            if works:
                return self.by_parts.works(trace, source, research, work_parts(research.question, works))
            work = one_work(research.question, research.pool, source.search) if plan_it else ""
        if plan_it:
            self._plan(trace, research, rewrite=False, why=reason)
            self._retrieve(trace, source, research)  # the question again, with the plan's sub-questions
        if by_parts and plan_it and len(research.sub_questions) >= 2:
            parts = [Part(sub, sub) for sub in research.sub_questions]
            return self.by_parts.sub_questions(trace, source, research, parts, work)
        research.evidence = research.with_coverage(diverse(research.pool, self.settings.top_k))
        complete = complete_chain(research.evidence, research.question) if not plan_it else []
        if self.settings.by_hops and not plan_it and not complete and looks_chained(research.question):
            steps = self.chain(trace, research.question)
            if steps and (hops := self.by_parts.hops(trace, source, research, steps)) is not None:
                return hops
        if self.settings.chain_only and (chain := complete):
            started, kept = time.perf_counter(), unique_docs(chain)
            left = [doc for doc in unique_docs(research.evidence) if doc not in kept]
            research.evidence = chain
            trace.record("chain", started, kept=kept, left=left)
        return self._draft_rounds(trace, source, research, with_lm_check=False)

    def _single_shot(self, trace: Trace, source: PassageSource, research: Research) -> Verified | None:
        started = time.perf_counter()
        research.path = "single-shot"
        trace.record(
            "route", started, path=research.path, reason="the single-shot baseline: one search, one answer call"
        )
        question = research.question
        research.pool = trace.searched(question, "question", source.search(question, rerank=True))
        trace.budget.charge_tool()
        trace.record(
            "search", started, queries=[question], candidates=len(research.pool), top=unique_docs(research.pool)[:10]
        )
        research.evidence = diverse(research.pool, self.settings.top_k)
        return self._draft_rounds(trace, source, research, with_lm_check=False, rounds=1)

    def _full(self, trace: Trace, source: PassageSource, research: Research) -> Verified | None:
        research.path = "full"
        self._plan(trace, research, rewrite=True, why="the full loop plans every question")
        self._retrieve(trace, source, research)
        self._judge(trace, research)
        return self._draft_rounds(trace, source, research, with_lm_check=True)

    def _react(self, trace: Trace, source: PassageSource, research: Research) -> Verified | None:
        research.path = "react"
        self._retrieve(trace, source, research)
        if research.pool:
            research.evidence = self.explorer(trace, source, research.question, research.pool)
        self._judge(trace, research)
        return self._draft_rounds(trace, source, research, with_lm_check=True, rounds=1)

    # -- the stages, given what each needs ---------------------------------------------------------------------

    def _plan(self, trace: Trace, research: Research, rewrite: bool, why: str) -> None:
        planned = self.planner(trace, research.question, research.memory, rewrite=rewrite, why=why)
        research.sub_questions, research.queries = planned.sub_questions, planned.queries

    def _retrieve(self, trace: Trace, source: PassageSource, research: Research) -> None:
        pool = self.retriever(
            trace, source, research.question, research.sub_questions, research.queries, research.memory
        )
        research.pool, research.covering, research.rankings = pool.hits, pool.covering, pool.rankings

    def _judge(self, trace: Trace, research: Research) -> None:
        """The useful passages of what a tool loop read, or else of the pool's best."""
        if research.evidence:
            candidates, top_k = research.evidence[: self.settings.filter_candidates + 2], self.settings.max_evidence
        else:
            candidates = research.with_coverage(diverse(research.pool, self.settings.filter_candidates))
            top_k = self.settings.top_k
        covering = [h for h in research.covering.values() if h is not None]
        research.evidence = self.judge(trace, self.searcher.embedder, research.question, candidates, top_k, covering)

    def _draft_rounds(
        self, trace: Trace, source: PassageSource, research: Research, with_lm_check: bool, rounds: int | None = None
    ) -> Verified | None:
        """Draft and verify; while the draft names a gap or verification lost sentences, search for what is missing
        and draft again over the grown evidence. The best verified draft is kept."""
        if not research.evidence:
            return None
        embedder, question = self.searcher.embedder, research.question
        best: Verified | None = None
        last = rounds or self.settings.max_rounds
        for round_no in range(1, last + 1):
            draft = self.drafter(trace, embedder, question, research.evidence, optional=round_no > 1)
            if draft is None:
                break
            verified = self.verifier(trace, embedder, question, draft, research.evidence, with_lm=with_lm_check)
            if self.settings.must_answer and research.path != "single-shot":
                verified = self._must_answer(trace, question, draft, verified, research.evidence)
            say_what_is_missing(verified, draft, question, research.sub_questions, research.evidence)
            if best is None or verified.score >= best.score:
                best = verified
            why = needs_another_round(draft, verified, question)
            room = min(NEW_PER_ROUND, self.settings.max_evidence - len(research.evidence))
            if not why or room <= 0 or round_no == last:
                break
            if research.path == "fast":
                research.path = "deep"
            trace.record("route", time.perf_counter(), path=research.path, reason=why)
            if not trace.budget.allows_tool_call(reserve=1) or not self._gap(
                trace, source, research, gap_of(draft, question), room
            ):
                break
        if best is not None and best.citations:
            best.short = self.short_answer(trace, question, best)
        return best

    def _must_answer(
        self, trace: Trace, question: str, draft: Draft, verified: Verified, evidence: list[Hit]
    ) -> Verified:
        """A checked answer that does not hold what the question asks about gets its cited passages' sentence that
        does, and is checked again with it."""
        started = time.perf_counter()
        if not verified.cited or not (extra := answering_sentence(verified.cited, question, evidence)):
            return verified
        trace.record("answers", started, added=extra.text, sources=extra.sources)
        kept = Draft([*verified.cited, extra], draft.short_answer, draft.missing, draft.exchange)
        again = self.verifier(trace, self.searcher.embedder, question, kept, evidence, with_lm=False)  # kept: checked
        return again if len(again.cited) > len(verified.cited) else verified

    def _gap(self, trace: Trace, source: PassageSource, research: Research, missing: str, room: int) -> list[Hit]:
        """Searches for what the draft said is missing; adds up to `room` new passages to the evidence."""
        with trace.stage("tool") as stage:
            ranked = self.retriever.gap(trace, source, research.question, missing, research.pool)
            added = research.add_evidence(ranked, room)
            trace.budget.charge_tool()
            stage.note(tool="search", argument=missing, found=len(ranked), added=[h.chunk_id for h in added])
        return added
