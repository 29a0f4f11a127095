"""Inputs the fuzzer (bench/fuzz.py) found crashing something, kept so they stay fixed."""

from __future__ import annotations

from pathlib import Path

import pytest

from sleuth.errors import InputError
from sleuth.evals.qa import load_questions


def test_a_questions_file_that_is_not_utf8_names_the_line_and_the_byte(tmp_path: Path) -> None:
    """Found by `evals.fuzz` ("eval qa questions"): a UnicodeDecodeError escaped load_questions."""
    path = tmp_path / "qa.jsonl"
    path.write_bytes(b'{"id": "q1", "question": "What is ColBERT?"}\n{"id": "q2", "question": "caf\xbd?"}\n')
    with pytest.raises(InputError, match=r"qa.jsonl:2: not UTF-8 text \(byte 0xbd at column 30\)"):
        load_questions(path)
