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
from typing import Any

import dspy

from sleuth.agent.llm.generation import generation
from sleuth.agent.loop.run import Draft, Run, call_lm, failed_usage, is_embedded, tokens
from sleuth.prompts.bounded import whole_words
from sleuth.prompts.signatures import AnswerWithCitations, CitedSentence
from sleuth.schema import AnswerToken
from sleuth.settings import AgentSettings
from sleuth.tools.passages import key_sentences
from sleuth.tools.text import format_passages

HISTORY_SEARCHED = 8  # latest LM history entries searched for the draft call (a retry adds one)


class Drafter(dspy.Module):
    def __init__(self, settings: AgentSettings) -> None:
        super().__init__()
        self.settings = settings
        self.synthesise = dspy.Predict(AnswerWithCitations)

    def forward(self, run: Run, optional: bool = False) -> Draft | None:
        """A draft over `run.evidence`, or None when the budget or the LM allows none (the reason is recorded)."""
        started = time.perf_counter()
        embedder = run.tools.searcher.embedder
        texts = key_sentences(embedder, run.question, run.evidence, self.settings.passage_chars)
        passages = format_passages(run.evidence, self.settings.passage_chars, texts)
        fits = run.budget.allows_llm_call(prompt_chars=len(passages) + len(run.question))
        if not fits or (optional and run.budget.left < run.budget.expected_call_seconds(len(passages)) + 2):
            if not optional:
                run.errors.append(f"the budget was spent before the answer could be written ({run.budget.spent()})")
            return None
        run.drafts += 1
        streamer = TextStreamer(run, run.drafts)
        cut_off = ""
        try:
            # a remote LM streams only to a listener; the embedded engine always feeds `raw`, which salvage reads
            sink = streamer.feed if run.on_token is not None or is_embedded(dspy.settings.lm) else None
            with generation(sink, run.budget.answer_deadline(), lambda: run.cancelled):
                prediction, usage = call_lm(
                    self.synthesise,
                    run,
                    retry=not optional,
                    salvageable=lambda exc: bool(salvage_sentences(exc, streamer.raw)),
                    question=run.question,
                    passages=passages,
                )
            draft = Draft(
                sentences=list(getattr(prediction.answer, "sentences", None) or []),
                short_answer=whole_words(str(prediction.short_answer or "")),
                missing=" ".join(str(prediction.missing or "").split()),
                exchange=exchange_of(passages),
            )
        except Exception as exc:
            run.check()  # a generation stopped by the user is a cancellation, not an LM failure
            usage = failed_usage(exc)
            draft = Draft(sentences=salvage_sentences(exc, streamer.raw))
            draft.short_answer = salvage_short_answer(exc, streamer.raw)
            if optional:  # a further draft that fails costs its round, not the answer already written
                run.record("draft", started, llm_calls=1, round=run.drafts, failed=f"{type(exc).__name__}")
                return draft if draft.sentences else None
            if not draft.sentences:
                run.fail("writing the answer", exc)
                run.lm_failed = True
                return None
            if time.perf_counter() >= run.budget.answer_deadline():
                run.errors.append("the answer was cut off at the time limit; its complete sentences were kept")
            else:  # the token limit, or output the adapter could not parse: the finished sentences answer
                cut_off = f"{type(exc).__name__}: its {len(draft.sentences)} complete sentence(s) kept"
        run.record(
            "draft",
            started,
            llm_calls=1,
            **({"cut_off": cut_off} if cut_off else {}),
            round=run.drafts,
            passages=len(run.evidence),
            sentences=len(draft.sentences),
            short_answer=draft.short_answer,
            missing=draft.missing,
            **tokens(usage),
        )
        return draft


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

    def __init__(self, run: Run, draft: int) -> None:
        self.run = run
        self.draft = draft
        self.raw = ""
        self.shown = ""

    def feed(self, piece: str) -> None:
        self.raw += piece
        if self.run.on_token is None:
            return
        visible = visible_text(self.raw)
        if visible.startswith(self.shown) and len(visible) > len(self.shown):
            self.run.on_token(AnswerToken(text=visible[len(self.shown) :], draft=self.draft))
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
    data = data.get("answer", data) if isinstance(data, dict) else {}
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
