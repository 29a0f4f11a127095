"""Answering part by part: each part of a question drafted and verified over its own evidence, then composed.

Three kinds of part: the works a question lists ("How do FIRST and PRP differ ...?": the passages that name each),
the sub-questions of a plan (each one's own search), and the steps of a chain (each step's search, its question
carrying the earlier steps' answers). The drafter, verifier and short-answer turn are the program's own, so a
compiled program's demonstrations serve these drafts too.
"""

from __future__ import annotations

import dspy

from sleuth.agent.loop.chain import resolved
from sleuth.agent.loop.compose import compose
from sleuth.agent.loop.draft import Drafter
from sleuth.agent.loop.parts import Part, part_evidence
from sleuth.agent.loop.phrase import ShortAnswer
from sleuth.agent.loop.research import Research, diverse
from sleuth.agent.loop.trace import Trace, unique_docs
from sleuth.agent.loop.verify import Verified, Verify
from sleuth.settings import AgentSettings
from sleuth.tools.multihop import chain_first, hop_fuse
from sleuth.tools.passages import PassageSource


class ByParts(dspy.Module):
    def __init__(self, settings: AgentSettings, drafter: Drafter, verifier: Verify, short: ShortAnswer) -> None:
        super().__init__()
        self.settings = settings
        self.drafter = drafter
        self.verifier = verifier
        self.short_answer = short

    def works(self, trace: Trace, source: PassageSource, research: Research, parts: list[Part]) -> Verified | None:
        """Each work's part over the passages that name it, best for its own question first."""
        with trace.stage("parts") as stage:
            for part in parts:
                ranked = trace.searched(part.question, "part", source.search(part.question))
                part.evidence = part_evidence(part.label, ranked + research.pool, self.settings.part_passages)
            stage.note(parts=_listed(parts))
        return self._composed(trace, source, research, parts)

    def sub_questions(
        self, trace: Trace, source: PassageSource, research: Research, parts: list[Part], work: str = ""
    ) -> Verified | None:
        """Each sub-question's part over its own search's best passages; when the question is about one `work`,
        only passages that name it (every part is about that work)."""
        limit = self.settings.part_passages
        with trace.stage("parts") as stage:
            for part in parts:
                ranked = research.rankings.get(part.label) or trace.searched(  # a sub-question the search missed
                    part.question, "part", source.search(part.question, rerank=True)
                )
                part.evidence = part_evidence(work, ranked + research.pool, limit) if work else diverse(ranked, limit)
            stage.note(parts=_listed(parts), **({"about": work} if work else {}))
        return self._composed(trace, source, research, parts)

    def hops(self, trace: Trace, source: PassageSource, research: Research, steps: list[str]) -> Verified | None:
        """The chain's steps one at a time: each step's question carries the answers before it, its evidence is its
        own search (the passages whose title it names first), and its short answer is named before the next step.
        None when the first step finds nothing to answer with (the question is then answered as one)."""
        embedder, answers = source.searcher.embedder, dict[int, str]()
        parts: list[Part] = []
        verified: list[Verified | None] = []
        rankings = []
        for number, step in enumerate(steps, 1):
            asked = resolved(step, answers)
            if "#" in asked:
                break
            ranked = chain_first(trace.searched(asked, "step", source.search(asked, rerank=True)), asked)
            rankings.append(ranked)
            part = Part(asked, asked, diverse(ranked, self.settings.part_passages + 1))
            draft = self.drafter(trace, embedder, asked, part.evidence) if part.evidence else None
            checked = self.verifier(trace, embedder, asked, draft, part.evidence) if draft else None
            if checked is not None and checked.citations:
                checked.short = self.short_answer(trace, asked, checked, stated=True)
            parts.append(part)
            verified.append(checked)
            if not _answered(checked):
                break
            answers[number] = checked.short
        if not _answered(verified[0]):
            return None
        research.path = "steps"
        research.pool = hop_fuse(research.pool, rankings)
        research.evidence = list({h.chunk_id: h for p in parts for h in p.evidence}.values())
        composed, _ = compose(research.question, parts, verified)
        done = len(answers) == len(steps)
        composed.short = answers[len(steps)] if done else "unknown"
        return composed

    def _composed(self, trace: Trace, source: PassageSource, research: Research, parts: list[Part]) -> Verified | None:
        """The parts drafted and verified one by one, then composed; None when no part has evidence."""
        research.path = "parts"
        research.evidence = list({h.chunk_id: h for p in parts for h in p.evidence}.values())
        embedder = source.searcher.embedder
        answers: list[Verified | None] = []
        for part in parts:
            draft = self.drafter(trace, embedder, part.question, part.evidence) if part.evidence else None
            answers.append(self.verifier(trace, embedder, part.question, draft, part.evidence) if draft else None)
        if not any(answers):
            return None
        composed, _ = compose(research.question, parts, answers)
        return composed


def _answered(step: Verified | None) -> bool:
    """A step answered: cited sentences, and a short answer they state."""
    return step is not None and bool(step.citations) and step.knows_answer


def _listed(parts: list[Part]) -> list[dict[str, object]]:
    return [{"label": p.label, "question": p.question, "evidence": unique_docs(p.evidence)} for p in parts]


__all__ = ["ByParts"]
