"""The embedded LM's DSPy engine, driven through dspy.LM and the JSONAdapter with a stand-in llama.cpp."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import dspy
import pytest

from sleuth.agent.llm.async_engine import AsyncLlamaCppEngine
from sleuth.agent.llm.llama_engine import LlamaCppEngine
from sleuth.agent.llm.lm import build_lm
from sleuth.errors import ConfigError, ModelUnavailableError
from sleuth.prompts.signatures import PlanResearch
from sleuth.settings import Settings


class FakeLlama:
    """Records what llama.cpp would be asked and answers with fixed JSON."""

    def __init__(self, reply: dict, **kwargs) -> None:
        self.reply = json.dumps(reply)
        self.calls: list[dict] = []

    def create_chat_completion(self, messages, stream=False, **kwargs):
        self.calls.append({"messages": messages, **kwargs})
        if stream:
            half = len(self.reply) // 2
            return iter(
                [
                    {"choices": [{"delta": {"content": self.reply[:half]}, "finish_reason": None}]},
                    {"choices": [{"delta": {"content": self.reply[half:]}, "finish_reason": "stop"}]},
                ]
            )
        return {
            "id": "x",
            "choices": [{"message": {"content": self.reply}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 7},
        }


@pytest.fixture
def engine() -> LlamaCppEngine:
    fake = FakeLlama({"sub_questions": ["What is BM25?"], "queries": ["bm25 ranking"]})
    return LlamaCppEngine(Path("model.gguf"), factory=lambda **kw: fake)


def _lm(engine: LlamaCppEngine) -> dspy.LM:
    return dspy.LM(
        "local/test",
        engine=engine,
        async_engine=AsyncLlamaCppEngine(engine),
        cache=False,
        temperature=0.0,
        max_tokens=64,
    )


def test_json_adapter_sends_the_output_schema_as_a_grammar_and_parses_the_reply(engine) -> None:
    with dspy.context(lm=_lm(engine), adapter=dspy.JSONAdapter()):
        prediction = dspy.Predict(PlanResearch)(question="What is BM25?")
    assert prediction.sub_questions == ["What is BM25?"]
    call = engine.llama.calls[0]
    assert call["response_format"]["type"] == "json_object"
    assert set(call["response_format"]["schema"]["properties"]) == {"sub_questions"}
    assert call["max_tokens"] == 64 and call["temperature"] == 0.0
    assert None not in call.values()


def test_async_calls_work(engine) -> None:
    async def run():
        with dspy.context(lm=_lm(engine), adapter=dspy.JSONAdapter()):
            return await dspy.Predict(PlanResearch).acall(question="What is BM25?")

    assert asyncio.run(run()).sub_questions == ["What is BM25?"]


def test_streaming_yields_text_deltas_then_the_end(engine) -> None:
    from dspy.lm15 import Message, Request

    async def collect():
        return [
            e
            async for e in AsyncLlamaCppEngine(engine).stream(
                Request(model="local/test", messages=(Message.user("hi"),))
            )
        ]

    events = asyncio.run(collect())
    assert [e.type for e in events] == ["start", "delta", "delta", "end"]
    assert "".join(e.delta.text for e in events[1:-1]) == engine.llama.reply


def test_unknown_local_preset_lists_the_presets() -> None:
    settings = Settings(models={"lm": "local/llama-9000"})
    with pytest.raises(ModelUnavailableError, match="qwen2.5-coder-1.5b"):
        build_lm(settings)


def test_model_string_without_provider_is_refused() -> None:
    with pytest.raises(ConfigError, match="provider/model"):
        build_lm(Settings(models={"lm": "gpt-4o"}))


def test_litellm_model_string_builds_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    lm = build_lm(Settings(models={"lm": "openai/gpt-4o-mini", "api_base": "http://127.0.0.1:9/v1"}))
    assert lm.model == "openai/gpt-4o-mini"


def test_the_answer_schema_bounds_the_number_of_sentences() -> None:
    from sleuth.prompts.signatures import AnswerWithCitations

    reply = {
        "answer": {
            "sentences": [
                {"text": "BM25 ranks [1].", "sources": [1]},
                {"text": "It uses IDF.", "sources": [1]},
            ]
        },
        "short_answer": "term weighting",
        "missing": "",
    }
    engine = LlamaCppEngine(Path("model.gguf"), factory=lambda **kw: FakeLlama(reply))
    with dspy.context(lm=_lm(engine), adapter=dspy.JSONAdapter()):
        prediction = dspy.Predict(AnswerWithCitations)(question="q", passages="[1] BM25: ranks")
    assert len(prediction.answer.sentences) == 2
    schema = json.dumps(engine.llama.calls[0]["response_format"]["schema"])
    assert '"minItems": 2' in schema and '"maxItems": 3' in schema
    # the sentences first: written after them, the short answer names what they found (written first, the 1.5B
    # model said "unknown" for 7 of 9 HotpotQA questions whose sentences held the answer)
    assert list(engine.llama.calls[0]["response_format"]["schema"]["properties"]) == [
        "answer",
        "short_answer",
        "missing",
    ]


def test_the_engine_streams_pieces_to_the_sink_and_stops_at_the_deadline() -> None:
    import time

    from sleuth.agent.llm.generation import generation

    reply = {"sub_questions": ["What is BM25?"], "queries": ["bm25 ranking"]}
    engine = LlamaCppEngine(Path("model.gguf"), factory=lambda **kw: FakeLlama(reply))
    pieces: list[str] = []
    with dspy.context(lm=_lm(engine), adapter=dspy.JSONAdapter()), generation(pieces.append, time.perf_counter() + 60):
        prediction = dspy.Predict(PlanResearch)(question="What is BM25?")
    assert len(pieces) == 2 and "".join(pieces) == json.dumps(reply)
    assert prediction.sub_questions == ["What is BM25?"]
    cut: list[str] = []
    past = time.perf_counter() - 1
    lm = _lm(engine)
    # half a JSON object may not parse: the drafter salvages it
    with dspy.context(lm=lm, adapter=dspy.JSONAdapter()), generation(cut.append, past), contextlib.suppress(Exception):
        dspy.Predict(PlanResearch)(question="What is BM25?")
    assert len(cut) == 1  # stopped after the first piece, past its deadline


def test_generation_stops_as_soon_as_the_user_cancels() -> None:
    from sleuth.agent.llm.generation import generation

    reply = {"sub_questions": ["What is BM25?"], "queries": ["bm25 ranking"]}
    engine = LlamaCppEngine(Path("model.gguf"), factory=lambda **kw: FakeLlama(reply))
    pieces: list[str] = []
    lm = _lm(engine)
    stopped = generation(pieces.append, stop=lambda: True)
    with dspy.context(lm=lm, adapter=dspy.JSONAdapter()), stopped, contextlib.suppress(Exception):
        dspy.Predict(PlanResearch)(question="What is BM25?")
    assert len(pieces) == 1


def test_the_prompt_cache_drops_the_logits_copy_and_counts_what_it_holds() -> None:
    pytest.importorskip("llama_cpp")
    import numpy as np

    from sleuth.agent.llm.prompt_cache import lean_cache

    class State:  # the fields of llama_cpp.LlamaState that the cache reads
        def __init__(self) -> None:
            self.scores = np.ones((512, 1000), dtype=np.single)  # 2 MB of logits a restored state never uses
            self.input_ids = np.zeros(16, dtype=np.intc)
            self.llama_state_size = 100

    cache = lean_cache(capacity_bytes=3 * (100 + 4000 + 64))
    for key in ((1, 2, 3), (1, 2, 4), (1, 5), (7,)):
        cache[key] = State()
    assert all(s.scores.shape == (1, 1000) for s in cache.cache_state.values())
    assert len(cache.cache_state) == 3 and cache.cache_size <= 3 * (100 + 4000 + 64)  # the oldest went
    assert cache[(1, 2, 4, 9)] is cache.cache_state[(1, 2, 4)]  # the longest shared prefix wins


class VocabLlama(FakeLlama):
    """A fake model with a five-token vocabulary, two of whose tokens write Chinese."""

    VOCAB = [b"the", " 可".encode(), b" volume", "\u3002".encode(), b" \xe5"]

    def n_vocab(self) -> int:
        return len(self.VOCAB)

    def detokenize(self, tokens: list[int]) -> bytes:
        return b"".join(self.VOCAB[t] for t in tokens)


def test_tokens_of_scripts_the_prompt_does_not_use_are_masked() -> None:
    import numpy as np

    from sleuth.agent.llm.script_guard import writes_east_asian

    assert writes_east_asian(" 可靠性".encode()) and writes_east_asian(b"\xe5")  # a whole character or its lead byte
    assert not writes_east_asian("naïve – “quoted”".encode())  # Latin accents and typographic punctuation stay
    fake = VocabLlama({"sub_questions": [], "queries": []})
    engine = LlamaCppEngine(Path("model.gguf"), factory=lambda **kw: fake)
    with dspy.context(lm=_lm(engine), adapter=dspy.JSONAdapter()):
        dspy.Predict(PlanResearch)(question="What is BM25?")
        dspy.Predict(PlanResearch)(question="BM25 是什么?")
    english, chinese = fake.calls
    assert "logits_processor" not in chinese  # a question in Chinese may be answered in Chinese
    scores = np.zeros(5, dtype=np.float32)
    english["logits_processor"](np.array([0]), scores)
    assert list(np.isinf(scores)) == [False, True, False, True, True]


def test_the_latest_long_prompt_state_is_kept_on_disk_for_the_next_process(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    import numpy as np

    from sleuth.agent.llm.prompt_cache import PERSIST_FROM, lean_cache

    class State:
        def __init__(self, n: int) -> None:
            self.scores = np.ones((4, 50), dtype=np.single)
            self.input_ids = np.arange(n, dtype=np.intc)
            self.n_tokens = n
            self.llama_state = bytes(range(256)) * 4
            self.llama_state_size = len(self.llama_state)
            self.seed = 7

    path = tmp_path / "cache" / "model.prompt-state.npz"
    first = lean_cache(1 << 20, path)
    first[tuple(range(8))] = State(8)  # short: not worth a file
    assert not path.exists()
    long = tuple(range(PERSIST_FROM + 10))
    first[long] = State(len(long))
    assert path.exists() and not list(path.parent.glob("*.partial"))
    second = lean_cache(1 << 20, path)  # a new process
    restored = second[(*long[:300], 99999)]  # a new prompt sharing the instructions
    assert restored.n_tokens == len(long) and restored.llama_state == bytes(range(256)) * 4
    assert restored.seed == 7 and restored.scores.shape == (1, 50) and list(restored.input_ids[:3]) == [0, 1, 2]
    path.write_bytes(b"not an npz")  # a damaged file is dropped, not fatal
    assert lean_cache(1 << 20, path).cache_state == {} and not path.exists()


def test_a_replayed_request_is_answered_from_the_record_and_a_new_one_reaches_the_model(tmp_path) -> None:
    from bench.replay import replaying
    from sleuth.agent.llm.generation import generation

    record_file = tmp_path / "replies.jsonl"
    unpatched, json_out = LlamaCppEngine.complete, dspy.JSONAdapter()
    first = FakeLlama({"sub_questions": ["What is BM25?"], "queries": ["bm25"]})
    engine = LlamaCppEngine(Path("model.gguf"), factory=lambda **kw: first)
    with replaying(record_file) as record, dspy.context(lm=_lm(engine), adapter=json_out):
        dspy.Predict(PlanResearch)(question="What is BM25?")
    assert len(first.calls) == 1 and record.replayed == 0

    second = FakeLlama({"sub_questions": ["a different reply"], "queries": []})
    engine = LlamaCppEngine(Path("model.gguf"), factory=lambda **kw: second)
    streamed: list[str] = []
    with replaying(record_file) as record, dspy.context(lm=_lm(engine), adapter=json_out):
        with generation(streamed.append, None, None):
            replayed = dspy.Predict(PlanResearch)(question="What is BM25?")
        fresh = dspy.Predict(PlanResearch)(question="What is SPLADE?")
    assert replayed.sub_questions == ["What is BM25?"]  # the recorded reply, not the new model's
    assert json.loads("".join(streamed))["queries"] == ["bm25"]  # handed to the token sink as a stream would be
    assert fresh.sub_questions == ["a different reply"] and len(second.calls) == 1
    assert record.replayed == 1 and len(record_file.read_text().splitlines()) == 2
    assert LlamaCppEngine.complete is unpatched  # the engine is itself again outside the block


def test_a_record_that_is_not_one_is_refused_with_what_to_do(tmp_path) -> None:
    from bench.replay import Record

    damaged = tmp_path / "replies.jsonl"
    damaged.write_text('{"key": "a", "text": "x"}\nnot json\n')
    with pytest.raises(ValueError, match=r"line 2, is not a recorded reply.*new path to start a record"):
        Record(damaged)
