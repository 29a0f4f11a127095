"""LLM rerankers through any DSPy LM: listwise with a sliding window (RankGPT) and pairwise (PRP).

Both stay within a budget of candidates and seconds; whatever the budget does not reach keeps its order.
A malformed ranking never loses a passage: numbers the LM left out keep their relative order after it.
"""

from __future__ import annotations

import time
from typing import Any

import dspy

from sleuth.agent.citations import format_passages
from sleuth.prompts.signatures import ComparePassages, RankPassages
from sleuth.schema import Hit
from sleuth.tools.chunking import passage_text


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
