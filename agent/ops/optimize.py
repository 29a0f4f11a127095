"""`sleuth optimize`: compile the agent's DSPy modules on questions with known answers, and save the result.

The metric is what a user wants from an answer: its short answer's token F1 against the gold answers, plus the
validity of its citations (each cited passage is one of the question's supporting documents when those are
known; otherwise simply: the answer cites something and every citation resolves). BootstrapFewShot keeps the
traces of runs that score well as demonstrations for each module (planner, rewriter, filter, synthesiser,
checker); MIPROv2 also proposes instructions. The compiled program is saved as JSON per collection and the
agent loads it on its next start.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import dspy

from sleuth.errors import InputError
from sleuth.tools.answers import answer_f1

if TYPE_CHECKING:
    from sleuth.agent.api import ResearchAgent

Optimizer = Literal["bootstrap", "mipro"]


@dataclass
class OptimizeReport:
    examples: int
    demos: dict[str, int]
    path: Path
    seconds: float


def load_examples(path: Path, limit: int | None = None) -> list[dspy.Example]:
    """Questions with gold answers (`answers` or `answer`) and, optionally, `supporting` document ids."""
    if not path.is_file():
        raise InputError(f"No questions file at {path}.", 'Give a JSONL file of {"question", "answers"} lines.')
    examples = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{number} is not valid JSON ({exc}).", "Fix or remove the line.") from exc
            answers = row.get("answers") or ([row["answer"]] if row.get("answer") else [])
            if not row.get("question") or not answers:
                raise InputError(
                    f"{path}:{number} lacks a question or its answers.",
                    'Optimising needs known answers: give {"question": ..., "answers": [...]} on every line.',
                )
            example = dspy.Example(
                question=row["question"], answers=[str(a) for a in answers], supporting=row.get("supporting") or []
            )
            examples.append(example.with_inputs("question"))
            if limit and len(examples) == limit:
                break
    if not examples:
        raise InputError(f"{path} holds no questions.", "Add question lines with their answers.")
    return examples


def score(example: dspy.Example, prediction: Any, trace: Any = None) -> float:
    """Answer F1 (short answer, else the cited text) and citation validity, averaged: 0 to 1."""
    answer = getattr(prediction, "short_answer", "") or getattr(prediction, "answer", "")
    f1 = answer_f1(answer, list(example.answers))
    citations = list(getattr(prediction, "citations", []) or [])
    if not citations:
        validity = 0.0
    elif example.get("supporting"):
        supporting = set(example.supporting)
        validity = sum(c.doc_id in supporting for c in citations) / len(citations)
    else:
        evidence = {h.chunk_id for h in getattr(prediction, "evidence", [])}
        validity = float(all(c.chunk_id in evidence for c in citations))
    return (f1 + validity) / 2


def optimize(
    agent: ResearchAgent,
    examples: list[dspy.Example],
    optimizer: Optimizer = "bootstrap",
    max_demos: int = 2,
    threshold: float = 0.75,
    metric: Callable[..., float] = score,
) -> OptimizeReport:
    """Compiles the agent's program on `examples` and saves it where the agent loads it from."""
    import time

    from sleuth.agent.llm.adapters import adapter_for

    started = time.perf_counter()
    student = agent.program
    lm = agent.lm
    with dspy.context(lm=lm, adapter=adapter_for(lm)):
        if optimizer == "mipro":
            compiler = dspy.MIPROv2(
                metric=metric, auto="light", max_bootstrapped_demos=max_demos, max_labeled_demos=0, num_threads=1
            )
            compiled = compiler.compile(student, trainset=examples)
        else:
            compiler = dspy.BootstrapFewShot(
                metric=lambda ex, pred, trace=None: metric(ex, pred, trace) >= threshold,
                max_bootstrapped_demos=max_demos,
                max_labeled_demos=0,
                max_rounds=1,
            )
            compiled = compiler.compile(student, trainset=examples)
    path = agent.compiled_path
    path.parent.mkdir(parents=True, exist_ok=True)
    compiled.save(str(path))
    agent.reload_program()
    demos = {name: len(predictor.demos) for name, predictor in compiled.named_predictors()}
    return OptimizeReport(len(examples), demos, path, time.perf_counter() - started)
