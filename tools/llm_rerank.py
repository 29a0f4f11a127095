"""LLM rerankers: pointwise yes/no relevance logits (embedded model), and through any DSPy LM a listwise ranker
with a sliding window (RankGPT) and a pairwise one (PRP).

All stay within a budget of candidates and seconds; whatever the budget does not reach keeps its order.
A malformed ranking never loses a passage: numbers the LM left out keep their relative order after it.
"""

from __future__ import annotations

import time
from typing import Any

import dspy

from sleuth.errors import ConfigError
from sleuth.prompts.signatures import ComparePassages, RankPassages
from sleuth.schema import Hit
from sleuth.tools.chunking import passage_text
from sleuth.tools.text import format_passages


def _permute(window: list[Hit], ranking: list[int]) -> list[Hit]:
    order = [n - 1 for n in dict.fromkeys(ranking) if 1 <= n <= len(window)]
    order += [i for i in range(len(window)) if i not in order]
    return [window[i] for i in order]


class ListwiseReranker:
    """RankGPT: rank a window of passages at a time, sliding from the bottom of the candidates to the top."""

    def __init__(
        self,
        lm: Any,
        candidates: int = 20,
        window: int = 10,
        step: int = 5,
        max_seconds: float = 60.0,
        passage_chars: int = 300,
    ) -> None:
        self.lm = lm
        self.candidates, self.window, self.step = candidates, window, step
        self.max_seconds = max_seconds
        self.passage_chars = passage_chars
        self.predict = dspy.Predict(RankPassages)

    def rank(self, query: str, hits: list[Hit]) -> list[Hit]:
        head, tail = list(hits[: self.candidates]), hits[self.candidates :]
        started = time.perf_counter()
        end = len(head)
        while end > 0 and time.perf_counter() - started < self.max_seconds:
            start = max(0, end - self.window)
            window = head[start:end]
            try:
                with dspy.context(lm=self.lm):
                    ranking = self.predict(query=query, passages=format_passages(window, self.passage_chars)).ranking
                head[start:end] = _permute(window, list(ranking or []))
            except Exception:  # a failed window keeps its order
                pass
            if start == 0:
                break
            end -= self.step
        return head + tail


class PairwiseReranker:
    """PRP-sliding: one bubble pass from the bottom of the top `candidates`, so the best rises to the top."""

    def __init__(
        self,
        lm: Any,
        candidates: int = 10,
        passes: int = 1,
        max_seconds: float = 60.0,
        passage_chars: int = 400,
    ) -> None:
        self.lm = lm
        self.candidates, self.passes = candidates, passes
        self.max_seconds = max_seconds
        self.passage_chars = passage_chars
        self.predict = dspy.Predict(ComparePassages)

    def _text(self, hit: Hit) -> str:
        return passage_text(hit.chunk)[: self.passage_chars]

    def rank(self, query: str, hits: list[Hit]) -> list[Hit]:
        head, tail = list(hits[: self.candidates]), hits[self.candidates :]
        started = time.perf_counter()
        for p in range(self.passes):
            for i in range(len(head) - 1, p, -1):
                if time.perf_counter() - started > self.max_seconds:
                    return head + tail
                try:
                    with dspy.context(lm=self.lm):
                        verdict = self.predict(
                            query=query, passage_a=self._text(head[i - 1]), passage_b=self._text(head[i])
                        ).more_relevant
                except Exception:
                    continue
                if verdict == "B":
                    head[i - 1], head[i] = head[i], head[i - 1]
        return head + tail


RELEVANCE_PROMPT = (
    "Query: {query}\n\nPassage: {title}: {text}\n\n"
    "Is the passage relevant to the query: does it answer the question, or support or contradict the claim? "
    "Answer Yes or No."
)


class RelevanceLogitReranker:
    """Pointwise LLM relevance in one forward pass per passage, no generation: the score is
    log P(Yes) - log P(No) for the first answer token (as in yes/no relevance prompting, Nogueira et al.'s monoT5
    and Zhuang et al.'s "yes/no" LLM rankers), read from the embedded llama.cpp model's logits.

    The query comes first in the prompt, so its tokens stay in the KV cache and each passage costs only its own.
    The final score adds `weight` times the LLM score to the first stage's score scaled by its spread over the
    candidates, so the LLM reorders where it is sure and the fused retrieval decides elsewhere. Stops at
    `max_seconds`: passages not reached keep their order below those scored."""

    def __init__(
        self,
        lm: Any,
        candidates: int = 10,
        max_seconds: float = 30.0,
        passage_chars: int = 600,
        weight: float = 1.0,
    ) -> None:
        engine = getattr(lm, "_engine_spec", None)
        if not hasattr(engine, "yes_no_logits"):
            raise ConfigError(
                "The yes/no logit reranker reads token probabilities from the embedded llama.cpp model; the "
                "configured LM does not expose them.",
                "Use SLEUTH_SEARCH__RERANK=listwise or pairwise with a remote LM, or a local/ or .gguf LM.",
            )
        self.engine = engine
        self.candidates = candidates
        self.max_seconds = max_seconds
        self.passage_chars = passage_chars
        self.weight = weight

    def relevance(self, query: str, hits: list[Hit]) -> list[float]:
        """The LLM's yes/no log-odds for as many of `hits` as the time budget allows, in order."""
        deadline = time.perf_counter() + self.max_seconds
        prompts = [
            RELEVANCE_PROMPT.format(
                query=" ".join(query.split())[:1000],
                title=h.chunk.title,
                text=" ".join(h.chunk.text.split())[: self.passage_chars],
            )
            for h in hits
        ]
        return self.engine.yes_no_logits(prompts, deadline=deadline)

    def rank(self, query: str, hits: list[Hit]) -> list[Hit]:
        head, tail = list(hits[: self.candidates]), hits[self.candidates :]
        llm = self.relevance(query, head)
        return combine(head, llm, self.weight) + head[len(llm) :] + tail


def combine(head: list[Hit], llm: list[float], weight: float) -> list[Hit]:
    """The first len(llm) hits of `head` rescored as first-stage z-score + weight * LLM log-odds, best first."""
    import numpy as np

    scored = head[: len(llm)]
    if not scored:
        return []
    first = np.array([h.score for h in scored], dtype=np.float64)
    spread = first.std() or 1.0
    values = (first - first.mean()) / spread + weight * np.array(llm)
    out = [Hit(chunk=h.chunk, score=float(v)) for h, v in zip(scored, values, strict=True)]
    return sorted(out, key=lambda h: h.score, reverse=True)
