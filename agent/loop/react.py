"""Explore: free-form tool calling with dspy.ReAct over the table of tools, for LMs strong enough to drive it.

The tools fill a list of passages shown to the LM (numbered in the order shown); that list becomes the run's
evidence, which the judge, the drafter and the verifier then take as in the other loops. A failing tool call is
an observation for the LM, not a crash; the budget is checked before each one.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import dspy

from sleuth.agent.loop.run import Run, call_lm, diverse, first_line, tokens
from sleuth.agent.loop.toolbox import TOOLS, Tool, use_tool
from sleuth.prompts.signatures import ResearchNotes
from sleuth.schema import Hit, Usage
from sleuth.settings import AgentSettings
from sleuth.tools.text import format_passages

SHOWN_PER_CALL = 4  # new passages one tool call may show
CALLS_KEPT = 3  # LM calls kept for the judge, the draft and the check after the tool loop


class Explore(dspy.Module):
    def __init__(self, settings: AgentSettings) -> None:
        super().__init__()
        self.settings = settings

    def forward(self, run: Run) -> None:
        started = time.perf_counter()
        shown: list[Hit] = []

        def show(hits: list[Hit]) -> str:
            new = [h for h in hits if h.chunk_id not in {s.chunk_id for s in shown}][:SHOWN_PER_CALL]
            shown.extend(new)
            first = len(shown) - len(new) + 1
            return format_passages(new, self.settings.passage_chars, start=first) if new else "Nothing new."

        show(diverse(run.pool, self.settings.top_k))
        react = dspy.ReAct(
            ResearchNotes,
            tools=[_as_dspy_tool(tool, run, shown, show) for tool in TOOLS],
            max_iters=max(1, run.budget.remaining_calls() - CALLS_KEPT - 1),
        )
        calls = 1
        try:
            prediction, usage = call_lm(react, run, question=run.question)
            calls = sum(1 for key in (prediction.trajectory or {}) if key.startswith("thought_")) + 1
            run.budget.usage.llm_calls += calls - 1
            run.budget.steps += calls - 1
        except Exception as exc:
            run.fail("the tool loop", exc)
            usage = Usage(llm_calls=1)
        run.evidence = shown
        run.record("react", started, llm_calls=calls, found=[h.chunk_id for h in shown], **tokens(usage))


def _as_dspy_tool(tool: Tool, run: Run, shown: list[Hit], show: Callable[[list[Hit]], str]) -> dspy.Tool:
    def call(**kwargs: object) -> str:
        if not run.budget.allows_tool_call(reserve=CALLS_KEPT):
            return "The budget is spent: finish now."
        run.budget.charge_tool()
        try:
            hits = use_tool(tool.name, run.tools, run.question, shown, kwargs.get(tool.argument, ""))
        except Exception as exc:  # a failing tool is an observation, not a crash
            return f"{tool.name} failed: {first_line(exc)}"
        run.searched(str(kwargs.get(tool.argument, "")), "tool", hits)
        return show(hits)

    return dspy.Tool(
        call, name=tool.name, desc=tool.description, args=tool.schema, arg_types={tool.argument: tool.kind}
    )
