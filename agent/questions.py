"""What makes a question askable: not empty, not a document pasted in, something in it to search for."""

from __future__ import annotations

import re

from sleuth.errors import InputError
from sleuth.lexicon import SHORT_STOPWORDS, STOPWORDS

MAX_QUESTION_CHARS = 4000


def check_question(question: str) -> str:
    text = " ".join(str(question or "").split())
    if not text:
        raise InputError("The question is empty.", "Ask something about your documents.")
    if len(text) > MAX_QUESTION_CHARS:
        raise InputError(
            f"The question is {len(text):,} characters long; the limit is {MAX_QUESTION_CHARS:,}.",
            "Shorten it to the question itself; put background material into the collection instead.",
        )
    if not any(w not in STOPWORDS and w not in SHORT_STOPWORDS for w in re.findall(r"\w+", text.lower())):
        raise InputError(
            f"The question '{text[:80]}' has nothing to search for: only punctuation or words like 'the' and 'what'.",
            "Ask about something by name: a method, a paper, a person, a term.",
        )
    return text
