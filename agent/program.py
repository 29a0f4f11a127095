"""The research loop as a DSPy module: plan -> search each query -> fuse -> synthesise -> verify citations.

Two LM calls in the common case (plan, answer); each is optional under the budget. If the LM fails, the loop
falls back to LLM-free retrieval and returns the evidence with `error` set rather than crashing.

Memory (a `Recollection`) may shorten the loop: a matching past answer is returned once the LM agrees the two
questions are the same (one short call instead of a run), a very similar run's plan replaces the planning
call, and similar runs lend queries and cited passages while sources rated down are left out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import dspy

from sleuth.agent.citations import format_passages, resolve_citations
from sleuth.agent.settings import AgentSettings
from sleuth.agent.verify import CitationVerifier
from sleuth.prompts.signatures import (
    AnswerWithCitations,
    CitedSentence,
    PlanResearch,
    SameQuestion,
    render_sentences,
)
from sleuth.schema import Hit, Step, Usage
from sleuth.tools.search import HybridSearcher, fuse

if TYPE_CHECKING:
    from sleuth.memory.recall import Recollection

StepSink = Callable[[Step], None]
MEMORY_WEIGHT = 0.5  # a remembered query or passage counts half as much as a search for this question
RANKED_LOGGED = 20  # candidates recorded per run as evidence seen
NOT_FOUND = "Not found in the collection: none of the passages retrieved for this question supports an answer to it."


class Budget:
    """LM calls and seconds one question may spend; checked before every LM call."""

    def __init__(self, settings: AgentSettings) -> None:
        self.max_llm_calls = settings.max_llm_calls
        self.max_seconds = settings.max_seconds
        self.started = time.perf_counter()
        self.usage = Usage()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def allows_llm_call(self, reserve: int = 0) -> bool:
        """True if one more call fits, keeping `reserve` calls for the steps that must follow."""
        return self.usage.llm_calls + reserve < self.max_llm_calls and self.elapsed < self.max_seconds


class ResearchProgram(dspy.Module):
    def __init__(self, searcher: HybridSearcher, settings: AgentSettings) -> None:
        super().__init__()
        self.searcher = searcher
        self.settings = settings
        self.plan = dspy.Predict(PlanResearch)
        self.synthesise = dspy.Predict(AnswerWithCitations)
        self.same_question = dspy.Predict(SameQuestion)
        self.verifier = CitationVerifier(searcher.embedder)

    def forward(
        self, question: str, emit: StepSink | None = None, memory: Recollection | None = None
    ) -> dspy.Prediction:
        budget = Budget(self.settings)
        steps: list[Step] = []

        def record(step: Step) -> None:
            steps.append(step)
            if emit:
                emit(step)

        errors: list[str] = []
        if memory and memory.reuse and self._confirm_reuse(question, memory, budget, record):
            return self._reused(memory, steps, budget)
        if memory and memory.similar:
            use = memory.report(reused=False, plan_used=bool(memory.plan))
            record(Step(kind="recall", detail=use.model_dump(exclude={"used", "reused_run"})))
        if memory and memory.plan:
            sub_questions, queries = self._remembered_plan(memory, record)
        else:
            sub_questions, queries = self._plan(question, budget, record, errors)
        evidence, pooled = self._retrieve(question, sub_questions, queries, record, memory)
        answer, citations = "", []
        if not evidence:
            answer = NOT_FOUND
        elif budget.allows_llm_call():
            answer, citations = self._answer(question, evidence, budget, record, errors)
        else:
            errors.append("the LM budget was spent before the answer could be written")
        return dspy.Prediction(
            answer=answer,
            citations=citations,
            sub_questions=sub_questions,
            queries=queries,
            evidence=evidence,
            retrieved=_unique_docs(pooled),
            steps=steps,
            usage=budget.usage,
            error="; ".join(errors) or None,
            memory=memory.report(reused=False, plan_used=bool(memory.plan)) if memory else None,
        )

    def _confirm_reuse(self, question: str, memory: Recollection, budget: Budget, record: StepSink) -> bool:
        """Identical questions reuse at once; similar ones only if the LM judges them the same question."""
        from sleuth.memory.recall import is_identical

        past = memory.reuse
        assert past is not None
        started = time.perf_counter()
        detail: dict[str, Any] = {"run_id": past.run_id, "question": past.question, "similarity": past.similarity}
        same, calls = is_identical(question, past.question, past.similarity), 0
        if not same and budget.allows_llm_call(reserve=1):
            calls = 1
            try:
                prediction, usage = self._call(self.same_question, budget, earlier=past.question, new=question)
                same = prediction.same is True
                detail.update(usage.model_dump())
            except Exception as exc:  # an unsure judge means: do the research
                budget.usage.llm_calls += 1
                detail["judge_error"] = f"{type(exc).__name__}: {_first_line(exc)}"
        record(
            Step(
                kind="recall",
                detail={**detail, "reused": same},
                seconds=time.perf_counter() - started,
                llm_calls=calls,
            )
        )
        if not same:
            memory.reuse = memory.reused_answer = None
        return same

    def _reused(self, memory: Recollection, steps: list[Step], budget: Budget) -> dspy.Prediction:
        past = memory.reused_answer
        assert past is not None
        return dspy.Prediction(
            answer=past.answer,
            citations=past.citations,
            sub_questions=past.sub_questions,
            queries=[],
            evidence=[],
            retrieved=past.retrieved,
            steps=steps,
            usage=budget.usage,
            error=None,
            memory=memory.report(reused=True, plan_used=False),
        )

    def _remembered_plan(self, memory: Recollection, record: StepSink) -> tuple[list[str], list[str]]:
        assert memory.plan is not None
        run_id, subs, queries = memory.plan
        subs = subs[: self.settings.max_sub_questions]
        record(Step(kind="plan", detail={"sub_questions": subs, "queries": queries, "from_memory": run_id}))
        return subs, queries

    def _call(self, predictor: dspy.Predict, budget: Budget, **inputs: Any) -> tuple[dspy.Prediction, Usage]:
        with dspy.context(track_usage=True):
            prediction = predictor(**inputs)
        usage = Usage(llm_calls=1)
        for stats in (prediction.get_lm_usage() or {}).values():
            usage.input_tokens += int(stats.get("prompt_tokens") or stats.get("input_tokens") or 0)
            usage.output_tokens += int(stats.get("completion_tokens") or stats.get("output_tokens") or 0)
        budget.usage.add(usage)
        return prediction, usage

    def _plan(self, question: str, budget: Budget, record: StepSink, errors: list[str]) -> tuple[list[str], list[str]]:
        started = time.perf_counter()
        if not budget.allows_llm_call(reserve=1):
            return [question], []
        try:
            prediction, usage = self._call(self.plan, budget, question=question)
        except Exception as exc:  # a failing LM degrades to searching the question itself
            errors.append(f"planning failed ({type(exc).__name__}: {exc}); searched the question as asked")
            budget.usage.llm_calls += 1
            return [question], []
        subs = _clean_list(prediction.sub_questions)[: self.settings.max_sub_questions] or [question]
        queries = _clean_list(prediction.queries)[:3]
        record(
            Step(
                kind="plan",
                detail={"sub_questions": subs, "queries": queries, **usage.model_dump()},
                seconds=time.perf_counter() - started,
                llm_calls=1,
            )
        )
        return subs, queries

    def _retrieve(
        self,
        question: str,
        subs: list[str],
        queries: list[str],
        record: StepSink,
        memory: Recollection | None = None,
    ) -> tuple[list[Hit], list[Hit]]:
        started = time.perf_counter()
        searches = list(dict.fromkeys([question, *subs, *queries]))
        remembered = [q for q in (memory.queries if memory else []) if q not in searches]
        rankings = [self.searcher.search(q, k=self.settings.candidates) for q in [*searches, *remembered]]
        weights = [1.0] * len(searches) + [MEMORY_WEIGHT] * len(remembered)
        if memory and memory.pinned:
            rankings.append(memory.pinned)
            weights.append(MEMORY_WEIGHT)
        pooled = fuse(rankings, weights=weights)
        avoid = memory.avoid_docs if memory else set()
        avoided = sorted({h.doc_id for h in pooled if h.doc_id in avoid})
        pooled = [h for h in pooled if h.doc_id not in avoid]
        evidence = _diverse(pooled, self.settings.top_k, per_doc=2)
        record(
            Step(
                kind="search",
                detail={
                    "queries": searches,
                    "memory_queries": remembered,
                    "candidates": len(pooled),
                    "kept": [h.chunk_id for h in evidence],
                    "avoided": avoided,
                    "ranked": [
                        {"chunk_id": h.chunk_id, "doc_id": h.doc_id, "title": h.chunk.title, "score": h.score}
                        for h in pooled[:RANKED_LOGGED]
                    ],
                    "per_query": {
                        q: _unique_docs(r)[:10] for q, r in zip([*searches, *remembered], rankings, strict=False)
                    },
                },
                seconds=time.perf_counter() - started,
            )
        )
        return evidence, pooled

    def _answer(
        self, question: str, evidence: list[Hit], budget: Budget, record: StepSink, errors: list[str]
    ) -> tuple[str, list[Any]]:
        started = time.perf_counter()
        passages = format_passages(evidence, self.settings.passage_chars)
        try:
            prediction, usage = self._call(self.synthesise, budget, question=question, passages=passages)
            drafted = _sentences(prediction.answer)
        except Exception as exc:
            usage = Usage(llm_calls=1)
            budget.usage.llm_calls += 1
            drafted = salvage_sentences(exc)
            if not drafted:
                errors.append(f"writing the answer failed ({type(exc).__name__}: {_first_line(exc)})")
                return "", []
        verified, unsupported = self.verifier.verify(drafted, evidence)
        cited = [s for s in verified if s.sources]
        uncited = len(verified) - len(cited)
        text, citations, dropped = resolve_citations(render_sentences(cited), evidence)
        if not citations:
            text = NOT_FOUND
        record(
            Step(
                kind="synthesise",
                detail={
                    "cited": [c.chunk_id for c in citations],
                    "dangling_removed": dropped,
                    "unsupported_removed": unsupported,
                    "uncited_sentences_removed": uncited,
                    **usage.model_dump(),
                },
                seconds=time.perf_counter() - started,
                llm_calls=1,
            )
        )
        return text, citations


def salvage_sentences(exc: Exception) -> list[CitedSentence]:
    """The complete sentences of an answer whose JSON was cut off or malformed (a small LM's usual failure)."""
    import json_repair

    raw = getattr(exc, "lm_response", None)
    if not raw:
        return []
    data = json_repair.loads(raw)
    data = data.get("answer", data) if isinstance(data, dict) else {}
    items = data.get("sentences", []) if isinstance(data, dict) else []
    out = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("text"), str) and isinstance(item.get("sources"), list):
            sources = [n for n in item["sources"] if isinstance(n, int)]
            out.append(CitedSentence(text=item["text"][:500], sources=sources[:4]))
    return out


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _sentences(answer: Any) -> list[Any]:
    return list(getattr(answer, "sentences", None) or [])


def _clean_list(values: Any) -> list[str]:
    if isinstance(values, str):
        values = [values]
    seen: dict[str, None] = {}
    for value in values or []:
        text = " ".join(str(value).split())
        if text:
            seen.setdefault(text, None)
    return list(seen)


def _diverse(hits: list[Hit], k: int, per_doc: int) -> list[Hit]:
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


def _unique_docs(hits: list[Hit]) -> list[str]:
    return list(dict.fromkeys(h.doc_id for h in hits))
