"""Judge: which candidates are useful for the question (a fact the answer needs), not merely on its topic.

The LM reads each candidate's key sentences (extracted LLM-free by similarity to the question) and lists the useful
ones. It never drops the only passage about one part of the question: each sub-question's best passage stays.
Runs in the full and react loops; the adaptive loop takes the pool's order instead (one LM call saved).
"""

from __future__ import annotations

import dspy

from sleuth.agent.loop.trace import Trace
from sleuth.prompts.signatures import JudgeUtility
from sleuth.schema import Hit
from sleuth.settings import AgentSettings
from sleuth.tools.embedder import Embedder
from sleuth.tools.passages import key_sentences
from sleuth.tools.text import format_passages

MIN_KEPT = 2  # never fewer passages than this, whatever the judge says


class Judge(dspy.Module):
    def __init__(self, settings: AgentSettings) -> None:
        super().__init__()
        self.settings = settings
        self.judge = dspy.Predict(JudgeUtility)

    def forward(
        self, trace: Trace, embedder: Embedder, question: str, candidates: list[Hit], top_k: int, covering: list[Hit]
    ) -> list[Hit]:
        """The useful passages of `candidates` (at most `top_k`, at least MIN_KEPT), each of `covering` (every
        sub-question's best passage) kept whatever the judge says."""
        with trace.stage("filter", failing="judging evidence") as stage:
            chars = self.settings.passage_chars // 2  # the judge reads each passage's key sentences only
            texts = key_sentences(embedder, question, candidates, chars)
            passages = format_passages(candidates, chars, texts)
            if (
                trace.lm_failed
                or len(candidates) <= MIN_KEPT
                or not stage.affords(reserve=1, prompt_chars=len(passages), optional=True)
            ):
                kept = candidates[:top_k]
                stage.note(kept=[h.chunk_id for h in kept], judged=False)
                return kept
            prediction = stage.attempt(self.judge, question=question, passages=passages)  # None: order stands
            numbers = dict.fromkeys(_ints(prediction.useful if prediction else []))
            kept = [candidates[n - 1] for n in numbers if 1 <= n <= len(candidates)][:top_k]
            kept += [h for h in candidates if h not in kept][: max(0, MIN_KEPT - len(kept))]
            kept += [h for h in covering if h in candidates and h not in kept]
            dropped = [h.chunk_id for h in candidates if h not in kept]
            stage.note(judged=True, kept=[h.chunk_id for h in kept], dropped=dropped)
            return kept


def _ints(values: object) -> list[int]:
    out = []
    for value in values or []:  # type: ignore[attr-defined]
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            continue
    return out
