from __future__ import annotations

from sleuth.agent.checks.attribution import CitationVerifier
from sleuth.lexicon import split_sentences
from sleuth.prompts.signatures import CitedSentence
from sleuth.schema import Chunk, Hit


def _hits(*passages: tuple[str, str]) -> list[Hit]:
    return [
        Hit(chunk=Chunk(chunk_id=f"c{i}", doc_id=f"d{i}", title=t, text=x), score=1.0)
        for i, (t, x) in enumerate(passages, 1)
    ]


def _evidence() -> list[Hit]:
    return _hits(
        ("BM25", "BM25 scores documents by term frequency and inverse document frequency."),
        ("Sourdough", "Sourdough bread is leavened by wild yeast and lactic acid bacteria."),
        ("ColBERT", "ColBERT keeps one embedding per token and sums maximum similarities."),
    )


def _demo(*ids: str) -> list[Hit]:
    """Demo-corpus abstracts as evidence, in the order given (chunk and document id: the paper's id)."""
    import json

    from sleuth.locations import demo_corpus

    papers = {r["_id"]: r for r in map(json.loads, demo_corpus().read_text().splitlines())}
    return [
        Hit(chunk=Chunk(chunk_id=i, doc_id=i, title=papers[i]["title"], text=papers[i]["text"]), score=1.0) for i in ids
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


def test_sentence_splitting_keeps_initials_and_titles_with_their_names() -> None:
    assert split_sentences("E. B. White and Dan Masterson are writers. Dr. Smith met St. John. It rained.") == [
        "E. B. White and Dan Masterson are writers.",
        "Dr. Smith met St. John.",
        "It rained.",
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
    evidence = _demo("s2b7b4b3b0b", "sc1f67e6ae1")  # [1] ProRank, [2] FIRST
    copied = (
        "Listwise reranking with LLMs involves using the output logits of the first generated identifier to directly "
        "obtain a ranked ordering of the candidates."
    )
    verified, _, repointed = CitationVerifier(embedder).verify([CitedSentence(text=copied, sources=[1])], evidence)
    assert [s.sources for s in verified] == [[2]] and repointed == 1


def test_repeated_sentences_are_said_once() -> None:
    from sleuth.agent.checks.attribution import distinct

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
    from sleuth.lexicon import sentence_offsets

    text = "First  one.\nSecond one!  Third 3.5 here."
    assert [text[a:b] for a, b in sentence_offsets(text)] == ["First  one.", "Second one!", "Third 3.5 here."]


def test_a_sentence_naming_what_its_passage_never_names_loses_the_citation(embedder) -> None:
    """HotpotQA's Leland question: the passage is about Chloë Leland and never names the film the answer gives her."""
    evidence = _hits(
        ("Chloë Leland", "Chloë Leland is a British film director and writer, born in Leland, North Carolina."),
        ("Leland, North Carolina", "Leland is a town in Brunswick County, North Carolina, United States."),
    )
    claim = "Chloë Leland directed the film Maximum Overdrive and was born in Leland, North Carolina."
    verified, _, _ = CitationVerifier(embedder).verify([CitedSentence(text=claim, sources=[1])], evidence)
    assert [s.sources for s in verified] == [[]]


def test_a_sentence_about_two_people_cites_the_passage_of_each(embedder) -> None:
    evidence = _hits(
        ("Christopher Nolan", "Christopher Nolan is an English-American film director, producer and screenwriter."),
        ("Sathish Kalathil", "Sathish Kalathil is an Indian film and documentary director and producer."),
    )
    claim = "Christopher Nolan and Sathish Kalathil are both film directors."
    verified, _, _ = CitationVerifier(embedder).verify([CitedSentence(text=claim, sources=[1])], evidence)
    assert [sorted(s.sources) for s in verified] == [[1, 2]]


def test_a_claim_a_passage_makes_of_another_method_is_not_credited_to_the_method_it_names_elsewhere(embedder) -> None:
    """The demo-corpus case: ECI's abstract says ECI penalizes unsafe, false-positive negatives and mentions BM25 only
    as a way negatives were mined; "Sparse BM25 is effective at identifying ..." is not supported by it."""
    evidence = _demo("sa2bb6aa9b3")
    claim = "Sparse BM25 is effective at identifying unsafe, false-positive negatives."
    verified, _, _ = CitationVerifier(embedder).verify([CitedSentence(text=claim, sources=[1])], evidence)
    assert [s.sources for s in verified] == [[]]
    fair = "ECI strictly penalizes unsafe, false-positive negatives prevalent in generative methods."
    verified, _, _ = CitationVerifier(embedder).verify([CitedSentence(text=fair, sources=[1])], evidence)
    assert [s.sources for s in verified] == [[1]]


def test_an_acronym_is_named_by_its_words() -> None:
    from sleuth.lexicon import Tokens, names_of

    assert names_of("We use RAG with BM25 and ColBERT in 2023.") == {"rag", "bm25", "colbert", "2023"}
    assert Tokens("Retrieval-augmented generation grounds answers.").has("rag")
    assert not Tokens("Dense retrieval grounds answers.").has("colbert")


def test_a_papers_first_person_is_not_copied_into_the_answer() -> None:
    from sleuth.agent.checks.sentences import third_person

    evidence = _hits(
        ("FIRST: Faster Improved Listwise Reranking with Single Token Decoding", "We propose FIRST, a reranker."),
        ("Question decomposition for retrieval-augmented generation", "We propose a RAG pipeline."),
    )
    sentence = CitedSentence(text="We propose a listwise reranker that reads our logits.", sources=[1])
    first = third_person(sentence, evidence)
    assert first.text == "The authors of FIRST propose a listwise reranker that reads their logits."
    assert first.sources == [1]
    named = third_person(CitedSentence(text="Our pipeline decomposes questions.", sources=[2]), evidence)
    assert named.text == "“Question decomposition for retrieval-augmented generation”’s pipeline decomposes questions."
    kept = CitedSentence(text="The US trial enrolled 40 patients.", sources=[1])
    assert third_person(kept, evidence) == kept


def test_a_sentence_that_asks_or_is_too_short_states_nothing() -> None:
    """The 1.5B restated a HotpotQA question as its first "sentence", citing both passages it was shown."""
    from sleuth.agent.checks.sentences import states_something

    asked = "The Heinkel HD 23 was a type of plane that was held on the craft that were first developed when [1][2]?"
    assert not states_something(CitedSentence(text=asked, sources=[1, 2]))
    assert not states_something(CitedSentence(text="Arthur!", sources=[1]))
    stated = "The Heinkel HD 23 was a carrier-borne fighter biplane designed in Germany in the 1920s."
    assert states_something(CitedSentence(text=stated, sources=[1]))


def test_a_sentence_about_a_full_name_is_not_credited_to_a_passage_sharing_its_surname(embedder) -> None:
    """HotpotQA's Scott Howell question: the 1.5B cited a school named for a mayor called Howell. The subject is
    Scott Howell (the capitalised first word belongs to the name), so the citation goes to his passage, with the one
    it links to for what his does not say."""
    from sleuth.lexicon import subject_of

    evidence = _hits(
        ("Scott Howell (political consultant)", "Scott Howell is an American political consultant whose clients "
         "include Meg Whitman and Rudy Giuliani."),
        ("Scott Howell (footballer)", "Scott Howell is a former Australian rules footballer who played for Carlton."),
        ("Rudy Giuliani", "Rudolph Giuliani is an American lawyer and the former mayor of New York City."),
        ("Howell School", "Howell School is a historic school in Dothan, Alabama, named for Robert Howell, who was "
         "mayor when the first school was built."),
    )  # fmt: skip
    claim = "Scott Howell is a consultant who has worked with the mayor of New York City."
    assert subject_of(claim) == ["scott", "howell"]
    assert subject_of("However, BM25 is fast.") == subject_of("Unlike BM25 it is sparse.") == ["bm25"]  # openers
    verified, _, repointed = CitationVerifier(embedder).verify([CitedSentence(text=claim, sources=[4])], evidence)
    assert [sorted(s.sources) for s in verified] == [[1, 3]] and repointed == 1


def test_a_sentence_bridging_two_linked_passages_cites_both(embedder) -> None:
    """HotpotQA's Philip Carlo question: the answer's sentence spans the biographer's passage and the passage of the
    killer it names; citing the crime family's own passage instead dropped the sentence that answered."""
    evidence = _hits(
        ("Philip Carlo", "Philip Carlo was a journalist and best-selling biographer of Richard Kuklinski and "
         "Anthony Casso."),
        ("Richard Kuklinski", "Richard Kuklinski was an American contract killer who was associated with members of "
         "the DeCavalcante crime family."),
        ("DeCavalcante crime family", "The DeCavalcante crime family is an Italian-American organized crime family "
         "in Elizabeth, New Jersey."),
    )  # fmt: skip
    claim = (
        "Philip Carlo was a biographer for an American contract killer who was associated with members of the "
        "DeCavalcante crime family."
    )
    verified, _, _ = CitationVerifier(embedder).verify([CitedSentence(text=claim, sources=[1, 3])], evidence)
    assert [sorted(s.sources) for s in verified] == [[1, 2]]


def test_a_sentence_joining_two_unlinked_passages_is_not_supported(embedder) -> None:
    """HotpotQA's Simon & Simon question: every word of "Simon Schatzberger starred Simon Ammann" is in one of two
    passages, but neither names the other: nothing connects what the sentence joins."""
    evidence = _hits(
        ("Simon Schatzberger", "Simon Schatzberger is an English television actor born in Nottingham."),
        ("Simon Ammann", "Simon Ammann is a Swiss ski jumper who has won four individual Olympic gold medals."),
    )
    claim = "Simon Schatzberger starred Simon Ammann, a Swiss ski jumper."
    verified, _, _ = CitationVerifier(embedder).verify([CitedSentence(text=claim, sources=[2])], evidence)
    assert [s.sources for s in verified] == [[]]
