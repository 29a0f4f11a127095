"""Short answers against gold answers: SQuAD's normalisation and token F1, the metric `sleuth optimize` compiles
the agent for and the benchmarks report (evals.metrics re-exports them)."""

from __future__ import annotations

import re
import string
from collections import Counter


def normalise_answer(text: str) -> str:
    """SQuAD's normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def answer_f1(prediction: str, golds: list[str]) -> float:
    """Token F1 against the best-matching gold answer (HotpotQA's answer metric)."""
    best = 0.0
    predicted = normalise_answer(prediction).split()
    for gold in golds:
        expected = normalise_answer(gold).split()
        common = sum((Counter(predicted) & Counter(expected)).values())
        if common:
            precision, recall = common / len(predicted), common / len(expected)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def answer_contains(prediction: str, golds: list[str]) -> float:
    """1.0 if a gold answer appears in the (long-form) prediction: fairer than EM for cited prose answers."""
    text = f" {normalise_answer(prediction)} "
    return float(any(f" {normalise_answer(g)} " in text for g in golds if normalise_answer(g)))


__all__ = ["answer_contains", "answer_f1", "normalise_answer"]
