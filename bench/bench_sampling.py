"""Generation speed of the embedded LLM with a JSON schema: llama-cpp-python's stock sampler chain (the grammar
applied to the whole vocabulary before every token) against `agent/llm/llama_sampling.py` (the grammar asked about the
best token first), on the prompts the agent really sends.

    python -m bench.bench_sampling [--data bench/data/demo_questions.jsonl] [--out FILE]

The agent answers each question once while its LM requests are recorded; each request is then replayed on a fresh
model per sampler: its prompt evaluated first (one token generated), then the timed generation from the cached
prompt, so the figures are generation alone (without the script guard, whose cost both samplers share). Prints,
per prompt, the tokens, both samplers' seconds and whether their texts are the same; then the totals. Greedy
decoding, as the agent uses.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
from pathlib import Path
from typing import Any

from sleuth.evals.qa import load_questions


def record_requests(questions: list[str], home: Path) -> tuple[list[dict[str, Any]], Path]:
    """The chat messages and generation options of every LM call the agent makes for `questions`, and the model."""
    from sleuth.agent.api import ResearchAgent
    from sleuth.agent.llm import llama_engine
    from sleuth.locations import demo_corpus
    from sleuth.settings import Settings

    recorded: list[dict[str, Any]] = []
    options = llama_engine.LlamaCppEngine._kwargs

    def recording(engine: Any, request: Any) -> dict[str, Any]:
        kwargs = options(engine, request)
        recorded.append({"messages": llama_engine._messages(request), "options": kwargs})
        return kwargs

    settings = Settings(home=home)
    settings.index.collection = "bench-sampling"
    settings.memory.enabled = False
    llama_engine.LlamaCppEngine._kwargs = recording  # type: ignore[method-assign]
    try:
        with ResearchAgent(settings) as agent:
            agent.ingest([demo_corpus()])
            for question in questions:
                agent.ask(question)
            model = agent.lm.engine.model_path
    finally:
        llama_engine.LlamaCppEngine._kwargs = options  # type: ignore[method-assign]
    return [r for r in recorded if "response_format" in r["options"]], model


def replay(factory: Any, model: Path, requests: list[dict[str, Any]]) -> list[tuple[int, float, str]]:
    """Per request: generated tokens, seconds of generation, and a digest of the text."""
    threads = os.cpu_count() or 1  # as the engine runs it
    llama = factory(
        model_path=str(model), n_ctx=4096, n_threads=threads, n_threads_batch=threads, verbose=False, seed=0
    )
    out = []
    for request in requests:
        llama.create_chat_completion(messages=request["messages"], **{**request["options"], "max_tokens": 1})
        started = time.perf_counter()
        result = llama.create_chat_completion(messages=request["messages"], **request["options"])
        seconds = time.perf_counter() - started
        text = result["choices"][0]["message"]["content"] or ""
        out.append((result["usage"]["completion_tokens"], seconds, hashlib.sha256(text.encode()).hexdigest()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("bench/data/demo_questions.jsonl"))
    parser.add_argument("--home", type=Path, default=Path("/tmp/sleuth-bench-agent"), help="Index and model cache.")
    parser.add_argument("--out", type=Path, help="Also write the report here.")
    args = parser.parse_args()
    from llama_cpp import Llama, LogitsProcessorList

    from sleuth.agent.llm.llama_sampling import greedy_first_llama

    questions = [q.question for q in load_questions(args.data)]
    requests, model = record_requests(questions, args.home)
    for request in requests:  # the logits processor (script guard) is an object of the recording engine
        request["options"] = {k: v for k, v in request["options"].items() if not isinstance(v, LogitsProcessorList)}
    stock = replay(Llama, model, requests)
    fast = replay(greedy_first_llama(), model, requests)
    lines = [
        f"{len(requests)} schema-constrained LM calls of the agent on {len(questions)} questions ({args.data.name})",
        f"{'call':>4} {'tokens':>6} {'stock s':>8} {'fast s':>8} same text",
    ]
    for i, ((tokens, slow, a), (_, quick, b)) in enumerate(zip(stock, fast, strict=True), 1):
        lines.append(f"{i:4d} {tokens:6d} {slow:8.2f} {quick:8.2f} {'yes' if a == b else 'NO'}")
    tokens = sum(t for t, _, _ in stock)
    slow, quick = sum(s for _, s, _ in stock), sum(s for _, s, _ in fast)
    same = sum(a[2] == b[2] for a, b in zip(stock, fast, strict=True))
    lines += [
        f"total {tokens} tokens: stock {slow:.1f} s ({tokens / slow:.1f} tok/s), "
        f"greedy-first grammar {quick:.1f} s ({tokens / quick:.1f} tok/s), {1 - quick / slow:.0%} less time; "
        f"same text in {same} of {len(requests)} calls",
    ]
    report = "\n".join(lines)
    print(report)
    if args.out:
        args.out.write_text(report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
