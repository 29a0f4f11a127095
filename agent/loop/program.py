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

from sleuth.agent.checks.attribution import Tokens, names_of
from sleuth.agent.loop.budget import Budget
from sleuth.agent.loop.draft import Drafter
from sleuth.agent.loop.followup import Contextualise
from sleuth.agent.loop.judge import Judge, with_coverage
from sleuth.agent.loop.phrase import ShortAnswer
from sleuth.agent.loop.plan import Plan
from sleuth.agent.loop.react import Explore
from sleuth.agent.loop.retrieve import Retrieve
from sleuth.agent.loop.reuse import Reuse
from sleuth.agent.loop.run import Draft, Run, StepSink, TokenSink, diverse, unique_docs
from sleuth.agent.loop.shape import question_shape
from sleuth.agent.loop.verify import NOT_FOUND, Verified, Verify, extractive_answer
from sleuth.prompts.signatures import AnswerWithCitations
from sleuth.schema import Citation
from sleuth.settings import AgentSettings
from sleuth.tools.multihop import complete_chain
from sleuth.tools.passages import MemoryLookup, ResearchTools
from sleuth.tools.search import HybridSearcher
from sleuth.tools.text import content_words

if TYPE_CHECKING:
    from sleuth.memory.recall import Recollection

NEW_PER_ROUND = 2  # passages one further round may add to the evidence
MIN_SENTENCES = 1  # an answer left with fewer supported sentences than this after verification is worth a round
NO_GAP = {"", "none", "nothing", "n/a", "na", "empty", "no", "unknown", "-"}
LOOPS = {"auto": "adaptive", "guided": "full"}
_NOT_A_GAP = content_words(  # words of the instructions and of "the passages do not say" phrasings
    AnswerWithCitations.instructions
    + " what asks that does provide information mention mentioned specify specified says state states given "
    "needs about question passages passage answer nothing missing none provided there this these detail details"
)


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

    def __deepcopy__(self, memo: dict[int, Any]) -> ResearchProgram:
        """Copies the modules an optimizer tunes; the searcher, its index and models are shared, not copied."""
        import copy

        clone = self.__class__.__new__(self.__class__)
        for name, value in self.__dict__.items():
            clone.__dict__[name] = value if name in ("searcher", "settings") else copy.deepcopy(value, memo)
        return clone

    def forward(
        self,
        question: str,
        emit: StepSink | None = None,
        memory: Recollection | None = None,
        memory_lookup: MemoryLookup | None = None,
        loop: str = "adaptive",
        on_token: TokenSink | None = None,
        cancel: threading.Event | None = None,
        previous: tuple[str, str] | None = None,
    ) -> dspy.Prediction:
        """Researches `question`; `previous` (the conversation's last question and answer) lets a follow-up be
        rewritten into a question that stands alone first."""
        tools = ResearchTools(self.searcher, self.settings.candidates, memory_lookup)
        budget = Budget(self.settings, self.max_output_tokens)
        run = Run(question, budget, tools, emit=emit, on_token=on_token, memory=memory, cancel=cancel)
        if previous:
            run.question = self.contextualise(run, previous)
        if memory and memory.reuse and self.reuse(run):
            return self._reused(run)
        if memory and memory.similar:
            use = memory.report(reused=False, plan_used=bool(memory.plan))
            run.record("recall", time.perf_counter(), **use.model_dump(exclude={"used", "reused_run"}))
        loop = LOOPS.get(loop, loop)
        if loop == "full":
            verified = self._full(run)
        elif loop == "react":
            verified = self._react(run)
        elif loop == "single-shot":
            verified = self._single_shot(run)
        else:
            verified = self._adaptive(run)
        return self._prediction(run, verified, question)

    # -- the three loops ---------------------------------------------------------------------------------------

    def _adaptive(self, run: Run) -> Verified | None:
        started = time.perf_counter()
        shape = question_shape(run.question)
        plan_it = shape.multi_part or bool(run.memory and run.memory.plan)
        reason = shape.reason if shape.multi_part else ("memory holds a plan" if plan_it else shape.reason)
        run.path = "deep" if plan_it else "fast"
        run.record("route", started, path=run.path, reason=reason)
        if plan_it:
            run.sub_questions, run.queries = self.planner(run, rewrite=False, why=reason)
        self.retriever(run, run.sub_questions, run.queries)
        run.evidence = with_coverage(run, diverse(run.pool, self.settings.top_k))
        if self.settings.chain_only and not plan_it and (chain := complete_chain(run.evidence, run.question)):
            started, kept = time.perf_counter(), unique_docs(chain)
            left = [doc for doc in unique_docs(run.evidence) if doc not in kept]
            run.evidence = chain
            run.record("chain", started, kept=kept, left=left)
        return self._draft_rounds(run, with_lm_check=False)

    def _single_shot(self, run: Run) -> Verified | None:
        started = time.perf_counter()
        run.path = "single-shot"
        run.record("route", started, path=run.path, reason="the single-shot baseline: one search, one answer call")
        run.pool = run.searched(run.question, "question", run.tools.search(run.question, rerank=True))
        run.budget.charge_tool()
        run.record("search", started, queries=[run.question], candidates=len(run.pool), top=unique_docs(run.pool)[:10])
        run.evidence = diverse(run.pool, self.settings.top_k)
        return self._draft_rounds(run, with_lm_check=False, rounds=1)

    def _full(self, run: Run) -> Verified | None:
        run.path = "full"
        run.sub_questions, run.queries = self.planner(run, rewrite=True, why="the full loop plans every question")
        self.retriever(run, run.sub_questions, run.queries)
        self.judge(run)
        return self._draft_rounds(run, with_lm_check=True)

    def _react(self, run: Run) -> Verified | None:
        run.path = "react"
        self.retriever(run)
        if run.pool:
            self.explorer(run)
        self.judge(run)
        return self._draft_rounds(run, with_lm_check=True, rounds=1)

    def _draft_rounds(self, run: Run, with_lm_check: bool, rounds: int | None = None) -> Verified | None:
        """Draft and verify; while the draft names a gap or verification lost sentences, search for what is missing
        and draft again over the grown evidence. The best verified draft is kept."""
        if not run.evidence:
            return None
        best: Verified | None = None
        for round_no in range(1, (rounds or self.settings.max_rounds) + 1):
            draft = self.drafter(run, optional=round_no > 1)
            if draft is None:
                break
            verified = self.verifier(run, draft, with_lm=with_lm_check)
            _say_what_is_missing(verified, draft, run)
            if best is None or verified.score >= best.score:
                best = verified
            why = _needs_another_round(draft, verified, run.question)
            room = min(NEW_PER_ROUND, self.settings.max_evidence - len(run.evidence))
            if not why or room <= 0 or round_no == (rounds or self.settings.max_rounds):
                break
            if run.path == "fast":
                run.path = "deep"
            run.record("route", time.perf_counter(), path=run.path, reason=why)
            if not run.budget.allows_tool_call(reserve=1) or not self.retriever.gap(
                run, _gap(draft, run.question), room
            ):
                break
        if best is not None and best.citations:
            best.short = self.short_answer(run, best)
        return best

    # -- the answer --------------------------------------------------------------------------------------------

    def _prediction(self, run: Run, verified: Verified | None, question: str) -> dspy.Prediction:
        run.check()
        if verified is None and run.evidence and (run.lm_failed or run.errors):
            verified = extractive_answer(run, run.errors[-1] if run.errors else "the LM wrote no answer")
        if verified is None or not verified.citations:
            text, citations, short = NOT_FOUND, [], "unknown"
        else:
            text, citations, short = verified.text, verified.citations, verified.short
        cited = {c.chunk_id for c in citations}
        return dspy.Prediction(
            answer=text,
            short_answer=short,
            citations=citations,
            sub_questions=run.sub_questions,
            queries=run.queries,
            searches=run.searches,
            evidence=run.seen(cited),
            retrieved=unique_docs(run.pool),
            steps=run.steps,
            usage=run.budget.usage,
            path=run.path,
            standalone=run.question if run.question != question else "",
            lm_failed=run.lm_failed,
            error="; ".join(dict.fromkeys(run.errors)) or None,  # the same failure twice is said once
            memory=run.memory.report(reused=False, plan_used=bool(run.memory.plan)) if run.memory else None,
        )

    def _reused(self, run: Run) -> dspy.Prediction:
        memory = run.memory
        assert memory is not None and memory.reused_answer is not None
        past = memory.reused_answer
        return dspy.Prediction(
            answer=past.answer,
            short_answer=past.short_answer,
            citations=past.citations,
            sub_questions=past.sub_questions,
            queries=[],
            searches=[],
            evidence=[],
            retrieved=past.retrieved,
            steps=run.steps,
            usage=run.budget.usage,
            path="memory",
            standalone="",
            lm_failed=False,
            error=None,
            memory=memory.report(reused=True, plan_used=False),
        )


def _meaningful(gap: str, question: str = "") -> bool:
    """A gap worth a search: not "none" or the like, and not the field's own description echoed back (a small LM
    writes "What the question asks that the passages do not say")."""
    new = content_words(gap) - _NOT_A_GAP - content_words(question)  # the question echoed back names no gap
    return gap.strip(" .").lower() not in NO_GAP and len(gap.split()) >= 2 and bool(new)


def _gap(draft: Draft, question: str) -> str:
    return draft.missing if _meaningful(draft.missing, question) else ""


def _needs_another_round(draft: Draft, verified: Verified, question: str) -> str:
    """Why one more round would pay, or "" if it would not. A small LM names something "missing" in almost every
    draft, and a second draft over more passages answered worse more often than better on the benchmark's first
    questions (and on HotpotQA and MuSiQue questions 61-63, which chose these rules), so a gap counts only when the
    draft found no short answer, and lost sentences only when none is left."""
    if not verified.knows_answer and _meaningful(draft.missing, question):
        return f"the draft found no short answer and names a gap: {draft.missing}"
    if verified.lost and verified.sentences < MIN_SENTENCES:
        return f"verification removed {verified.lost} sentence(s) no passage supports, leaving none"
    return ""


def _say_what_is_missing(verified: Verified, draft: Draft, run: Run) -> None:
    """The answer says plainly what the collection did not answer: the part of a multi-part question no cited
    passage covers, or, when the short answer is unknown, what the draft named as missing."""
    if not verified.citations:
        return
    uncovered = uncovered_parts(run.sub_questions, verified.citations)
    if uncovered:
        parts = "; ".join(part.rstrip("?") for part in uncovered)
        verified.text += f" The cited passages do not answer: {parts}."
    elif _meaningful(draft.missing, run.question) and not verified.knows_answer:
        verified.text += f" The collection does not say: {draft.missing.rstrip('.')}."


def uncovered_parts(parts: list[str], citations: list[Citation]) -> list[str]:
    """The parts (sub-questions) no cited passage covers: none names what the part names ("BM25"), or, for a part
    that names nothing, none holds half of its own words (those the other parts do not share)."""
    if len(parts) < 2:
        return []
    words = [{w.rstrip("s") for w in content_words(part)} for part in parts]
    cited = [f"{c.title} {c.text}" for c in citations]
    passages = [Tokens(text) for text in cited]
    stems = [{w.rstrip("s") for w in content_words(text)} for text in cited]
    missing = []
    for i, part in enumerate(parts):
        names = names_of(part)
        own = words[i] - set().union(*(w for j, w in enumerate(words) if j != i))
        if names:
            covered = any(p.has_all(names) for p in passages)
        else:
            covered = not own or any(len(own & passage) >= len(own) / 2 for passage in stems)
        if not covered:
            missing.append(part)
    return missing
