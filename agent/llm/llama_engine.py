"""The embedded llama.cpp model as a DSPy engine.

It plugs into DSPy 3.4's engine API (`dspy.LM(..., engine=, async_engine=)`): sync, async and token streaming.
It declares JSON-schema support, so DSPy's JSONAdapter sends each Signature's output schema and llama.cpp turns it
into a grammar: a 1.5B model then cannot produce unparseable output (checked token by token at little cost:
`agent/llm/llama_sampling.py`). What a call streams to, its deadline and
its stop signal come from `agent/llm/generation.py`, where the engine also reports the model's measured speed.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

from sleuth.agent.llm.generation import DEADLINE, RATES, STOP, TOKEN_SINK
from sleuth.agent.llm.llama_sampling import greedy_first_llama
from sleuth.agent.llm.prompt_cache import lean_cache, state_file
from sleuth.agent.llm.requests import generation_kwargs, messages_of
from sleuth.agent.llm.script_guard import ScriptGuard, east_asian_mask, uses_east_asian
from sleuth.errors import ModelUnavailableError

LLAMA_CPP_HINT = (
    "Install llama-cpp-python (bash setup.sh builds it with the portable CMAKE_ARGS), or set SLEUTH_LM to a "
    "LiteLLM model string such as openai/gpt-4o-mini."
)


class LlamaCppEngine:
    """A DSPy engine over one llama.cpp model; calls are serialised (a Llama object is not thread-safe).

    Prompt evaluation is what a call costs here (40-90 tokens/s on 2 cores, against about 24 generated), so the engine
    keeps the states of recent prompts (`LlamaRAMCache`): a prompt that shares a prefix with one of them (the same
    Signature's instructions, the same question and passages) evaluates only what follows the prefix. Each call's
    usage reports the prompt tokens reused that way (`cache_read_tokens`)."""

    supports_response_schema = True
    supported_params = frozenset({"temperature", "max_tokens", "top_p", "stop", "seed", "response_format"})

    def __init__(
        self,
        model_path: Path,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        factory: Callable[..., Any] | None = None,
        cache_bytes: int = 1 << 30,
        state_folder: Path | None = None,
    ) -> None:
        self.model_path = Path(model_path)
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.cache_bytes = cache_bytes
        self.state_folder = state_folder  # where the latest long prompt state is kept for the next process
        self._factory = factory
        self._lock = threading.Lock()

    @cached_property
    def llama(self) -> Any:
        factory = self._factory
        if factory is None:
            try:
                factory = greedy_first_llama()
            except ImportError as exc:
                raise ModelUnavailableError("llama-cpp-python is not installed.", LLAMA_CPP_HINT) from exc
        # llama-cpp-python generates on half the cores by default; on a laptop every core helps.
        threads = self.n_threads or os.cpu_count() or 1
        llama = factory(
            model_path=str(self.model_path),
            n_ctx=self.n_ctx,
            n_threads=threads,
            n_threads_batch=threads,
            verbose=False,
            seed=0,
        )
        if self.cache_bytes and hasattr(llama, "set_cache"):
            state = state_file(self.state_folder, self.model_path, self.n_ctx) if self.state_folder else None
            llama.set_cache(lean_cache(self.cache_bytes, state))
        return llama

    def load(self) -> None:
        """Loads the model and builds what every call uses, so the first question does not wait for either."""
        _ = self.script_guard

    def _kwargs(self, request: Any) -> dict[str, Any]:
        """llama.cpp's generation options for `request`; tokens of scripts the prompt does not use are masked."""
        kwargs = generation_kwargs(request)
        if self.script_guard is not None and not uses_east_asian(messages_of(request)):
            from llama_cpp import LogitsProcessorList

            kwargs["logits_processor"] = LogitsProcessorList([self.script_guard])
        return kwargs

    @cached_property
    def script_guard(self) -> ScriptGuard | None:
        """None for a stand-in model without a vocabulary to mask."""
        return ScriptGuard(east_asian_mask(self.llama)) if hasattr(self.llama, "detokenize") else None

    def complete(self, request: Any) -> Any:
        from dspy.lm15 import Message, Response, TextPart, Usage

        sink, deadline, stop = TOKEN_SINK.get(), DEADLINE.get(), STOP.get()
        with self._lock:
            llama = self.llama
            _reset_counters(llama)
            if sink is None and deadline is None and stop is None:
                out = llama.create_chat_completion(messages=messages_of(request), **self._kwargs(request))
                choice = out["choices"][0]
                text, finish, usage = choice["message"].get("content") or "", choice.get("finish_reason"), out["usage"]
            else:
                text, finish, usage = self._streamed(llama, request, sink, deadline, stop)
            evaluated = _evaluated_prompt_tokens(llama)
        prompt = usage.get("prompt_tokens")
        cached = max(0, prompt - evaluated) if prompt is not None and evaluated is not None else None
        return Response(
            id=None,
            model=self.model_path.stem,
            message=Message.assistant([TextPart(text)]),
            finish_reason=_finish(finish),
            usage=Usage(input_tokens=prompt, output_tokens=usage.get("completion_tokens"), cache_read_tokens=cached),
        )

    def _streamed(
        self,
        llama: Any,
        request: Any,
        sink: Callable[[str], None] | None,
        deadline: float | None,
        stop: Callable[[], bool] | None = None,
    ) -> tuple[str, str, dict[str, Any]]:
        """Generates piece by piece, handing each to `sink`; past `deadline` it stops and reports `length`."""
        pieces: list[str] = []
        finish = "stop"
        chunks = llama.create_chat_completion(messages=messages_of(request), stream=True, **self._kwargs(request))
        try:
            for chunk in chunks:
                choice = chunk["choices"][0]
                piece = (choice.get("delta") or {}).get("content")
                if piece:
                    pieces.append(piece)
                    if sink is not None:
                        sink(piece)
                if choice.get("finish_reason"):
                    finish = choice["finish_reason"]
                if (deadline is not None and time.perf_counter() > deadline) or (stop is not None and stop()):
                    finish = "length"
                    break
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        prompt = _prompt_tokens(llama, request)
        return "".join(pieces), finish, {"prompt_tokens": prompt, "completion_tokens": len(pieces)}

    def stream(self, request: Any) -> Iterator[Any]:
        from dspy.lm15 import StreamDeltaEvent, StreamEndEvent, StreamStartEvent, TextDelta, Usage

        yield StreamStartEvent(model=self.model_path.stem)
        finish = "stop"
        produced = 0
        with self._lock:
            chunks = self.llama.create_chat_completion(
                messages=messages_of(request), stream=True, **self._kwargs(request)
            )
            for chunk in chunks:
                choice = chunk["choices"][0]
                text = (choice.get("delta") or {}).get("content")
                if text:
                    produced += 1
                    yield StreamDeltaEvent(delta=TextDelta(text=text, part_index=0))
                if choice.get("finish_reason"):
                    finish = _finish(choice["finish_reason"])
        yield StreamEndEvent(finish_reason=finish, usage=Usage(output_tokens=produced))

    def yes_no_logits(self, prompts: list[str], deadline: float | None = None) -> list[float]:
        """log P(yes) - log P(no) for the first answer token after each prompt (a chat-formatted user turn).

        Prompts that share a prefix (the same instruction and query, then a different passage) reuse the KV cache
        of that prefix, so each costs only its own tokens. Stops at `deadline` (a perf_counter time): the list is
        then shorter than `prompts`."""
        import numpy as np

        with self._lock:
            llama = self.llama
            yes, no = (
                _answer_tokens(llama, ("Yes", "yes", " Yes", " yes")),
                _answer_tokens(llama, ("No", "no", " No", " no")),
            )
            scores: list[float] = []
            for prompt in prompts:
                if deadline is not None and time.perf_counter() > deadline:
                    break
                tokens = llama.tokenize(_chat_turn(llama, prompt).encode("utf-8"), add_bos=True, special=True)
                tokens = tokens[-(self.n_ctx - 1) :]
                shared = 0
                for a, b in zip(llama.input_ids[: llama.n_tokens], tokens[:-1], strict=False):
                    if a != b:
                        break
                    shared += 1
                llama.n_tokens = shared
                llama.eval(tokens[shared:])
                logits = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(llama.n_vocab(),))
                scores.append(float(np.logaddexp.reduce(logits[yes]) - np.logaddexp.reduce(logits[no])))
            return scores

    def close(self) -> None:
        pass


def _reset_counters(llama: Any) -> None:
    ctx = getattr(getattr(llama, "_ctx", None), "ctx", None)
    if ctx is not None:
        import llama_cpp

        llama_cpp.llama_perf_context_reset(ctx)


def _evaluated_prompt_tokens(llama: Any) -> int | None:
    """Prompt tokens llama.cpp evaluated in the last call (the rest came from a cached prefix); None if unknown."""
    ctx = getattr(getattr(llama, "_ctx", None), "ctx", None)
    if ctx is None:
        return None
    import llama_cpp

    data = llama_cpp.llama_perf_context(ctx)
    RATES.observe(data.n_p_eval, data.t_p_eval_ms, data.n_eval, data.t_eval_ms)
    return int(data.n_p_eval)


def _prompt_tokens(llama: Any, request: Any) -> int | None:
    """The chat prompt's length in tokens (a streamed call reports no usage), counted in ChatML as Qwen formats it."""
    template = (getattr(llama, "metadata", None) or {}).get("tokenizer.chat_template", "")
    if template and "<|im_start|>" not in template or not hasattr(llama, "tokenize"):
        return None
    text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages_of(request))
    try:
        return len(llama.tokenize((text + "<|im_start|>assistant\n").encode("utf-8"), add_bos=False, special=True))
    except Exception:  # a count is a report, never a reason to fail the call
        return None


def _answer_tokens(llama: Any, words: tuple[str, ...]) -> list[int]:
    return sorted({llama.tokenize(w.encode("utf-8"), add_bos=False, special=False)[0] for w in words})


def _chat_turn(llama: Any, user: str) -> str:
    """One user turn and the start of the assistant's reply in the model's chat format (ChatML for Qwen)."""
    template = (llama.metadata or {}).get("tokenizer.chat_template", "")
    if "<|im_start|>" in template or not template:
        return f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
    return f"{user}\nAnswer: "


def _finish(reason: str | None) -> str:
    return reason if reason in ("stop", "length") else "stop"
