"""Draft: the answer call. Cited sentences, the answer in a few words, and what the passages do not say.

The prompt puts the question before the passages and numbers new passages after the old ones, so a second draft
shares its whole prefix (instructions, question, first passages) with the first and the engine evaluates only what
was added. The answer streams as it is written: the visible text of the JSON the LM produces goes to the run's
token sink piece by piece. The call gets a deadline: past it the engine stops, and the complete sentences written
so far are salvaged.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dspy

from sleuth.agent.llm.adapters import is_embedded
from sleuth.agent.llm.generation import generation
from sleuth.agent.loop.policy import Stage, StageFailed, failed_usage
from sleuth.agent.loop.trace import TokenSink, Trace
from sleuth.prompts.bounded import whole_words
from sleuth.prompts.signatures import AnswerWithCitations, CitedSentence
from sleuth.schema import AnswerToken, Hit
from sleuth.settings import AgentSettings
from sleuth.tools.embedder import Embedder
from sleuth.tools.passages import key_sentences
from sleuth.tools.text import format_passages

HISTORY_SEARCHED = 8  # latest LM history entries searched for the draft call (a retry adds one)


@dataclass
class Draft:
    """One answer the LM wrote: cited sentences, the answer in a few words, and what it says is missing."""

    sentences: list[CitedSentence]
    short_answer: str = ""
    missing: str = ""
    exchange: list[dict[str, str]] = field(default_factory=list)  # the call's messages and the LM's reply
    title: str = ""  # a report section's title


def read_answer(prediction: dspy.Prediction) -> Draft:
    """An answer call's reply (AnswerWithCitations) as a Draft."""
    return Draft(
        sentences=list(getattr(prediction.answer, "sentences", None) or []),
        short_answer=whole_words(str(prediction.short_answer or "")),
        missing=" ".join(str(prediction.missing or "").split()),
    )


class Drafter(dspy.Module):
    def __init__(self, settings: AgentSettings) -> None:
        super().__init__()
        self.settings = settings
        self.synthesise = dspy.Predict(AnswerWithCitations)

    def forward(
        self, trace: Trace, embedder: Embedder, question: str, evidence: list[Hit], optional: bool = False
    ) -> Draft | None:
        """A draft over `evidence`, or None when the budget or the LM allows none (the reason is recorded). An
        `optional` draft (a further round) that fails costs its round, not the answer already written."""
        return self.write(trace, embedder, question, evidence, self.synthesise, read_answer, optional)

    def write(
        self,
        trace: Trace,
        embedder: Embedder,
        question: str,
        evidence: list[Hit],
        predictor: dspy.Predict,
        read: Callable[[dspy.Prediction], Draft],
        optional: bool = False,
    ) -> Draft | None:
        """A draft of `predictor` (a Signature taking the question and the numbered passages, writing cited
        sentences), streamed, within the budget, salvaged when cut off; `read` turns its reply into a Draft."""
        texts = key_sentences(embedder, question, evidence, self.settings.passage_chars)
        passages = format_passages(evidence, self.settings.passage_chars, texts)
        budget = trace.budget
        fits = budget.allows_llm_call(prompt_chars=len(passages) + len(question))
        if not fits or (optional and budget.left < budget.expected_call_seconds(len(passages)) + 2):
            if not optional:
                trace.errors.append(f"the budget was spent before the answer could be written ({budget.spent()})")
            return None
        with trace.stage("draft", failing="" if optional else "writing the answer", fatal=not optional) as stage:
            trace.drafts += 1
            streamer = TextStreamer(trace.on_token, trace.drafts)
            # a remote LM streams only to a listener; the embedded engine always feeds `raw`, which salvage reads
            sink = streamer.feed if trace.on_token is not None or is_embedded(dspy.settings.lm) else None
            try:
                with generation(sink, budget.answer_deadline(), lambda: trace.cancelled):
                    prediction = stage.call(
                        predictor,
                        retry=not optional,
                        salvageable=lambda exc: bool(salvage_sentences(exc, streamer.raw)),
                        question=question,
                        passages=passages,
                    )
            except StageFailed as failed:
                return self._salvaged(stage, failed.cause, streamer.raw, optional, len(evidence))
            draft = read(prediction)
            draft.exchange = exchange_of(passages)
            _note(stage, draft, len(evidence))
            return draft
        return None

    @staticmethod
    def _salvaged(stage: Stage, exc: Exception, raw: str, optional: bool, passages: int) -> Draft | None:
        """What a failed draft call leaves: the complete sentences written before it was cut off or went wrong."""
        stage.usage.add(failed_usage(exc))
        draft = Draft(sentences=salvage_sentences(exc, raw), short_answer=salvage_short_answer(exc, raw))
        if optional:
            stage.note(round=stage.trace.drafts, failed=type(exc).__name__)
            return draft if draft.sentences else None
        if not draft.sentences:
            stage.skip()
            stage.failed(exc)
            return None
        if time.perf_counter() >= stage.trace.budget.answer_deadline():
            stage.trace.errors.append("the answer was cut off at the time limit; its complete sentences were kept")
        else:  # the token limit, or output the adapter could not parse: the finished sentences answer
            stage.note(cut_off=f"{type(exc).__name__}: its {len(draft.sentences)} complete sentence(s) kept")
        _note(stage, draft, passages)
        return draft


def _note(stage: Stage, draft: Draft, passages: int) -> None:
    stage.note(
        round=stage.trace.drafts,
        passages=passages,
        sentences=len(draft.sentences),
        short_answer=draft.short_answer,
        missing=draft.missing,
    )


def exchange_of(passages: str) -> list[dict[str, str]]:
    """The draft call's messages and the LM's reply, from the LM's history (the latest entry whose prompt holds
    these passages): a follow-up turn appended to them shares the whole prompt the engine has just evaluated."""
    for entry in reversed((getattr(dspy.settings.lm, "history", None) or [])[-HISTORY_SEARCHED:]):
        messages, outputs = entry.get("messages") or [], entry.get("outputs") or []
        if messages and outputs and isinstance(outputs[0], str) and passages in str(messages[-1].get("content")):
            said = [{"role": m["role"], "content": str(m["content"])} for m in messages]
            return [*said, {"role": "assistant", "content": outputs[0]}]
    return []


_TEXT = re.compile(r'"text"\s*:\s*"((?:[^"\\]|\\.)*)("?)')
_SOURCES = re.compile(r'"sources"\s*:\s*\[([^\]]*)\]')


class TextStreamer:
    """Turns the LM's raw JSON, piece by piece, into the answer's visible text, and sends only what is new."""

    def __init__(self, on_token: TokenSink | None, draft: int) -> None:
        self.on_token = on_token
        self.draft = draft
        self.raw = ""
        self.shown = ""

    def feed(self, piece: str) -> None:
        self.raw += piece
        if self.on_token is None:
            return
        visible = visible_text(self.raw)
        if visible.startswith(self.shown) and len(visible) > len(self.shown):
            self.on_token(AnswerToken(text=visible[len(self.shown) :], draft=self.draft))
            self.shown = visible


def visible_text(raw: str) -> str:
    """The sentences written so far in a (possibly unfinished) JSON answer, each closed one with its markers."""
    matches = list(_TEXT.finditer(raw))
    parts = []
    for i, match in enumerate(matches):
        text = _unescape(match.group(1))
        end = matches[i + 1].start() if i + 1 < len(matches) else len(raw)
        sources = _SOURCES.search(raw, match.end(), end) if match.group(2) else None
        if sources is None:
            parts.append(text if i + 1 == len(matches) else f"{text} ")
            continue
        markers = "".join(f"[{n.strip()}]" for n in sources.group(1).split(",") if n.strip().isdigit())
        parts.append(f"{text} {markers}".rstrip() + " ")
    return "".join(parts)


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\n", " ").replace("\\\\", "\\")


def _raw_of(exc: Exception, streamed: str) -> str:
    return str(getattr(exc, "lm_response", None) or streamed or "")


def salvage_sentences(exc: Exception, streamed: str = "") -> list[CitedSentence]:
    """The complete sentences of an answer whose JSON was cut off or malformed (a small LM's usual failure)."""
    import json_repair

    raw = _raw_of(exc, streamed)
    if not raw:
        return []
    data: Any = json_repair.loads(raw[raw.find("{") :] if "{" in raw else raw)
    data = data.get("answer", data.get("section", data)) if isinstance(data, dict) else {}
    items = data.get("sentences", []) if isinstance(data, dict) else []
    out = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("text"), str) and isinstance(item.get("sources"), list):
            sources = [n for n in item["sources"] if isinstance(n, int)]
            if sources and item["text"].rstrip().endswith((".", "!", "?")):
                out.append(CitedSentence(text=item["text"][:500], sources=sources[:4]))
    return out


def salvage_short_answer(exc: Exception, streamed: str = "") -> str:
    match = re.search(r'"short_answer"\s*:\s*"((?:[^"\\]|\\.)*)"', _raw_of(exc, streamed))
    return whole_words(_unescape(match.group(1))) if match else ""
