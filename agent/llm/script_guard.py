"""Keeps the embedded model writing in the scripts of its prompt.

Qwen models, small ones most, drift into Chinese mid-sentence at temperature 0 ("the optimal balance of volume
and 可靠性"), a token the passages never held. When nothing in the prompt is written in CJK, Hangul or
full-width forms, the tokens that would write such characters are masked out of generation: one boolean mask over
the vocabulary, built once per model from the tokens' bytes (half a second for Qwen's 152k), applied to each
step's logits in place. A prompt that holds such characters (a question or a collection in Chinese) is left alone.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

# U+3000-U+9FFF (CJK punctuation, kana, ideographs), U+AC00-U+D7AF (Hangul), U+F900-U+FAFF (CJK compatibility),
# U+FF00-U+FFEF (full-width and half-width forms).
_EAST_ASIAN = re.compile("[\u3000-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def writes_east_asian(token: bytes) -> bool:
    """True for a token whose bytes write (or begin) a character of those ranges: it holds a UTF-8 lead byte
    0xE3-0xED (U+3000-U+DFFF) or a full-width form (EF BC/EF BD)."""
    return any(0xE3 <= b <= 0xED for b in token) or b"\xef\xbc" in token or b"\xef\xbd" in token


def east_asian_mask(llama: Any) -> np.ndarray:
    return np.fromiter((writes_east_asian(llama.detokenize([i])) for i in range(llama.n_vocab())), bool)


def uses_east_asian(messages: list[dict[str, str]]) -> bool:
    return any(_EAST_ASIAN.search(m.get("content") or "") for m in messages)


class ScriptGuard:
    """A llama.cpp logits processor that masks the tokens in `mask` (`-inf`, in place)."""

    def __init__(self, mask: np.ndarray) -> None:
        self.mask = mask

    def __call__(self, input_ids: Any, scores: np.ndarray) -> np.ndarray:
        if scores.shape[-1] == self.mask.shape[0]:
            scores[..., self.mask] = -np.inf
        return scores


__all__ = ["ScriptGuard", "east_asian_mask", "uses_east_asian", "writes_east_asian"]
