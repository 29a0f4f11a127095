"""The research loop as a DSPy module.

    recall memory -> plan (sub-questions) -> rewrite (queries) -> search and fuse -> filter by utility
      -> draft an answer, name what is missing, choose a tool -> run it -> draft again ... -> verify -> cite

Every stage is a DSPy Predict over a Signature in `prompts/`, so `sleuth optimize` can compile them. The loop
follows what the RAG literature found to work: decomposition into sub-questions, several rewritten queries per
sub-question, utility filtering of the pooled evidence with its key sentences extracted and the best passages
put where a reader does not lose them, iteration driven by the gaps a draft names (Iter-RetGen), and a
citation check that drops what the passages do not support.

Two loops share these stages. `guided` (small local LMs): each draft answer also names what is missing and one
of a few fixed actions (search, read a passage's neighbours or its document, recall memory, finish), all
schema-constrained. `react` (strong LMs): dspy.ReAct calls the same tools freely, then the answer is drafted and
checked as in the guided loop. Every LM call is checked against the budget first (calls, tokens, steps,
seconds); when the LM fails the run degrades (LLM-free multi-hop retrieval, the draft so far) and returns with
`error` set instead of raising.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import dspy

from sleuth.agent.budget import Budget
from sleuth.agent.citations import format_passages, resolve_citations
from sleuth.agent.verify import CitationVerifier
from sleuth.prompts.signatures import (
    AnswerWithCitations,
    CheckSupport,
    CitedSentence,
    JudgeUtility,
    PlanResearch,
    ResearchNotes,
    RewriteQueries,
    SameQuestion,
    render_sentences,
    split_markers,
)
from sleuth.schema import Hit, Step, Usage
from sleuth.settings import AgentSettings
from sleuth.tools.research import MemoryLookup, ResearchTools, key_sentences
from sleuth.tools.search import HybridSearcher, fuse

if TYPE_CHECKING:
    from sleuth.memory.recall import Recollection

StepSink = Callable[[Step], None]
MEMORY_WEIGHT = 0.5  # a remembered query or passage counts half as much as a search for this question
RANKED_LOGGED = 20  # candidates recorded per run as evidence seen
NEW_PER_TOOL = 2  # passages one tool call may add to the evidence
NOT_FOUND = "Not found in the collection: none of the passages retrieved for this question supports an answer to it."
TRANSIENT = {
    "Timeout",
    "TimeoutError",
    "APITimeoutError",
    "APIConnectionError",
    "ConnectionError",
    "RateLimitError",
    "ServiceUnavailableError",
    "InternalServerError",
}
MAX_RETRIES = 3


@dataclass
class Draft:
    sentences: list[CitedSentence]
    short_answer: str = ""
    missing: str = ""
    action: str = "finish"
    argument: str = ""


@dataclass
class Run:
    """The state of one question's research: what was spent, found and recorded."""

    question: str
    budget: Budget
    emit: StepSink | None
    memory: Recollection | None
    tools: ResearchTools
    steps: list[Step] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    evidence: list[Hit] = field(default_factory=list)
    pooled: list[Hit] = field(default_factory=list)
    lm_failed: bool = False

    def record(self, kind: str, started: float, llm_calls: int = 0, **detail: Any) -> None:
        step = Step(kind=kind, detail=detail, seconds=time.perf_counter() - started, llm_calls=llm_calls)
        self.steps.append(step)
        if self.emit:
            self.emit(step)

    def fail(self, what: str, exc: Exception) -> None:
        self.errors.append(f"{what} failed ({type(exc).__name__}: {_first_line(exc)})")

    def add_evidence(self, hits: list[Hit], limit: int) -> list[Hit]:
        """Adds up to `limit` passages not yet in the evidence (and not from avoided sources); returns them."""
        have = {h.chunk_id for h in self.evidence}
        avoid = self.memory.avoid_docs if self.memory else set()
        new = [h for h in hits if h.chunk_id not in have and h.doc_id not in avoid][:limit]
        self.evidence.extend(new)
        return new


class ResearchProgram(dspy.Module):
    def __init__(self, searcher: HybridSearcher, settings: AgentSettings, max_output_tokens: int = 256) -> None:
        super().__init__()
        self.searcher = searcher
        self.settings = settings
        self.max_output_tokens = max_output_tokens
        self.plan = dspy.Predict(PlanResearch)
        self.rewrite = dspy.Predict(RewriteQueries)
        self.judge = dspy.Predict(JudgeUtility)
        self.synthesise = dspy.Predict(AnswerWithCitations)
        self.check = dspy.Predict(CheckSupport)
        self.same_question = dspy.Predict(SameQuestion)
        self.verifier = CitationVerifier(searcher.embedder)

    def __deepcopy__(self, memo: dict[int, Any]) -> ResearchProgram:
        """Copies the modules an optimizer tunes; the searcher, its index and models are shared, not copied."""
        import copy

        clone = self.__class__.__new__(self.__class__)
        for name, value in self.__dict__.items():
            shared = name in ("searcher", "verifier", "settings")
            clone.__dict__[name] = value if shared else copy.deepcopy(value, memo)
        return clone

    def forward(
        self,
        question: str,
        emit: StepSink | None = None,
        memory: Recollection | None = None,
        memory_lookup: MemoryLookup | None = None,
        loop: str = "guided",
    ) -> dspy.Prediction:
        tools = ResearchTools(self.searcher, self.settings.candidates, memory_lookup)
        run = Run(question, Budget(self.settings, self.max_output_tokens), emit, memory, tools)
        if memory and memory.reuse and self._confirm_reuse(run):
            return self._reused(run)
        if memory and memory.similar:
            use = memory.report(reused=False, plan_used=bool(memory.plan))
            run.record("recall", time.perf_counter(), **use.model_dump(exclude={"used", "reused_run"}))
        if memory and memory.plan:
            subs, queries = self._remembered_plan(run)
        else:
            subs = self._plan(run)
            queries = self._rewrite(run, subs)
        self._retrieve(run, subs, queries)
        if loop == "react" and run.pooled:
            self._react(run)
        self._filter(run)
        draft = self._iterate(run, rounds=1 if loop == "react" else self.settings.max_rounds)
        answer, citations, short = self._finish(run, draft)
        return dspy.Prediction(
            answer=answer,
            short_answer=short,
            citations=citations,
            sub_questions=subs,
            queries=queries,
            evidence=run.evidence,
            retrieved=_unique_docs(run.pooled),
            steps=run.steps,
            usage=run.budget.usage,
            error="; ".join(run.errors) or None,
            memory=memory.report(reused=False, plan_used=bool(memory.plan)) if memory else None,
        )

    # -- LM calls ------------------------------------------------------------------------------------------

    def _call(self, predictor: Any, run: Run, **inputs: Any) -> tuple[dspy.Prediction, Usage]:
        """One LM call within the budget: transient errors retried with backoff, malformed output once with the
        other adapter (JSON <-> chat). Each attempt is charged; what still fails is raised."""
        attempt, adapter = 0, None
        while True:
            started = time.perf_counter()
            try:
                with dspy.context(track_usage=True, **({"adapter": adapter} if adapter else {})):
                    prediction = predictor(**inputs)
            except Exception as exc:
                run.budget.charge_call(Usage(llm_calls=1), time.perf_counter() - started, _chars(inputs))
                attempt += 1
                retry = attempt <= MAX_RETRIES and run.budget.allows_llm_call(prompt_chars=_chars(inputs))
                if retry and _is_transient(exc):
                    time.sleep(min(2.0 ** (attempt - 1), max(0.0, run.budget.max_seconds - run.budget.elapsed)))
                    continue
                if retry and _is_parse_error(exc) and adapter is None:
                    adapter = _other_adapter()
                    continue
                raise
            usage = Usage(llm_calls=1)
            for stats in (prediction.get_lm_usage() or {}).values():
                usage.input_tokens += int(stats.get("prompt_tokens") or stats.get("input_tokens") or 0)
                usage.output_tokens += int(stats.get("completion_tokens") or stats.get("output_tokens") or 0)
            run.budget.charge_call(usage, time.perf_counter() - started, _chars(inputs))
            return prediction, usage

    # -- memory ----------------------------------------------------------------------------------------------

    def _confirm_reuse(self, run: Run) -> bool:
        """Identical questions reuse at once; similar ones only if the LM judges them the same question."""
        from sleuth.memory.recall import is_identical

        memory = run.memory
        assert memory is not None and memory.reuse is not None
        past = memory.reuse
        started = time.perf_counter()
        detail: dict[str, Any] = {"run_id": past.run_id, "question": past.question, "similarity": past.similarity}
        same, calls = is_identical(run.question, past.question, past.similarity), 0
        if not same and run.budget.allows_llm_call(reserve=1):
            calls = 1
            try:
                prediction, usage = self._call(self.same_question, run, earlier=past.question, new=run.question)
                same = prediction.same is True
                detail.update(usage.model_dump(exclude={"llm_calls"}))
            except Exception as exc:  # an unsure judge means: do the research
                detail["judge_error"] = f"{type(exc).__name__}: {_first_line(exc)}"
        run.record("recall", started, llm_calls=calls, **detail, reused=same)
        if not same:
            memory.reuse = memory.reused_answer = None
        return same

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
            evidence=[],
            retrieved=past.retrieved,
            steps=run.steps,
            usage=run.budget.usage,
            error=None,
            memory=memory.report(reused=True, plan_used=False),
        )

    def _remembered_plan(self, run: Run) -> tuple[list[str], list[str]]:
        assert run.memory is not None and run.memory.plan is not None
        run_id, subs, queries = run.memory.plan
        subs = subs[: self.settings.max_sub_questions]
        run.record("plan", time.perf_counter(), sub_questions=subs, queries=queries, from_memory=run_id)
        return subs, queries

    # -- planning ------------------------------------------------------------------------------------------------

    def _plan(self, run: Run) -> list[str]:
        started = time.perf_counter()
        if not run.budget.allows_llm_call(reserve=1, prompt_chars=len(run.question)):
            return [run.question]
        try:
            prediction, usage = self._call(self.plan, run, question=run.question)
        except Exception as exc:  # a failing LM degrades to LLM-free multi-hop search of the question itself
            run.fail("planning", exc)
            run.lm_failed = True
            return [run.question]
        subs = _clean_list(prediction.sub_questions)[: self.settings.max_sub_questions] or [run.question]
        run.record("plan", started, llm_calls=1, sub_questions=subs, **usage.model_dump(exclude={"llm_calls"}))
        return subs

    def _rewrite(self, run: Run, subs: list[str]) -> list[str]:
        started = time.perf_counter()
        chars = len(run.question) + sum(map(len, subs))
        if run.lm_failed or not run.budget.allows_llm_call(reserve=1, prompt_chars=chars):
            return []
        try:
            prediction, usage = self._call(self.rewrite, run, question=run.question, sub_questions=subs)
        except Exception as exc:  # the sub-questions themselves are still searched
            run.fail("rewriting queries", exc)
            return []
        queries = _clean_list(prediction.queries)[: 2 * len(subs) + 1]
        run.record("rewrite", started, llm_calls=1, queries=queries, **usage.model_dump(exclude={"llm_calls"}))
        return queries

    # -- retrieval -------------------------------------------------------------------------------------------

    def _retrieve(self, run: Run, subs: list[str], queries: list[str]) -> None:
        started = time.perf_counter()
        memory = run.memory
        searches = list(dict.fromkeys([run.question, *subs, *queries]))
        remembered = [q for q in (memory.queries if memory else []) if q not in searches]
        rankings = [run.tools.search(q, rerank=i == 0) for i, q in enumerate([*searches, *remembered])]
        weights = [1.0] * len(searches) + [MEMORY_WEIGHT] * len(remembered)
        # LLM-free multi-hop: what the first passages name is searched too (a fraction of a second; it finds the
        # second passage of bridge questions: all-found@10 0.92 vs 0.82 single-shot on HotpotQA train100).
        from sleuth.tools.multihop import hop_fuse, multi_hop_search

        hopped, hops = multi_hop_search(self.searcher, run.question, k=self.settings.candidates, first=rankings[0])
        rankings.append(hopped)
        weights.append(1.0)
        if memory and memory.pinned:
            rankings.append(memory.pinned)
            weights.append(MEMORY_WEIGHT)
        # Pooled as the multi-hop search fuses its rounds: the question's ranking plus each passage's best rank
        # under any other query (sub-question, rewrite, hop, memory). Summing ranks instead (RRF) favours passages
        # that match every query a little over the one passage a sub-question needs: with the question and the
        # hop ranking alone, all-found@10 on HotpotQA train100 fell from 0.92 to 0.86 under RRF.
        pooled = hop_fuse(rankings[0], rankings[1:], weights=weights[1:])
        avoid = memory.avoid_docs if memory else set()
        avoided = sorted({h.doc_id for h in pooled if h.doc_id in avoid})
        run.pooled = [h for h in pooled if h.doc_id not in avoid]
        run.budget.charge_tool()
        run.record(
            "search",
            started,
            queries=searches,
            memory_queries=remembered,
            multi_hop_queries=hops[1:],
            candidates=len(run.pooled),
            avoided=avoided,
            ranked=[
                {"chunk_id": h.chunk_id, "doc_id": h.doc_id, "title": h.chunk.title, "score": h.score}
                for h in run.pooled[:RANKED_LOGGED]
            ],
            per_query={q: _unique_docs(r)[:10] for q, r in zip([*searches, *remembered], rankings, strict=False)},
        )

    def _filter(self, run: Run) -> None:
        """Evidence by utility for the question: the LM judges the best pooled passages (at most two per
        document) and keeps the useful ones, best first and last (not lost in the middle)."""
        if run.evidence:  # the react loop has read these: judge them
            candidates = run.evidence[: self.settings.filter_candidates + NEW_PER_TOOL]
        else:
            candidates = _diverse(run.pooled, self.settings.filter_candidates, per_doc=2)
        top_k = self.settings.max_evidence if run.evidence else self.settings.top_k
        started = time.perf_counter()
        judged_chars = self.settings.passage_chars // 2  # the judge reads each passage's key sentences only
        texts = key_sentences(self.searcher.embedder, run.question, candidates, judged_chars)
        passages = format_passages(candidates, judged_chars, texts)
        if (
            run.lm_failed
            or len(candidates) <= 2
            or not run.budget.allows_llm_call(reserve=2, prompt_chars=len(passages))
        ):
            run.evidence = candidates[:top_k]
            run.record("filter", started, kept=[h.chunk_id for h in run.evidence], judged=False)
            return
        try:
            prediction, usage = self._call(self.judge, run, question=run.question, passages=passages)
            useful = [n for n in dict.fromkeys(_ints(prediction.useful)) if 1 <= n <= len(candidates)]
        except Exception as exc:  # keep the retrieval order
            run.fail("judging evidence", exc)
            useful, usage = [], Usage(llm_calls=1)
        kept = [candidates[n - 1] for n in useful][:top_k]
        padded = [h for h in candidates if h not in kept][: max(0, 2 - len(kept))]  # never fewer than two
        run.evidence = _ends_first(kept + padded)
        run.record(
            "filter",
            started,
            llm_calls=1,
            judged=True,
            kept=[h.chunk_id for h in run.evidence],
            useful=[candidates[n - 1].chunk_id for n in useful],
            dropped=[h.chunk_id for h in candidates if h not in run.evidence],
            padded=[h.chunk_id for h in padded],
            **usage.model_dump(exclude={"llm_calls"}),
        )

    # -- the loop ----------------------------------------------------------------------------------------------

    def _iterate(self, run: Run, rounds: int) -> Draft | None:
        """Draft, and while the draft names a gap and an action, run the action and draft again."""
        best: Draft | None = None
        for round_no in range(1, rounds + 1):
            if not run.evidence:
                break
            draft = self._draft(run, round_no)
            if draft is None:
                break
            best = draft
            if draft.action == "finish" or round_no == rounds or len(run.evidence) >= self.settings.max_evidence:
                break
            if not run.budget.allows_tool_call(reserve=2) or not self._act(run, draft):
                break
        return best

    def _draft(self, run: Run, round_no: int) -> Draft | None:
        started = time.perf_counter()
        texts = key_sentences(self.searcher.embedder, run.question, run.evidence, self.settings.passage_chars)
        passages = format_passages(run.evidence, self.settings.passage_chars, texts)
        reserve = 1 if self.settings.verify_with_lm else 0
        if not run.budget.allows_llm_call(reserve=reserve if round_no > 1 else 0, prompt_chars=len(passages)):
            if round_no == 1:
                run.errors.append(f"the budget was spent before the answer could be written ({run.budget.spent()})")
            return None
        try:
            prediction, usage = self._call(self.synthesise, run, question=run.question, passages=passages)
            draft = Draft(
                sentences=list(getattr(prediction.answer, "sentences", None) or []),
                short_answer=" ".join(str(prediction.short_answer or "").split()),
                missing=" ".join(str(prediction.missing or "").split()),
                action=str(prediction.next_action or "finish"),
                argument=" ".join(str(prediction.argument or "").split()),
            )
        except Exception as exc:
            usage = Usage(llm_calls=1)
            draft = Draft(sentences=salvage_sentences(exc))
            if not draft.sentences:
                run.fail("writing the answer", exc)
                return None
        run.record(
            "draft",
            started,
            llm_calls=1,
            round=round_no,
            passages=len(run.evidence),
            short_answer=draft.short_answer,
            missing=draft.missing,
            next_action=draft.action,
            argument=draft.argument,
            **usage.model_dump(exclude={"llm_calls"}),
        )
        return draft

    def _act(self, run: Run, draft: Draft) -> bool:
        """Runs the draft's chosen tool; True if it added evidence."""
        started = time.perf_counter()
        action, argument = draft.action, draft.argument
        room = min(NEW_PER_TOOL, self.settings.max_evidence - len(run.evidence))
        target = _passage(argument, run.evidence)
        if action in ("read_neighbours", "read_document") and target is None:
            action = "search"  # a passage number the evidence does not have: search for the words instead
        query = argument if action in ("search", "recall_memory") and argument else draft.missing or run.question
        try:
            if action == "read_neighbours":
                assert target is not None
                found = run.tools.neighbours(target, run.question)
            elif action == "read_document":
                assert target is not None
                found = run.tools.document(target, run.question)
            elif action == "recall_memory":
                found = run.tools.recall(query)
            else:
                found = fuse([run.tools.search(q) for q in dict.fromkeys([query, f"{run.question} {draft.missing}"])])
        except Exception as exc:  # a bad tool argument ends the loop, not the run
            run.fail(f"the {action} tool", exc)
            return False
        added = run.add_evidence(found, room)
        run.budget.charge_tool()
        run.record(
            "tool",
            started,
            tool=action,
            argument=query if action in ("search", "recall_memory") else argument,
            found=len(found),
            added=[h.chunk_id for h in added],
        )
        return bool(added)

    def _react(self, run: Run) -> None:
        """Free-form tool calling (dspy.ReAct) for LMs that can drive it; the tools fill `run.evidence`."""
        started = time.perf_counter()
        shown: list[Hit] = []

        def show(hits: list[Hit]) -> str:
            have = {h.chunk_id for h in shown}
            new = [h for h in hits if h.chunk_id not in have][:4]
            shown.extend(new)
            start = len(shown) - len(new) + 1
            return format_passages(new, self.settings.passage_chars, start=start) if new else "Nothing new."

        def guarded(tool: Callable[[], list[Hit]]) -> str:
            if not run.budget.allows_tool_call(reserve=3):
                return "The budget is spent: finish now."
            run.budget.charge_tool()
            return show(tool())

        def search(query: str) -> str:
            """Search the collection with a short keyword query; returns numbered passages."""
            return guarded(lambda: run.tools.search(query))

        def read_neighbours(passage: int) -> str:
            """Read the text just before and after passage number `passage`."""
            hit = _passage(str(passage), shown)
            return guarded(lambda: run.tools.neighbours(hit, run.question)) if hit else "No such passage."

        def read_document(passage: int) -> str:
            """Read more of the document that passage number `passage` comes from."""
            hit = _passage(str(passage), shown)
            return guarded(lambda: run.tools.document(hit, run.question)) if hit else "No such passage."

        def recall_memory(query: str) -> str:
            """Look up passages cited by past research on similar questions."""
            return guarded(lambda: run.tools.recall(query))

        show(_diverse(run.pooled, self.settings.top_k, per_doc=2))
        iterations = max(1, run.budget.remaining_calls() - 4)  # keep calls for filter, draft, check, extract
        react = dspy.ReAct(
            ResearchNotes, tools=[search, read_neighbours, read_document, recall_memory], max_iters=iterations
        )
        calls = 0
        try:
            prediction, usage = self._call(react, run, question=run.question)
            calls = sum(1 for key in (prediction.trajectory or {}) if key.startswith("thought_")) + 1
            run.budget.usage.llm_calls += calls - 1
            run.budget.steps += calls - 1
        except Exception as exc:
            run.fail("the tool loop", exc)
            usage = Usage(llm_calls=1)
        run.evidence = shown
        tokens = usage.model_dump(exclude={"llm_calls"})
        run.record("react", started, llm_calls=calls or 1, found=[h.chunk_id for h in shown], **tokens)

    # -- verification and citations --------------------------------------------------------------------------------

    def _finish(self, run: Run, draft: Draft | None) -> tuple[str, list[Any], str]:
        if draft is None:
            return (NOT_FOUND if not run.evidence else ""), [], ""
        started = time.perf_counter()
        verified, narrowed = self.verifier.verify(draft.sentences, run.evidence)
        verified = [s for s in verified if len(split_markers(s)[0].split()) >= MIN_WORDS]
        cited = [s for s in verified if s.sources]
        uncited = len(verified) - len(cited)
        cited, unsupported = self._check(run, cited)
        text, citations, dropped = resolve_citations(render_sentences(cited), run.evidence)
        short = draft.short_answer
        if not citations:
            text, short = NOT_FOUND, "unknown"
        elif draft.missing and draft.short_answer.lower() in ("", "unknown"):
            text += f" The collection does not say: {draft.missing.rstrip('.')}."
        run.record(
            "verify",
            started,
            llm_calls=int(bool(unsupported is not None)),
            cited=[c.chunk_id for c in citations],
            dangling_removed=dropped,
            citations_narrowed=narrowed,
            unsupported_removed=unsupported or [],
            uncited_sentences_removed=uncited,
        )
        return text, citations, short

    def _check(self, run: Run, sentences: list[CitedSentence]) -> tuple[list[CitedSentence], list[str] | None]:
        """The LM's entailment check of each cited sentence against its passages; unsupported sentences go.
        Returns the sentences kept and the texts removed (None when the check did not run)."""
        if not self.settings.verify_with_lm or not sentences:
            return sentences, None
        doubtful = [s for s in sentences if not _restates(s, run.evidence)]
        if not doubtful:
            return sentences, None
        blocks = []
        for i, sentence in enumerate(doubtful, 1):
            body, sources = split_markers(sentence)
            quoted = "\n".join(
                f"   passage [{n}]: {' '.join(run.evidence[n - 1].chunk.text.split())[:400]}" for n in sources
            )
            blocks.append(f"{i}. {body}\n{quoted}")
        claims = "\n\n".join(blocks)
        if not run.budget.allows_llm_call(prompt_chars=len(claims)):
            return sentences, None
        try:
            prediction, _ = self._call(self.check, run, claims=claims)
        except Exception as exc:  # unchecked is reported, not fatal: the embedding check already ran
            run.fail("checking citations", exc)
            return sentences, None
        verdicts = list(prediction.supported or [])
        rejected = [s for i, s in enumerate(doubtful) if i < len(verdicts) and verdicts[i] is False]
        return [s for s in sentences if s not in rejected], [split_markers(s)[0] for s in rejected]


RESTATED = 1.0  # share of a sentence's content words found in its cited passages that makes it a restatement
MIN_WORDS = 3  # a "sentence" shorter than this ("Arthur!") states nothing a citation could support


def _restates(sentence: CitedSentence, evidence: list[Hit]) -> bool:
    """True if the sentence's content words nearly all occur in the passages it cites: it restates them, and the
    LM check (which a small LM gets wrong on exactly such sentences) is not needed."""
    body, sources = split_markers(sentence)
    words = _content_words(body)
    if not words or not sources:
        return False
    cited = set().union(*(_content_words(evidence[n - 1].chunk.text) for n in sources if 1 <= n <= len(evidence)))
    return len(words & cited) / len(words) >= RESTATED


def _content_words(text: str) -> set[str]:
    import re

    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 3 or w.isdigit()}


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


def _is_transient(exc: BaseException | None) -> bool:
    """A timeout, rate limit, server or connection error, as DSPy classifies it or as its cause is named."""
    from dspy.utils.exceptions import is_retryable_lm_error

    while exc is not None:
        if isinstance(exc, Exception) and is_retryable_lm_error(exc):
            return True
        if any(cls.__name__ in TRANSIENT for cls in type(exc).__mro__):
            return True
        exc = exc.__cause__
    return False


def _is_parse_error(exc: Exception) -> bool:
    return type(exc).__name__ == "AdapterParseError"


def _other_adapter() -> Any:
    current = dspy.settings.adapter
    return dspy.ChatAdapter() if isinstance(current, dspy.JSONAdapter) else dspy.JSONAdapter()


def _chars(inputs: dict[str, Any]) -> int:
    return sum(len(str(v)) for v in inputs.values())


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _ints(values: Any) -> list[int]:
    out = []
    for value in values or []:
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            continue
    return out


def _passage(argument: str, evidence: list[Hit]) -> Hit | None:
    """The passage an action's argument names by number ("3", "[3]", "passage 3")."""
    digits = "".join(c if c.isdigit() else " " for c in argument).split()
    if not digits:
        return None
    n = int(digits[0])
    return evidence[n - 1] if 1 <= n <= len(evidence) else None


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


def _ends_first(hits: list[Hit], short: int = 4) -> list[Hit]:
    """Best-first hits reordered so the best sit at the start and the end and the weakest in the middle
    (Liu et al., "Lost in the middle"): 1 2 3 4 5 -> 1 3 5 4 2. A list of `short` or fewer stays best-first:
    the effect was found over long contexts, and there the order of reading matters more."""
    return list(hits) if len(hits) <= short else hits[::2] + hits[1::2][::-1]


def _unique_docs(hits: list[Hit]) -> list[str]:
    return list(dict.fromkeys(h.doc_id for h in hits))
