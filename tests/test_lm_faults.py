"""An LM server that fails, through a fake OpenAI-compatible server on 127.0.0.1 (tests/fake_openai.py).

Each fault gives an answer from the evidence with `error` saying what happened, is retried only where a retry can
help (rate limits and server errors, not a bad request), never keeps the question past its budget, and leaves no
run in memory."""

from __future__ import annotations

import time

import pytest
from conftest import server_agent
from fake_openai import fake_openai

QUESTION = "How does ColBERT score passages?"
BUDGET = 12.0


def _ask(settings, embedder, corpus_file, mode: str) -> tuple[object, list[str], float, object]:
    seen: list[str] = []
    settings.agent.max_seconds = BUDGET
    with fake_openai(mode, seen) as base:
        agent = server_agent(settings, embedder, corpus_file, base)
        started = time.perf_counter()
        answer = agent.ask(QUESTION)
        seconds = time.perf_counter() - started
    return answer, seen, seconds, agent


@pytest.mark.parametrize("mode", ["429", "500", "503", "400", "hang", "malformed", "empty", "cut"])
def test_a_failing_lm_server_still_gives_a_cited_answer_in_budget_and_stores_nothing(
    settings, embedder, corpus_file, mode: str
) -> None:
    answer, seen, seconds, agent = _ask(settings, embedder, corpus_file, mode)
    assert seen  # the server was reached
    assert seconds < BUDGET + 3  # a Retry-After of an hour, or a server that never answers, does not hold it
    assert answer.error and "not stored in memory" in answer.error
    assert answer.answer.strip() and answer.citations[0].doc_id == "colbert"  # the evidence answers instead
    assert agent.memory.open()["runs"].count == 0
    if mode == "hang":
        assert "did not answer within the question's budget" in answer.error


@pytest.mark.parametrize(("mode", "retried"), [("503", True), ("500", True), ("400", False)])
def test_server_errors_are_retried_and_a_bad_request_is_not(settings, embedder, corpus_file, mode, retried) -> None:
    _, seen, _, _ = _ask(settings, embedder, corpus_file, mode)
    # the LM client retries a transient error; a bad request fails at once (the same request would fail again)
    assert (len(seen) > 1) is retried


def test_an_empty_completion_is_retried_once_with_the_other_format(settings, embedder, corpus_file) -> None:
    answer, seen, _, _ = _ask(settings, embedder, corpus_file, "empty")
    assert len(seen) == 2 and "writing the answer failed" in answer.error


def test_a_remote_lm_streams_the_answer_as_the_server_sends_it(settings, embedder, corpus_file) -> None:
    """Through an OpenAI-compatible server that streams (server-sent events), the answer's text reaches `on_token`
    piece by piece, before the answer is returned, and reads as the final answer does."""
    pieces: list[str] = []
    with fake_openai("answer") as base:
        agent = server_agent(settings, embedder, corpus_file, base)
        answer = agent.ask(QUESTION, on_token=lambda token: pieces.append(token.text))
    assert answer.error is None and answer.citations and answer.citations[0].doc_id == "colbert"
    assert len(pieces) > 1  # streamed, not handed over whole at the end
    streamed = " ".join("".join(pieces).split())
    first = answer.citations[0].text.split(".")[0]
    assert first[:40] in streamed and "[1]" in streamed


def test_a_stream_cut_mid_answer_is_explained_and_stores_nothing(settings, embedder, corpus_file) -> None:
    """The server closes the connection a third of the way into a streamed answer: the user gets the evidence's
    cited sentences with `error` saying what happened, within the budget, and memory gets no partial run."""
    settings.agent.max_seconds = BUDGET
    with fake_openai("stream-cut") as base:
        agent = server_agent(settings, embedder, corpus_file, base)
        started = time.perf_counter()
        answer = agent.ask(QUESTION, on_token=lambda token: None)
        seconds = time.perf_counter() - started
    assert seconds < BUDGET + 3
    assert answer.error and "not stored in memory" in answer.error
    assert answer.answer.strip() and answer.citations[0].doc_id == "colbert"
    assert agent.memory.open()["runs"].count == 0


@pytest.mark.parametrize("style", ["json_schema", "json_object"])
def test_a_server_that_enforces_the_schema_is_sent_it_in_its_own_dialect(
    settings, embedder, corpus_file, style
) -> None:
    """`models.structured_output`: the answer call carries the output fields' JSON schema (OpenAI's structured
    outputs, or llama-cpp-python's `json_object` + `schema`), the prompt is the JSON adapter's, and the JSON reply
    becomes a cited answer in one call."""
    bodies: list[dict] = []
    settings.models.structured_output = style
    with fake_openai("answer", bodies=bodies) as base:
        answer = server_agent(settings, embedder, corpus_file, base).ask(QUESTION)
    assert answer.error is None and answer.citations[0].doc_id == "colbert" and answer.usage.llm_calls == 1
    fmt = bodies[-1]["response_format"]
    assert fmt["type"] == style
    schema = fmt["json_schema"]["schema"] if style == "json_schema" else fmt["schema"]
    assert {"answer", "short_answer"} <= set(schema["properties"])


def test_without_structured_output_a_server_gets_the_chat_format(settings, embedder, corpus_file) -> None:
    bodies: list[dict] = []
    with fake_openai("answer", bodies=bodies) as base:
        answer = server_agent(settings, embedder, corpus_file, base).ask(QUESTION)
    assert answer.error is None and all("response_format" not in body for body in bodies)
    assert "[[ ## answer ## ]]" in bodies[-1]["messages"][0]["content"]
