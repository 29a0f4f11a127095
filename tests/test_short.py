"""The short answer is a phrase, consistent with the sentences, and present when they answer (agent/checks/short.py)."""

from __future__ import annotations

import pytest

from sleuth.agent.checks.short import UNKNOWN, tidy_short_answer

PRESIDENT = "Who was the first president of the association which published Journal of Psychotherapy Integration?"


@pytest.mark.parametrize(
    ("short", "question", "expected"),
    [
        (
            "G. Stanley Hall was the first president of the American Psychological Association.",
            PRESIDENT,
            "G. Stanley Hall",
        ),
        ("The answer is that Latin.", "Into which language were books translated in Haymo's era?", "Latin"),
        (
            "Yes, both airports are in New York State.",
            "Are Watertown and Alexandria airports in the same state?",
            "yes",
        ),
        ("No.", "Is Lilu a spirit?", "no"),
        (
            "Jack Owens wrote the song after attending a luau in Laie, Hawaii.",
            "Who wrote the song after attending a luau in Laie, Hawaii?",
            "Jack Owens",
        ),
        ("The director of the film is American.", "What nationality is the director of the film?", "American"),
        ("Sarod", "Which instrument does he play?", "Sarod"),
        (
            "University of California, Berkeley",
            "Which university did the author attend?",
            "University of California, Berkeley",
        ),
        ("according to passage 2, 1947.", "When was the book first published?", "1947"),
        ("The Kraus House is located in Kirkwood, Missouri.", "Where is the Kraus House?", "Kirkwood, Missouri"),
    ],
)
def test_a_sentence_is_cut_to_the_phrase_that_answers(short: str, question: str, expected: str) -> None:
    assert tidy_short_answer(short, question) == expected


def test_an_empty_short_answer_is_taken_from_the_first_cited_sentence() -> None:
    sentences = ["The first president of the association which published it was G. Stanley Hall."]
    assert tidy_short_answer("", PRESIDENT, sentences) == "G. Stanley Hall"
    assert tidy_short_answer("unknown", PRESIDENT, sentences) == "G. Stanley Hall"


def test_unknown_stays_unknown_when_no_sentence_gives_a_phrase() -> None:
    assert tidy_short_answer("", PRESIDENT, []) == UNKNOWN
    assert tidy_short_answer("The passages do not say who it was.", PRESIDENT, []) == UNKNOWN
    long = ["The journal was founded in 1991 and has been published by the association ever since then until now."]
    assert tidy_short_answer("", PRESIDENT, long) == UNKNOWN


def test_the_scripted_agent_returns_the_tidied_short_answer(agent) -> None:
    from conftest import sentences

    drafted = sentences(("BM25 ranks documents by term frequency.", [1]), ("It weighs rare terms more.", [1]))
    answer = agent({**drafted, "short_answer": "The answer is BM25.", "missing": ""}).ask(
        "Which function ranks documents by term frequency?"
    )
    assert answer.short_answer == "BM25"


def test_a_cut_that_leaves_no_answer_keeps_the_text() -> None:
    question = "When did the spouse of Lil Hardin Armstrong make What a Wonderful World?"
    short = "The spouse of Lil Hardin Armstrong made What a Wonderful World, released"
    assert tidy_short_answer(short, question) == short  # "released" alone would be no answer
    assert tidy_short_answer("", question, ["The spouse of Lil Hardin Armstrong was released."]) == UNKNOWN


def test_a_research_answer_is_not_cut_to_a_fragment() -> None:
    question = "How does FIRST speed up listwise reranking with LLMs?"
    short = "FIRST improves inference speed by ranking from the logits of the first generated identifier"
    assert tidy_short_answer(short, question) == short


def test_a_short_answer_the_sentences_do_not_bear_out_is_taken_from_them() -> None:
    """The sealed HotpotQA case: the sentences said "Sarod", the short answer "sitar"."""
    question = "What instrument does the musician play?"
    sentences = ["The instrument the musician plays is the Sarod, a stringed instrument."]
    support = "Amjad Ali Khan is an Indian classical musician who plays the sarod."
    assert tidy_short_answer("sitar", question, sentences, support) == "the Sarod, a stringed instrument"
    assert tidy_short_answer("sarod", question, sentences, support) == "sarod"
    assert tidy_short_answer("yes", "Is it a sarod?", sentences, support) == "yes"


@pytest.mark.parametrize(
    ("short", "question", "expected"),
    [
        (
            "The Exies were formed first in 1997",
            "Which band was formed first The Exies or Circus Diablo ?",
            "The Exies",
        ),
        ("Nick Hexum is the American one.", "Which singer is American, Mark King or Nick Hexum?", "Nick Hexum"),
        (
            "Richard Bach was",
            "What author was more popular in the 70's, Richard Wright or Richard Bach?",
            "Richard Bach",
        ),
        ("Pterocarya trees grow larger", "Which plant is larger, the Pterocarya or the Cotula?", "Pterocarya"),
        (
            "Robert Young was born before the band formed",
            "Which came first the forming of The Dandy Warhols or the birth of Robert Young?",
            "Robert Young",
        ),
    ],
)
def test_a_choice_between_two_options_is_answered_with_the_option_named(
    short: str, question: str, expected: str
) -> None:
    assert tidy_short_answer(short, question) == expected


@pytest.mark.parametrize(
    ("short", "question"),
    [
        # both options named: which one the sentence picks is for the reader, not a word match
        ("The Cotula is larger than the Pterocarya", "Which plant is larger, the Pterocarya or the Cotula?"),
        ("1964", "Which came first the forming of The Dandy Warhols or the birth of Robert Young?"),
    ],
)
def test_a_choice_answer_naming_both_options_or_neither_is_left_alone(short: str, question: str) -> None:
    assert tidy_short_answer(short, question) == tidy_short_answer(short, question.replace(" or ", " and "))


@pytest.mark.parametrize(
    ("question", "explains"),
    [
        ("How does FIRST speed up listwise reranking?", True),
        ("What is the difference between listwise and pairwise reranking with LLMs?", True),
        ("Why do long inputs hurt RAG?", True),
        ("How many Publix stores are in Georgia?", False),
        ("How to Eat, released in which year, is a book by Nigella Lawson", False),
        ("Who directed the film that was shot in Leland, North Carolina?", False),
    ],
)
def test_a_question_that_asks_how_or_why_is_answered_by_sentences_not_a_phrase(question, explains) -> None:
    from sleuth.agent.loop.shape import asks_for_explanation

    assert asks_for_explanation(question) is explains


def test_a_short_answer_cut_mid_phrase_is_not_shown() -> None:
    """'In short: First improves inference speed by 50% and maintains' was shown: cut at the 60-character bound."""
    from sleuth.schema import Answer, Citation
    from sleuth.tui.render import answer_markdown

    cited = [Citation(n=1, doc_id="d", chunk_id="c", title="FIRST", text="FIRST is faster.", score=1.0)]
    cut = Answer(
        question="q",
        answer="FIRST is 50% faster [1].",
        citations=cited,
        short_answer="First improves inference speed by 50% and maintains",
    )
    whole = cut.model_copy(update={"short_answer": "50% faster"})
    assert "In short" not in answer_markdown(cut)
    assert "**In short:** 50% faster" in answer_markdown(whole)
