"""Answers that synthesise: part by part for questions that list works or ask several things, step by step for
chains, no sentence that only restates the question, and reports for broad questions (scripted LMs)."""

from __future__ import annotations

import json

import pytest
from conftest import sentences

from sleuth.schema import Answer, Report, Step


def _step(answer: Answer, kind: str) -> Step:
    return next(s for s in answer.steps if s.kind == kind)


def _part(*items: tuple[str, list[int]], short: str = "") -> dict:
    return {**sentences(*items), "short_answer": short}


def test_a_question_listing_two_works_is_answered_one_work_at_a_time(agent) -> None:
    """Each work gets its own evidence (the passages naming it) and its own draft; the answer keeps the question's
    order, each sentence citing its own work's passage."""
    a = agent(
        _part(("BM25 scores documents by term frequency and inverse document frequency.", [1]), ("It saturates.", [1])),
        _part(("ColBERT keeps one embedding per token and sums maximum similarities.", [1]), ("It is late.", [])),
    )
    answer = a.ask("How do BM25 and ColBERT score passages differently?")
    assert answer.path == "parts"
    parts = _step(answer, "parts").detail["parts"]
    assert [p["label"] for p in parts] == ["BM25", "ColBERT"]
    assert parts[0]["question"] == "How do BM25 score passages differently?"
    assert "colbert" in parts[1]["evidence"] and "colbert" not in parts[0]["evidence"]
    drafts = [s for s in answer.steps if s.kind == "draft"]
    assert len(drafts) == 2 and answer.usage.llm_calls == 2  # no plan: the works were found without the LM
    assert answer.answer.index("BM25 scores") < answer.answer.index("ColBERT keeps")
    cited = {c.n: c.doc_id for c in answer.citations}
    assert cited[1] == "bm25" and "colbert" in cited.values()


def test_a_part_nothing_answers_is_said_plainly_and_only_that_part(agent) -> None:
    a = agent(
        _part(("BM25 scores documents by term frequency and inverse document frequency.", [1]), ("More.", [])),
        _part(("Sourdough bread needs wild yeast.", [1]), ("It ferments.", [])),  # no ColBERT passage says it
    )
    answer = a.ask("How do BM25 and ColBERT score passages differently?")
    assert answer.answer.endswith("The passages found say nothing of this for ColBERT.")
    assert "BM25 scores documents" in answer.answer
    assert [c.doc_id for c in answer.citations] == ["bm25"]


def test_a_yes_no_question_about_two_things_is_decided_per_part(agent) -> None:
    a = agent(
        _part(("BM25 is a lexical ranking function.", [1]), ("It scores documents.", [1]), short="yes"),
        _part(("ColBERT is a late-interaction retriever.", [1]), ("It embeds tokens.", [1]), short="no"),
    )
    answer = a.ask("Are both BM25 and ColBERT lexical ranking functions?")
    assert answer.path == "parts" and answer.short_answer == "no"


def test_a_sentence_that_only_restates_the_question_is_not_an_answer_sentence(agent) -> None:
    a = agent(
        sentences(("ColBERT scores passages.", [1]), ("ColBERT sums the maximum similarity of each query token.", [1]))
    )
    answer = a.ask("How does ColBERT score passages?")
    assert "ColBERT scores passages" not in answer.answer
    assert "maximum similarity" in answer.answer
    assert _step(answer, "verify").detail["restating_removed"] == 1


def test_restating_a_yes_no_question_is_saying_yes(agent) -> None:
    a = agent(
        {
            **sentences(("BM25 is a lexical ranking function.", [1]), ("It scores documents.", [1])),
            "short_answer": "yes",
        }
    )
    answer = a.ask("Is BM25 a lexical ranking function?")
    assert "BM25 is a lexical ranking function" in answer.answer and answer.short_answer == "yes"


def test_a_chain_is_answered_step_by_step_each_answer_carried_into_the_next_step(agent) -> None:
    a = agent(
        {"steps": ["Which retriever keeps one embedding per token?", "How does #1 score a passage?"]},
        _part(
            ("ColBERT keeps one embedding per token.", [1]),
            ("It is a late-interaction retriever.", [1]),
            short="ColBERT",
        ),
        _part(
            ("ColBERT scores a passage by summing the maximum similarity of each query token.", [1]),
            ("It is fast.", []),
            short="summing maximum similarities",
        ),
    )
    answer = a.ask("How does the retriever that keeps one embedding per token score a passage?")
    assert answer.path == "steps"
    assert _step(answer, "steps").detail["chained"] is True
    hops = [s.query for s in answer.searches if s.source == "step"]
    assert hops == ["Which retriever keeps one embedding per token?", "How does ColBERT score a passage?"]
    assert answer.short_answer == "summing maximum similarities"
    assert answer.answer.index("ColBERT keeps") < answer.answer.index("summing the maximum")


def test_a_split_that_is_no_chain_leaves_the_question_whole(agent) -> None:
    a = agent(
        {"steps": ["How does the retriever that keeps one embedding per token score a passage?"]},
        sentences(("ColBERT sums the maximum similarity of each query token.", [1]), ("It embeds tokens.", [1])),
    )
    answer = a.ask("How does the retriever that keeps one embedding per token score a passage?")
    assert answer.path != "steps" and _step(answer, "steps").detail["chained"] is False
    assert "maximum similarity" in answer.answer


def _section(title: str, *items: tuple[str, list[int]]) -> dict:
    return {"WriteSection": {"title": title, "section": {"sentences": [{"text": t, "sources": s} for t, s in items]}}}


def test_a_report_has_an_overview_and_sections_each_citing_its_own_passages(agent) -> None:
    a = agent(
        {
            "WriteOverview": {
                "answer": sentences(
                    ("BM25 ranks documents by term frequency and inverse document frequency.", [1]),
                    ("Dense passage retrieval encodes questions and passages with BERT encoders.", [2]),
                )["answer"]
            }
        },
        _section(  # the aspects come best-ranked first: the dense passages lead for this question
            "Dense retrieval",
            ("Dense passage retrieval encodes questions and passages with two BERT encoders.", [1]),
            ("ColBERT keeps one embedding per token.", [2]),
        ),
        _section(
            "Lexical ranking",
            ("BM25 scores documents by term frequency and inverse document frequency.", [1]),
            ("Hybrid search merges BM25 with a dense retriever by reciprocal rank fusion.", [2]),
        ),
    )
    steps: list[Step] = []
    report = a.report("What are the main approaches to retrieving passages?", on_step=steps.append)
    assert isinstance(report, Report) and report.path == "report"
    assert report.overview and report.sections
    assert report.answer.startswith(report.overview)
    for section in report.sections:
        assert f"## {section.title}\n{section.text}" in report.answer
    numbers = {c.n for c in report.citations}
    assert numbers == set(range(1, len(report.citations) + 1))
    markers = {int(n) for n in __import__("re").findall(r"\[(\d+)\]", report.answer)}
    assert markers == numbers  # every marker is a citation, every citation is used
    shown = [s for s in steps if s.kind == "section"]
    assert [s.detail["text"] for s in shown] == [report.overview, *(s.text for s in report.sections)]
    record = report.record()
    assert record["sections"] and record["answer"] == report.answer and "seconds" in record


def test_a_report_of_a_collection_with_one_document_says_what_to_do(settings, embedder, tmp_path) -> None:
    from conftest import ScriptedLM, make_agent

    from sleuth.errors import InputError

    one = tmp_path / "one.jsonl"
    one.write_text(json.dumps({"_id": "a", "title": "BM25", "text": "BM25 ranks documents by term frequency."}) + "\n")
    a = make_agent(settings, embedder, lm=ScriptedLM([]))
    a.ingest([one])
    with pytest.raises(InputError, match="holds 1") as caught:
        a.report("What are the main approaches to ranking?")
    assert "without --report" in caught.value.hint


def test_facet_recall_counts_the_key_facts_an_answer_states() -> None:
    from sleuth.evals.metrics import facet_recall, restates_first

    facts = [["50%"], ["first token", "single token"], ["2.2"], ["recomput"]]
    text = "FIRST is 50% faster by reading the single token's logits; CacheBlend recomputes 12.2% of tokens."
    assert facet_recall(text, facts) == 0.75  # "2.2" is not found inside "12.2"
    assert restates_first(
        "BM25 and ColBERT differ in how they score passages [1][2]. BM25 counts terms [1].",
        "How do BM25 and ColBERT differ in how they score passages?",
    )
    assert not restates_first("BM25 counts terms [1].", "How do BM25 and ColBERT differ in how they score passages?")


def test_a_listed_work_the_collection_does_not_hold_is_said_to_be_missing(agent) -> None:
    a = agent(_part(("BM25 scores documents by term frequency and inverse document frequency.", [1]), ("More.", [])))
    answer = a.ask("How do BM25 and Zorblax score passages differently?")
    assert answer.path == "parts"
    assert [p["label"] for p in _step(answer, "parts").detail["parts"]] == ["BM25", "Zorblax"]
    assert answer.answer.endswith("The passages found say nothing of this for Zorblax.")
    assert answer.usage.llm_calls == 1  # no draft for a part with no evidence


@pytest.mark.asyncio
async def test_the_chat_writes_a_report_for_a_question_typed_after_slash_report(settings, embedder, corpus_file):
    from conftest import make_agent

    from sleuth.agent.llm.testing import scripted_lm
    from sleuth.tui.answer_view import AnswerView
    from sleuth.tui.app import SleuthApp

    lm = scripted_lm([], extractive=True)  # the stand-in: its answers copy the passages it is shown
    agent = make_agent(settings, embedder, lm=lm)
    agent.ingest([corpus_file])
    app = SleuthApp(agent)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.click("#question")
        await pilot.press(*"/report What are the main approaches to retrieval?", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        [view] = app.query(AnswerView)
        assert view.answer.path == "report" and view.answer.question == "What are the main approaches to retrieval?"
        assert "## " in view.answer.answer and view.answer.citations


def test_the_parts_of_a_question_about_one_work_read_only_that_works_passages(agent) -> None:
    a = agent(
        {"sub_questions": ["What does ColBERT keep per token?", "How does ColBERT score a passage?"]},
        _part(("ColBERT keeps one embedding per token.", [1]), ("It is a late-interaction retriever.", [1])),
        _part(("ColBERT sums the maximum similarity of each query token.", [1]), ("It is fast.", [])),
    )
    answer = a.ask("What does ColBERT keep per token, and how does it score a passage?")
    step = _step(answer, "parts")
    assert step.detail["about"] == "ColBERT"
    assert all(part["evidence"] == ["colbert"] for part in step.detail["parts"])
    assert {c.doc_id for c in answer.citations} == {"colbert"}


def test_two_parts_drafting_the_same_sentence_from_one_paper_say_it_once() -> None:
    """STAR and ADORE are one paper's two methods: both parts drafted "STAR improves the stability ... [1]"."""
    from sleuth.agent.loop.compose import compose
    from sleuth.agent.loop.parts import Part
    from sleuth.agent.loop.verify import Verified
    from sleuth.prompts.signatures import CitedSentence
    from sleuth.schema import Chunk, Hit

    paper = Hit(
        chunk=Chunk(chunk_id="c1", doc_id="d1", title="STAR and ADORE", text="STAR adds random negatives."), score=1.0
    )
    same = CitedSentence(text="STAR improves the stability of training by adding random negatives.", sources=[1])
    other = CitedSentence(text="ADORE samples hard negatives dynamically during training.", sources=[1])
    parts = [Part("STAR", "What does STAR change?", [paper]), Part("ADORE", "What does ADORE change?", [paper])]
    answers = [Verified("", [], cited=[same]), Verified("", [], cited=[same, other])]
    composed, evidence = compose("What do STAR and ADORE each change?", parts, answers)
    assert composed.text.count("STAR improves the stability") == 1 and "ADORE samples" in composed.text
    assert [c.doc_id for c in composed.citations] == ["d1"] and len(evidence) == 1


def test_a_report_whose_lm_fails_is_still_the_evidence_cited(agent) -> None:
    """Never empty while evidence exists: with every LM call failing, the report is the evidence's key sentences,
    each cited, and its error says why."""
    report = agent().report("What are the main approaches to retrieving passages?")  # nothing scripted: each call fails
    assert report.citations and report.overview and not report.sections
    assert report.error and "writing the answer failed" in report.error


def test_a_report_stops_cleanly_when_its_time_is_spent(agent, settings) -> None:
    """Sections after the first are optional: with the time spent they are left out, the report ends with what it
    has, within the budget."""
    settings.agent.max_llm_calls = 2  # the overview and one section
    a = agent(
        {
            "WriteOverview": {
                "answer": sentences(
                    ("BM25 ranks documents by term frequency.", [1]),
                    ("Dense passage retrieval encodes passages with BERT.", [2]),
                )["answer"]
            }
        },
        _section("Dense", ("ColBERT keeps one embedding per token.", [1]), ("It sums maximum similarities.", [1])),
        _section(
            "Lexical",
            ("BM25 scores documents by term frequency and inverse document frequency.", [1]),
            ("It saturates with k1.", [1]),
        ),
    )
    report = a.report("What are the main approaches to retrieving passages?")
    assert report.usage.llm_calls <= 2 and report.overview and len(report.sections) == 1


def test_an_answer_that_misses_what_the_question_asks_gets_the_cited_passage_sentence_that_holds_it() -> None:
    """#34 item 2, 'the answer must answer': 'How does ICR re-rank documents without generating text?' answered
    with 'ICR can be applied to any LLM [1]' holds none of rank, documents, generating, text; the cited passage's
    sentence that holds most of them is added, cited; a whole answer is left alone."""
    from sleuth.agent.checks.sentences import answering_sentence, unanswered_terms
    from sleuth.prompts.signatures import CitedSentence
    from sleuth.schema import Chunk, Hit

    passage = (
        "We propose in-context re-ranking (ICR). ICR re-ranks documents from the change in attention that the query "
        "causes, without generating any text. The novel design of ICR lets it be applied to any LLM."
    )
    evidence = [Hit(chunk=Chunk(chunk_id="c1", doc_id="icr", title="ICR", text=passage), score=1.0)]
    question = "How does ICR re-rank documents without generating text?"
    thin = [CitedSentence(text="The novel design of ICR lets it be applied to any LLM.", sources=[1])]
    assert unanswered_terms(thin, question) == {"rank", "documents", "generating", "text"}
    added = answering_sentence(thin, question, evidence)
    assert added is not None and added.sources == [1] and "change in attention" in added.text
    whole = [CitedSentence(text="ICR re-ranks documents from attention changes, generating no text.", sources=[1])]
    assert answering_sentence(whole, question, evidence) is None


def test_a_part_is_said_not_found_only_when_no_passage_of_its_evidence_holds_it() -> None:
    """#34: 'not found' only when no evidence passage holds the part; a part its passages hold but the draft missed
    is the draft's miss, and the answer does not claim the collection lacks it."""
    from sleuth.agent.checks.sentences import evidence_holds
    from sleuth.agent.loop.compose import compose
    from sleuth.agent.loop.parts import Part
    from sleuth.agent.loop.verify import Verified
    from sleuth.prompts.signatures import CitedSentence
    from sleuth.schema import Chunk, Hit

    def hit(doc: str, text: str) -> Hit:
        return Hit(chunk=Chunk(chunk_id=doc, doc_id=doc, title=doc, text=text), score=1.0)

    dsi = hit("dsi", "The differentiable search index maps queries to document identifiers: generative retrieval.")
    bread = hit("bread", "Sourdough bread ferments for hours before baking.")
    answered = Verified(
        "DSI maps queries to identifiers [1].", [], cited=[CitedSentence(text="DSI maps queries to ids.", sources=[1])]
    )
    asked = "What are the main approaches to generative retrieval?"
    assert evidence_holds(asked, [bread, dsi]) and not evidence_holds(asked, [bread])
    first = Part("What does DSI do?", "What does DSI do?", [dsi])
    held = Part(asked, asked, [dsi])
    odd = "How is sourdough generative retrieval scored?"
    lacking = Part(odd, "How is quantum generative retrieval scored?", [bread])
    text = compose("q", [first, held], [answered, None])[0].text
    assert "do not answer" not in text and text.endswith("This answer leaves out: " + asked.rstrip("?") + ".")
    text = compose("q", [first, lacking], [answered, None])[0].text
    assert "do not answer: How is sourdough generative retrieval scored" in text


def test_a_large_aspect_is_split_so_a_report_reads_past_its_first_four_passages(embedder) -> None:
    """Average linkage tends to one large group and strays; a group larger than a section reads is split, so the
    report's sections stand on more of the documents it retrieved (it cites more papers)."""
    from sleuth.agent.loop.aspects import PASSAGES_PER_ASPECT, aspects
    from sleuth.schema import Chunk, Hit

    texts = [f"Dense retriever variant {i} trains a BERT bi-encoder with hard negatives, case {i}." for i in range(9)]
    texts += ["Sourdough bread ferments for many hours.", "Rye bread is dense and sour."]
    hits = [Hit(chunk=Chunk(chunk_id=f"c{i}", doc_id=f"d{i}", text=t), score=1.0) for i, t in enumerate(texts)]
    groups = aspects(embedder, hits, most=4)
    assert all(len(g) <= PASSAGES_PER_ASPECT for g in groups) and len(groups) >= 2
    assert len({h.doc_id for g in groups for h in g}) > PASSAGES_PER_ASPECT
    firsts = [hits.index(g[0]) for g in groups]
    assert firsts == sorted(firsts)  # ordered by their best-ranked passage
