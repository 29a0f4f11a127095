"""Judge: which candidates are useful for the question (a fact the answer needs), not merely on its topic.

The LM reads each candidate's key sentences (extracted LLM-free by similarity to the question) and lists the useful
ones. It never drops the only passage about one part of the question: each sub-question's best passage stays.
Runs in the full and react loops; the adaptive loop takes the pool's order instead (one LM call saved).
"""

from __future__ import annotations

import time

import dspy

from sleuth.agent.loop.run import Run, call_lm, diverse, tokens
from sleuth.prompts.signatures import JudgeUtility
from sleuth.schema import Hit, Usage
from sleuth.settings import AgentSettings
from sleuth.tools.passages import key_sentences
from sleuth.tools.text import format_passages

MIN_KEPT = 2  # never fewer passages than this, whatever the judge says


class Judge(dspy.Module):
    def __init__(self, settings: AgentSettings) -> None:
        super().__init__()
        self.settings = settings
        self.judge = dspy.Predict(JudgeUtility)

    def forward(self, run: Run) -> None:
        """Replaces `run.evidence` (what a tool loop read, or else the pool's best) by the useful passages."""
        if run.evidence:
            candidates = run.evidence[: self.settings.filter_candidates + 2]
            top_k = self.settings.max_evidence
        else:
            candidates = with_coverage(run, diverse(run.pool, self.settings.filter_candidates))
            top_k = self.settings.top_k
        started = time.perf_counter()
        chars = self.settings.passage_chars // 2  # the judge reads each passage's key sentences only
        texts = key_sentences(run.tools.searcher.embedder, run.question, candidates, chars)
        passages = format_passages(candidates, chars, texts)
        if (
            run.lm_failed
            or len(candidates) <= MIN_KEPT
            or not run.budget.allows_llm_call(reserve=1, prompt_chars=len(passages), optional=True)
        ):
            run.evidence = candidates[:top_k]
            run.record("filter", started, kept=[h.chunk_id for h in run.evidence], judged=False)
            return
        try:
            prediction, usage = call_lm(self.judge, run, question=run.question, passages=passages)
            useful = [n for n in dict.fromkeys(_ints(prediction.useful)) if 1 <= n <= len(candidates)]
        except Exception as exc:  # keep the retrieval order
            run.fail("judging evidence", exc)
            useful, usage = [], Usage(llm_calls=1)
        kept = [candidates[n - 1] for n in useful][:top_k]
        kept += [h for h in candidates if h not in kept][: max(0, MIN_KEPT - len(kept))]
        kept += [h for h in run.covering.values() if h is not None and h in candidates and h not in kept]
        run.evidence = kept
        run.record(
            "filter",
            started,
            llm_calls=1,
            judged=True,
            kept=[h.chunk_id for h in kept],
            dropped=[h.chunk_id for h in candidates if h not in kept],
            **tokens(usage),
        )


def with_coverage(run: Run, chosen: list[Hit]) -> list[Hit]:
    """`chosen`, with each sub-question's best passage put in place of the weakest others if it is missing."""
    missing = [h for h in run.covering.values() if h is not None and h.chunk_id not in {c.chunk_id for c in chosen}]
    missing = list({h.chunk_id: h for h in missing}.values())
    if not missing:
        return chosen
    keep = max(0, len(chosen) - len(missing))
    return chosen[:keep] + missing


def _ints(values: object) -> list[int]:
    out = []
    for value in values or []:  # type: ignore[attr-defined]
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            continue
    return out
