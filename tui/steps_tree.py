"""The live tree of what the agent did for one question: each step with its seconds and LM calls, expandable to
its details (sub-questions, queries, hit counts, passages kept and dropped, tool calls, tokens)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Tree

from sleuth.schema import STEP_WORDS, Step

SHOWN = 8  # items of a list detail shown before "... and N more"


def label(step: Step) -> str:
    calls = f", {step.llm_calls} LM call{'s' if step.llm_calls != 1 else ''}" if step.llm_calls else ""
    reason = step.detail.get("reason") or step.detail.get("path")
    why = f": {reason}" if step.kind == "route" and reason else ""
    return f"{STEP_WORDS.get(step.kind, step.kind)}{why} ({step.seconds:.1f}s{calls})"


def details(step: Step) -> list[tuple[str, list[str]]]:
    """(label, children) per detail worth showing; lists become children, counts stay in the label."""
    out = []
    for key, value in step.detail.items():
        if key in ("reason", "path") and step.kind == "route":
            continue
        if isinstance(value, list):
            items = [_text(v) for v in value[:SHOWN]] + (
                [f"... and {len(value) - SHOWN} more"] if len(value) > SHOWN else []
            )
            out.append((f"{key.replace('_', ' ')}: {len(value)}", items))
        elif value not in (None, "", {}):
            out.append((f"{key.replace('_', ' ')}: {_text(value)}", []))
    return out


def _text(value: Any) -> str:
    return str(value)[:120]


class StepsTree(Tree[str]):
    """Grows as steps arrive; collapsed under the answer once it is done."""

    DEFAULT_CSS = "StepsTree { height: auto; max-height: 14; margin: 0 0 0 2; background: $surface; }"

    def __init__(self) -> None:
        super().__init__("research steps")
        self.root.expand()

    def add_step(self, step: Step) -> None:
        node = self.root.add(label(step))
        for text, children in details(step):
            child = node.add(text) if children else node.add_leaf(text)
            for item in children:
                child.add_leaf(item)
