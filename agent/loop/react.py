"""Explore: free-form tool calling with dspy.ReAct over the table of tools, for LMs strong enough to drive it.

The tools fill a list of passages shown to the LM (numbered in the order shown); that list becomes the run's
evidence, which the judge, the drafter and the verifier then take as in the other loops. A failing tool call is
an observation for the LM, not a crash; the budget is checked before each one.
"""

from __future__ import annotations

from collections.abc import Callable

import dspy

from sleuth.agent.loop.research import diverse
from sleuth.agent.loop.toolbox import TOOLS, Tool, use_tool
from sleuth.agent.loop.trace import Trace, first_line
from sleuth.prompts.signatures import ResearchNotes
from sleuth.schema import Hit
from sleuth.settings import AgentSettings
from sleuth.tools.passages import PassageSource
from sleuth.tools.text import format_passages

SHOWN_PER_CALL = 4  # new passages one tool call may show
CALLS_KEPT = 3  # LM calls kept for the judge, the draft and the check after the tool loop


class Explore(dspy.Module):
    def __init__(self, settings: AgentSettings) -> None:
        super().__init__()
        self.settings = settings

    def forward(self, trace: Trace, source: PassageSource, question: str, pool: list[Hit]) -> list[Hit]:
        """The passages the tool loop showed the LM, in the order shown (the pool's best first)."""
        shown: list[Hit] = []

        def show(hits: list[Hit]) -> str:
            new = [h for h in hits if h.chunk_id not in {s.chunk_id for s in shown}][:SHOWN_PER_CALL]
            shown.extend(new)
            first = len(shown) - len(new) + 1
            return format_passages(new, self.settings.passage_chars, start=first) if new else "Nothing new."

        show(diverse(pool, self.settings.top_k))
        tools = [_as_dspy_tool(tool, trace, source, question, shown, show) for tool in TOOLS]
        react = dspy.ReAct(
            ResearchNotes, tools=tools, max_iters=max(1, trace.budget.remaining_calls() - CALLS_KEPT - 1)
        )
        with trace.stage("react", failing="the tool loop") as stage:
            prediction = stage.attempt(react, question=question)
            if prediction is not None:  # each thought was one more LM call inside the ReAct module
                calls = sum(1 for key in (prediction.trajectory or {}) if key.startswith("thought_")) + 1
                trace.budget.usage.llm_calls += calls - 1
                trace.budget.steps += calls - 1
                stage.calls += calls - 1
            stage.note(found=[h.chunk_id for h in shown])
        return shown


def _as_dspy_tool(
    tool: Tool, trace: Trace, source: PassageSource, question: str, shown: list[Hit], show: Callable[[list[Hit]], str]
) -> dspy.Tool:
    def call(**kwargs: object) -> str:
        if not trace.budget.allows_tool_call(reserve=CALLS_KEPT):
            return "The budget is spent: finish now."
        trace.budget.charge_tool()
        try:
            hits = use_tool(tool.name, source, question, shown, kwargs.get(tool.argument, ""))
        except Exception as exc:  # a failing tool is an observation, not a crash
            return f"{tool.name} failed: {first_line(exc)}"
        trace.searched(str(kwargs.get(tool.argument, "")), "tool", hits)
        return show(hits)

    return dspy.Tool(
        call, name=tool.name, desc=tool.description, args=tool.schema, arg_types={tool.argument: tool.kind}
    )
