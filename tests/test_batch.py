from __future__ import annotations

import json
from pathlib import Path

from conftest import ScriptedLM, make_agent, plan, sentences
from dspy.utils.dummies import DummyLM

from sleuth.agent.batch import run_batch
from sleuth.lexicon import mentioned_names


def _questions(tmp_path: Path) -> Path:
    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"id": "a", "question": "What is BM25?", "answers": ["x"]}\n'
        "not json\n"
        '{"id": "b", "question": ""}\n'
        '{"id": "c", "question": "What is ColBERT?"}\n'
    )
    return path


def _colbert_agent(settings, embedder, corpus_file):
    """An agent over the test corpus whose scripted LM answers one question, the ColBERT one."""
    lm = ScriptedLM(
        [
            plan(["q"], ["colbert"]),
            sentences(("ColBERT keeps token embeddings.", [1]), ("It is a late-interaction retriever.", [1])),
        ]
    )
    agent = make_agent(settings, embedder, lm=lm)
    agent.ingest([corpus_file])
    return agent


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_one_line_per_question_even_when_one_fails(settings, embedder, corpus_file, tmp_path) -> None:
    lm = ScriptedLM(
        [
            plan(["q"], ["bm25"]),
            sentences(("BM25 scores terms by frequency.", [1]), ("It uses inverse document frequency.", [1])),
            plan(["q"], ["colbert"]),
            sentences(("ColBERT keeps token embeddings.", [1]), ("It is a late-interaction retriever.", [1])),
        ]
    )
    agent = make_agent(settings, embedder, lm=lm)
    agent.ingest([corpus_file])
    out = tmp_path / "out.jsonl"
    report = run_batch(agent, _questions(tmp_path), out)
    rows = {r["id"]: r for r in _lines(out)}
    assert set(rows) == {"a", "b", "c"}
    assert rows["b"]["error"] and "empty" in rows["b"]["error"]
    assert rows["a"]["error"] is None and rows["a"]["citations"][0]["doc_id"] == "bm25"
    assert report.problems and "not valid JSON" in report.problems[0]
    assert (report.answered, report.failed) == (2, 1)


def test_rerun_skips_answered_ids_and_repairs_a_torn_last_line(settings, embedder, corpus_file, tmp_path) -> None:
    agent = _colbert_agent(settings, embedder, corpus_file)
    out = tmp_path / "out.jsonl"
    out.write_text(
        json.dumps({"id": "a", "answer": "kept"}) + "\n" + json.dumps({"id": "b"}) + "\n" + '{"id": "c", "answ'
    )
    report = run_batch(agent, _questions(tmp_path), out)
    rows = _lines(out)
    assert [r["id"] for r in rows] == ["a", "b", "c"]
    assert rows[0]["answer"] == "kept"
    assert (report.skipped, report.answered) == (2, 1)


def test_no_answer_mode_retrieves_without_any_lm_call(settings, embedder, corpus_file, tmp_path) -> None:
    agent = make_agent(settings, embedder, lm=DummyLM([]))
    agent.ingest([corpus_file])
    out = tmp_path / "out.jsonl"
    run_batch(agent, _questions(tmp_path), out, no_answer=True)
    rows = {r["id"]: r for r in _lines(out)}
    assert rows["c"]["retrieved"][0] == "colbert"
    assert rows["c"]["answer"] == "" and rows["c"]["usage"]["llm_calls"] == 0


def test_names_in_a_passage_become_follow_up_queries() -> None:
    text = "Maximum Overdrive is a 1986 film written and directed by Stephen King in Wilmington, North Carolina."
    names = mentioned_names(text, "Who directed the film shot in Wilmington in 1986?", limit=5)
    assert "Stephen King" in names and "Maximum Overdrive" in names
    assert all("Wilmington" not in n or "North Carolina" in n for n in names)


def test_names_stop_at_sentence_ends_and_skip_dates_openers_and_the_passage_subject() -> None:
    text = (
        "Kerry Saxby is an Australian race walker born in Ballina. She won on January 21 at the SBS. "
        "Furthermore, she trained in New South Wales."
    )
    names = mentioned_names(text, "Where was Kerry Saxby born?", limit=10, title="Kerry Saxby")
    assert "Ballina" in names and "New South Wales" in names and "SBS" in names
    assert not any(n.startswith(("January", "Furthermore", "Kerry")) or "SBS She" in n for n in names)


def test_hop_fusion_keeps_a_passage_one_follow_up_found_first_above_generic_matches() -> None:
    from sleuth.schema import Chunk, Hit
    from sleuth.tools.multihop import hop_fuse

    def hits(*ids: str) -> list[Hit]:
        return [Hit(chunk=Chunk(chunk_id=i, doc_id=i, text=i), score=1.0) for i in ids]

    first = hits("a", "g1", "g2", "bridge")
    follow = [hits("g1", "g2", "bridge"), hits("bridge", "g1", "g2"), hits("g1", "g2", "a")]
    ranked = [h.doc_id for h in hop_fuse(first, follow)]
    assert ranked.index("bridge") < ranked.index("g2")


def test_chain_first_puts_the_named_passage_and_what_it_names_before_passages_sharing_the_question_words() -> None:
    """The Charles Andrews question of HotpotQA train100: the fused order led with a school the question's last
    words match; the person's passage and the school it names come first, the rest keep their order."""
    from sleuth.schema import Chunk, Hit
    from sleuth.tools.multihop import chain_first, complete_chain

    passages = [
        ("worksop", "Worksop College Preparatory School", "A preparatory school for boys and girls aged 3 to 13."),
        ("cutler", "Cutler School (New York City)", "A college preparatory school in Manhattan."),
        ("andrews", "Charles Andrews (Maine politician)", "He graduated from Hebron Academy in 1835."),
        ("hebron", "Hebron Academy", "A college preparatory boarding school founded in 1804."),
        ("andrewsb", "Charles Andrews (Maine politician)", "A second chunk of the same document."),
    ]
    hits = [Hit(chunk=Chunk(chunk_id=i, doc_id=i.rstrip("b"), title=t, text=x), score=1.0) for i, t, x in passages]
    question = "Charles Andrews graduated from what college preparatory boys' school?"
    assert [h.chunk_id for h in chain_first(hits, question)] == ["andrews", "andrewsb", "hebron", "worksop", "cutler"]
    # titles match whole words with their case: "Hebron" inside "Hebrons" or a lower-case "first" names nothing
    assert [h.chunk_id for h in chain_first(hits, "Who founded the Hebrons' school first?")] == [
        h.chunk_id for h in hits
    ]
    # only the first `within` documents are reordered
    assert [h.chunk_id for h in chain_first(hits, question, within=2)] == [h.chunk_id for h in hits]
    # a complete chain (the named passage and one it names) is what the draft reads with agent.chain_only
    assert {h.chunk_id for h in complete_chain(hits, question)} == {"andrews", "andrewsb", "hebron"}
    assert complete_chain(hits[:3], question) == []  # the person's passage alone is no chain


def test_a_batch_killed_mid_run_resumes_with_no_answer_lost_or_repeated(sleuth_home, corpus_file, tmp_path) -> None:
    """kill -9 of `sleuth batch` (the scripted stand-in LM), then the same command: every question once."""
    import os
    import signal
    import subprocess
    import sys
    import time

    env = {**os.environ, "SLEUTH_HOME": str(sleuth_home), "SLEUTH_LM": "scripted", "SLEUTH_MEMORY__ENABLED": "false"}
    cli = [str(Path(sys.executable).parent / "sleuth")]  # the installed command, as a user runs it
    subprocess.run([*cli, "ingest", str(corpus_file)], env=env, check=True, capture_output=True)
    questions = tmp_path / "many.jsonl"
    topics = ["ColBERT", "BM25", "dense retrieval", "sourdough", "late interaction"]
    with questions.open("w") as handle:
        for i in range(60):
            handle.write(json.dumps({"id": f"q{i}", "question": f"What is {topics[i % 5]} used for, case {i}?"}) + "\n")
    out = tmp_path / "answers.jsonl"
    command = [*cli, "batch", str(questions), "--out", str(out)]
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not out.exists() or out.read_text().count("\n") < 5):
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    partial = out.read_text().count("\n")
    assert 5 <= partial < 60
    subprocess.run(command, env=env, check=True, capture_output=True)
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert sorted(ids) == sorted(f"q{i}" for i in range(60)) and len(ids) == 60


def test_retry_failed_asks_again_only_the_failed_questions(settings, embedder, corpus_file, tmp_path) -> None:
    """`sleuth batch --retry-failed`: a failed line (a server that was down) is replaced by the new answer, the
    answered ones are kept as they were, and every question still has one line."""
    agent = _colbert_agent(settings, embedder, corpus_file)
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"id": "a", "question": "What is BM25?"}\n{"id": "c", "question": "What is ColBERT?"}\n', encoding="utf-8"
    )
    out = tmp_path / "out.jsonl"
    out.write_text(
        json.dumps({"id": "a", "answer": "kept", "error": None})
        + "\n"
        + json.dumps({"id": "c", "answer": "", "error": "LMError: connection refused"})
        + "\n",
        encoding="utf-8",
    )
    assert run_batch(agent, questions, out).skipped == 2  # without the flag, a failure counts as done
    report = run_batch(agent, questions, out, retry_failed=True)
    rows = _lines(out)
    assert [r["id"] for r in rows] == ["a", "c"]
    assert rows[0]["answer"] == "kept"
    assert rows[1]["error"] is None and "ColBERT" in rows[1]["answer"]
    assert (report.skipped, report.answered, report.failed) == (1, 1, 0)
    assert not (tmp_path / "out.jsonl.tmp").exists()


def test_a_report_batch_writes_one_report_per_line_and_resumes(settings, embedder, corpus_file, tmp_path) -> None:
    """`sleuth batch --report`: each line a Report's record (the answer's fields, the overview, the sections); an
    interrupted run (a torn last line) resumes without writing a question twice."""
    from sleuth.agent.llm.testing import scripted_lm

    agent = make_agent(settings, embedder, lm=scripted_lm([], extractive=True))
    agent.ingest([corpus_file])
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"id": "r1", "question": "What are the main approaches to retrieval?"}\n'
        '{"id": "r2", "question": "What are the main kinds of ranking function?"}\n'
    )
    out = tmp_path / "reports.jsonl"
    run_batch(agent, questions, out, reports=True)
    first = _lines(out)
    assert [r["id"] for r in first] == ["r1", "r2"]
    assert all(r["sections"] and r["answer"].startswith(r["overview"]) and r["citations"] for r in first)
    assert all(r["seconds"] > 0 and r["error"] is None and r["path"] == "report" for r in first)
    out.write_text(out.read_text().splitlines(keepends=True)[0] + '{"id": "r2", "quest')  # killed mid-line
    report = run_batch(agent, questions, out, reports=True)
    assert (report.skipped, report.answered) == (1, 1)
    assert [r["id"] for r in _lines(out)] == ["r1", "r2"]
