"""`sleuth optimize`: compile on questions with answers, save, and load on the next start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ScriptedLM, make_agent, sentences

from sleuth.agent.ops.optimize import load_examples, optimize, score
from sleuth.errors import InputError


def _questions(tmp_path: Path) -> Path:
    path = tmp_path / "train.jsonl"
    rows = [
        {"question": "What does ColBERT keep per token?", "answers": ["one embedding"], "supporting": ["colbert"]},
        {"question": "What leavens sourdough?", "answers": ["wild yeast"], "supporting": ["bread"]},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _answer(text: str, short: str) -> dict:
    return {**sentences((text, [1]), (text.replace(".", " indeed."), [1])), "short_answer": short}


def test_bootstrap_keeps_demonstrations_of_good_runs_and_the_agent_loads_them(
    settings, embedder, corpus_file, tmp_path
) -> None:
    examples = load_examples(_questions(tmp_path))
    lm = ScriptedLM(
        [
            _answer("ColBERT keeps one embedding per token.", "one embedding"),
            _answer("Sourdough is leavened by rye flour.", "rye flour"),  # wrong: F1 0, not kept
        ]
    )
    agent = make_agent(settings, embedder, lm=lm)
    agent.ingest([corpus_file])
    report = optimize(agent, examples, max_demos=2)
    assert report.path.is_file()
    # the adaptive loop answered both with one call each: only the drafter ran, so only it has a demonstration
    assert report.demos["drafter.synthesise"] == 1 and report.demos["planner.plan"] == 0
    saved = json.loads(report.path.read_text())
    demo = saved["drafter.synthesise"]["demos"][0]
    assert demo["question"] == "What does ColBERT keep per token?" and demo["short_answer"] == "one embedding"

    fresh = make_agent(settings, embedder, lm=ScriptedLM([]))
    assert len(fresh.program.drafter.synthesise.demos) == 1


def test_the_metric_rewards_the_right_answer_and_citations_of_supporting_passages() -> None:
    import dspy

    from sleuth.schema import Citation

    example = dspy.Example(question="q", answers=["wild yeast"], supporting=["bread"]).with_inputs("question")
    cite = Citation(n=1, doc_id="bread", chunk_id="c", title="t", text="x", score=1.0)
    wrong = Citation(n=2, doc_id="bm25", chunk_id="d", title="t", text="x", score=1.0)
    assert score(example, dspy.Prediction(short_answer="Wild yeast", citations=[cite])) == 1.0
    assert score(example, dspy.Prediction(short_answer="wild yeast", citations=[cite, wrong])) == 0.75
    assert score(example, dspy.Prediction(short_answer="flour", citations=[])) == 0.0


def test_questions_without_answers_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"question": "q"}) + "\n")
    with pytest.raises(InputError, match="answers"):
        load_examples(path)


def test_the_cli_explains_a_missing_questions_file_and_an_unknown_optimizer(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sleuth.tui.cli import app

    result = CliRunner().invoke(app, ["optimize", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 2 and "No questions file" in result.output
    result = CliRunner().invoke(app, ["optimize", str(_questions(tmp_path)), "--optimizer", "genetic"])
    assert result.exit_code == 2 and "Unknown optimizer" in result.output
