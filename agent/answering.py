"""One question of a batch answered, whatever happens: an Answer always comes back, its `error` saying what went
wrong. Shared by the batch's threads (agent/batch.py) and its Ray actors (agent/ray_batch.py)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from sleuth.errors import SleuthError
from sleuth.schema import Answer

if TYPE_CHECKING:
    from sleuth.agent.api import ResearchAgent


def answer_one(agent: ResearchAgent, qid: str, question: str, no_answer: bool = False, report: bool = False) -> Answer:
    """The question's Answer (its evidence only with `no_answer`, a Report with `report`); a failure comes back as
    an Answer whose `error` says why (and how long it took), never as an exception."""
    started = time.perf_counter()
    try:
        if no_answer:
            return agent.retrieve_only(question, id=qid)
        return agent.report(question, id=qid) if report else agent.ask(question, id=qid)
    except SleuthError as exc:
        error = str(exc)
    except Exception as exc:  # one bad question must not end the batch
        error = f"{type(exc).__name__}: {exc}"
    return Answer(id=qid, question=question, error=error, seconds=time.perf_counter() - started)
