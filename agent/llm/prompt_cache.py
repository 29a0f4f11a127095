"""The embedded engine's cache of prompt states: in RAM for this process, and the latest long one on disk for the
next process.

llama.cpp evaluates only what follows the longest prefix a new prompt shares with a cached state, so within one
process the instructions of a Signature are evaluated once. A new process (each `sleuth ask`) would evaluate them
again: about 600 tokens, 8-12 s on 2 cores. So the latest state of a prompt of at least `PERSIST_FROM` tokens is
also written to `$SLEUTH_HOME/cache/` (its KV cells, tokens and seed in an .npz: no pickle, and no logits), replaced
atomically, and read back into the RAM cache when the engine starts: the next process's answer call then begins
where the last one's instructions ended. The file is named after the model, the context size and the llama.cpp
version, so a state is only ever restored into the model it came from; one that cannot be read is deleted.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

PERSIST_FROM = 256  # tokens: shorter prompts (the yes/no reranker's) are cheap to evaluate again


def lean_cache(capacity_bytes: int, state_file: Path | None = None) -> Any:
    """llama.cpp's RAM cache of prompt states, without the logits each state carries (a copy of up to 512 rows of
    the vocabulary's scores: 311 MB per state for Qwen's 152k tokens, which the stock cache neither counts nor
    needs: a restored state always evaluates its last token again before sampling). Its size counts what it holds.
    With `state_file`, the latest long state is kept there too, and restored from there now."""
    from llama_cpp import LlamaRAMCache

    class LeanRAMCache(LlamaRAMCache):
        @property
        def cache_size(self) -> int:
            return sum(s.llama_state_size + s.scores.nbytes + s.input_ids.nbytes for s in self.cache_state.values())

        def __setitem__(self, key: Any, value: Any) -> None:
            value.scores = np.zeros((1, value.scores.shape[1]), dtype=value.scores.dtype)
            super().__setitem__(key, value)
            if state_file is not None and len(key) >= PERSIST_FROM:
                save_state(state_file, tuple(key), value)

    cache = LeanRAMCache(capacity_bytes=capacity_bytes)
    if state_file is not None:
        restored = load_state(state_file)
        if restored is not None:
            cache.cache_state[restored[0]] = restored[1]
    return cache


def state_file(folder: Path, model_path: Path, n_ctx: int) -> Path:
    import llama_cpp

    return folder / f"{model_path.stem}.ctx{n_ctx}.llama-cpp-{llama_cpp.__version__}.prompt-state.npz"


def save_state(path: Path, key: tuple[int, ...], state: Any) -> None:
    """Writes the state atomically; a disk that refuses costs the next process its head start, nothing else."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        with partial.open("wb") as handle:
            np.savez(
                handle,
                key=np.asarray(key, dtype=np.int64),
                input_ids=state.input_ids,
                n_tokens=np.int64(state.n_tokens),
                llama_state=np.frombuffer(state.llama_state, dtype=np.uint8),
                seed=np.int64(state.seed),
                vocab=np.int64(state.scores.shape[1]),
            )
        os.replace(partial, path)
    except OSError:
        return


def load_state(path: Path) -> tuple[tuple[int, ...], Any] | None:
    if not path.is_file():
        return None
    try:
        from llama_cpp.llama import LlamaState

        with np.load(path, allow_pickle=False) as data:
            blob = data["llama_state"].tobytes()
            state = LlamaState(
                input_ids=data["input_ids"].copy(),
                scores=np.zeros((1, int(data["vocab"])), dtype=np.single),
                n_tokens=int(data["n_tokens"]),
                llama_state=blob,
                llama_state_size=len(blob),
                seed=int(data["seed"]),
            )
            return tuple(int(t) for t in data["key"]), state
    except (OSError, ValueError, KeyError, EOFError):
        path.unlink(missing_ok=True)
        return None


__all__ = ["PERSIST_FROM", "lean_cache", "load_state", "save_state", "state_file"]
