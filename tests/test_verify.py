from __future__ import annotations

from sleuth.agent.verify import CitationVerifier, split_sentences
from sleuth.prompts.signatures import CitedSentence
from sleuth.schema import Chunk, Hit


def _evidence() -> list[Hit]:
    texts = [
        ("BM25", "BM25 scores documents by term frequency and inverse document frequency."),
        ("Sourdough", "Sourdough bread is leavened by wild yeast and lactic acid bacteria."),
        ("ColBERT", "ColBERT keeps one embedding per token and sums maximum similarities."),
    ]
    return [
        Hit(chunk=Chunk(chunk_id=f"c{i}", doc_id=f"d{i}", title=t, text=x), score=1.0)
        for i, (t, x) in enumerate(texts, 1)
    ]


def test_a_sentence_keeps_the_cited_passage_that_supports_it_and_loses_the_rest(embedder) -> None:
    verified, removed, _ = CitationVerifier(embedder).verify(
        [CitedSentence(text="BM25 weighs terms by their frequency and inverse document frequency.", sources=[1, 2, 3])],
        _evidence(),
    )
    assert [s.sources for s in verified] == [[1]]
    assert removed == 2


def test_packed_claims_are_split_and_each_gets_its_own_source(embedder) -> None:
    verified, _, _ = CitationVerifier(embedder).verify(
        [
            CitedSentence(
                text="BM25 uses term frequency and inverse document frequency. Sourdough is leavened by wild yeast.",
                sources=[1, 2],
            )
        ],
        _evidence(),
    )
    assert [(s.text[:9], s.sources) for s in verified] == [("BM25 uses", [1]), ("Sourdough", [2])]


def test_citations_are_never_invented(embedder) -> None:
    verified, removed, _ = CitationVerifier(embedder).verify(
        [
            CitedSentence(text="ColBERT sums maximum similarities over token embeddings.", sources=[]),
            CitedSentence(text="Out of range.", sources=[9]),
        ],
        _evidence(),
    )
    assert [s.sources for s in verified] == [[], []]
    assert removed == 0


def test_sentence_splitting_keeps_abbreviations_of_numbers_together() -> None:
    assert split_sentences("It scored 0.72 on SciFact. Then it improved.") == [
        "It scored 0.72 on SciFact.",
        "Then it improved.",
    ]


def test_a_sentence_citing_the_wrong_passage_is_re_pointed_to_the_one_it_came_from(embedder) -> None:
    verified, removed, repointed = CitationVerifier(embedder).verify(
        [CitedSentence(text="ColBERT keeps one embedding per token and sums maximum similarities.", sources=[1])],
        _evidence(),
    )
    assert [s.sources for s in verified] == [[3]] and repointed == 1 and removed == 1


def test_a_sentence_no_passage_supports_loses_its_citation(embedder) -> None:
    verified, removed, repointed = CitationVerifier(embedder).verify(
        [CitedSentence(text="Napoleon crossed the Alps with elephants in winter.", sources=[2])], _evidence()
    )
    assert [s.sources for s in verified] == [[]] and removed == 1 and repointed == 0


def test_the_listwise_sentence_copied_from_first_is_not_credited_to_prorank(embedder) -> None:
    """The demo-corpus case: a sentence nearly copied from the FIRST abstract, cited to the ProRank abstract."""
    import json

    from sleuth.tui.cli import demo_corpus

    papers = {r["_id"]: r for r in map(json.loads, demo_corpus().read_text().splitlines())}
    evidence = [
        Hit(chunk=Chunk(chunk_id=i, doc_id=i, title=papers[i]["title"], text=papers[i]["text"]), score=1.0)
        for i in ("s2b7b4b3b0b", "sc1f67e6ae1")  # [1] ProRank, [2] FIRST
    ]
    copied = (
        "Listwise reranking with LLMs involves using the output logits of the first generated identifier to directly "
        "obtain a ranked ordering of the candidates."
    )
    verified, _, repointed = CitationVerifier(embedder).verify([CitedSentence(text=copied, sources=[1])], evidence)
    assert [s.sources for s in verified] == [[2]] and repointed == 1


def test_repeated_sentences_are_said_once() -> None:
    from sleuth.agent.verify import distinct

    same = "Hard negatives are semantically similar to positive documents yet non-relevant."
    sentences = [CitedSentence(text=same, sources=[1]), CitedSentence(text=same, sources=[1])]
    sentences.append(CitedSentence(text="Mining them improves dense retrievers.", sources=[2]))
    assert [s.text for s in distinct(sentences)] == [same, "Mining them improves dense retrievers."]


def test_each_citation_carries_the_span_of_the_sentence_that_supports_it(agent) -> None:
    from conftest import sentences

    a = agent(
        sentences(
            ("ColBERT keeps one embedding per token.", [1]),
            ("It scores a passage by summing the maximum similarity of each query token.", [1]),
        )
    )
    answer = a.ask("How does ColBERT score passages?")
    [citation] = answer.citations
    assert citation.doc_id == "colbert" and citation.spans
    quoted = " ".join(citation.quotes)
    assert "one embedding per token" in quoted and "maximum similarity" in quoted
    assert all(citation.text[a:b] == q for (a, b), q in zip(citation.spans, citation.quotes, strict=True))
    import json

    line = json.loads(json.dumps(answer.record()))  # the batch line
    assert line["citations"][0]["spans"] == [list(s) for s in citation.spans]


def test_sentence_offsets_point_into_the_text_itself() -> None:
    from sleuth.agent.verify import sentence_offsets

    text = "First  one.\nSecond one!  Third 3.5 here."
    assert [text[a:b] for a, b in sentence_offsets(text)] == ["First  one.", "Second one!", "Third 3.5 here."]
