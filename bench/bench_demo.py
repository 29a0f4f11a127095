"""Question-to-answer time and answer shape on the bundled demo corpus, for each embedded LLM preset.

    python -m bench.bench_demo [--models local/qwen2.5-coder-1.5b local/qwen2.5-coder-0.5b]

Prints, per model: raw llama.cpp prompt and generation tokens/s, then p50 and max seconds per question (models
warm, as in a chat session), LM calls, tokens and citations per answer. The questions were written for this
benchmark from the corpus' topics; nothing was tuned on them.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

QUESTIONS = [
    "How do hybrid retrievers combine sparse BM25 and dense embeddings?",
    "What are hard negatives and why do they matter when training dense retrievers?",
    "How can large language models be used to rerank search results?",
    "What benchmarks are used to evaluate zero-shot retrieval?",
    "How does retrieval-augmented generation reduce hallucination?",
    "What methods generate synthetic training queries for domain adaptation of retrievers?",
]


def raw_speed(agent) -> tuple[float, float]:
    """llama.cpp prompt and generation tokens/s on this machine, outside DSPy."""
    llama = agent.lm.engine.llama
    text = Path(agent_demo()).read_text()[:4000]
    llama.reset()
    started = time.perf_counter()
    out = llama.create_chat_completion(messages=[{"role": "user", "content": text}], max_tokens=1)
    prompt_tps = out["usage"]["prompt_tokens"] / (time.perf_counter() - started)
    llama.reset()
    started = time.perf_counter()
    out = llama.create_chat_completion(
        messages=[{"role": "user", "content": "Write a long story about a lighthouse."}], max_tokens=128
    )
    elapsed = time.perf_counter() - started
    return prompt_tps, out["usage"]["completion_tokens"] / elapsed


def agent_demo() -> Path:
    from sleuth.locations import demo_corpus

    return demo_corpus()


def run(model: str, home: Path, questions: list[str]) -> None:
    from sleuth.agent.api import ResearchAgent
    from sleuth.settings import Settings

    settings = Settings(home=home, models={"lm": model})
    with ResearchAgent(settings) as agent:
        report = agent.ingest([agent_demo()])
        started = time.perf_counter()
        _ = agent.lm.engine.llama
        load = time.perf_counter() - started
        prompt_tps, gen_tps = raw_speed(agent)
        seconds, calls, tokens_in, tokens_out, cites, words, errors = [], [], [], [], [], [], 0
        for question in questions:
            answer = agent.ask(question)
            seconds.append(answer.seconds)
            calls.append(answer.usage.llm_calls)
            tokens_in.append(answer.usage.input_tokens)
            tokens_out.append(answer.usage.output_tokens)
            cites.append(len(answer.citations))
            words.append(len(answer.answer.split()))
            errors += answer.error is not None
            print(f"  {answer.seconds:5.1f}s {len(answer.citations)} cites | {question}\n    {answer.answer[:300]}")
    print(
        f"\n== {model}\n"
        f"ingest: {report.documents} docs, {report.added} new chunks, {report.seconds:.1f}s | LLM load {load:.1f}s\n"
        f"llama.cpp: prompt {prompt_tps:.0f} tok/s, generation {gen_tps:.1f} tok/s\n"
        f"question->answer (warm): p50 {statistics.median(seconds):.1f}s, "
        f"max {max(seconds):.1f}s over {len(seconds)} questions\n"
        f"per answer: {statistics.mean(calls):.1f} LM calls, {statistics.mean(tokens_in):.0f} tokens in, "
        f"{statistics.mean(tokens_out):.0f} out, {statistics.mean(cites):.1f} citations, "
        f"{statistics.mean(words):.0f} words, {errors} errors\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["local/qwen2.5-coder-1.5b", "local/qwen2.5-coder-0.5b"])
    parser.add_argument("--questions", type=int, default=len(QUESTIONS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            run(model, Path(tmp) / model.replace("/", "_"), QUESTIONS[: args.questions])


if __name__ == "__main__":
    main()
