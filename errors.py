"""One base exception with a few structured subclasses.

Every boundary (CLI, TUI, batch line, API) turns these into a message that says what was wrong
and what to do; `hint` carries the second half.
"""

from __future__ import annotations


class SleuthError(Exception):
    """Base of every error sleuth raises on purpose."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class ConfigError(SleuthError):
    """A setting is invalid or contradicts another."""


class InputError(SleuthError):
    """The user's input (question, file, query) cannot be used as given."""


class NoCollectionError(SleuthError):
    """The collection to search does not exist or holds nothing."""


class ModelUnavailableError(SleuthError):
    """A model is missing, damaged, or its backend is not installed."""


class IndexLockedError(SleuthError):
    """Another process holds the embedded index."""


class LMError(SleuthError):
    """The language model failed in a way retries could not fix."""


class Cancelled(SleuthError):
    """The user stopped the question; nothing of the run was stored."""
