"""sleuth: an offline research assistant that answers from your documents with verified citations.

Importing the package is cheap: nothing is loaded, created or opened until it is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Answer", "Citation", "ResearchAgent", "Settings", "SleuthError"]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from sleuth.agent.api import ResearchAgent
    from sleuth.errors import SleuthError
    from sleuth.schema import Answer, Citation
    from sleuth.settings import Settings

_LAZY = {
    "ResearchAgent": "sleuth.agent.api",
    "Settings": "sleuth.settings",
    "SleuthError": "sleuth.errors",
    "Answer": "sleuth.schema",
    "Citation": "sleuth.schema",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sleuth' has no attribute {name!r}")
