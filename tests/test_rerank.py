from __future__ import annotations

from pathlib import Path

import pytest
from dspy.utils.dummies import DummyLM

from sleuth.errors import ConfigError, ModelUnavailableError
from sleuth.schema import Chunk, Hit
from sleuth.tools.llm_rerank import ListwiseReranker, PairwiseReranker, RelevanceLogitReranker
from sleuth.tools.rerank import CrossEncoderReranker


def _hits(n: int) -> list[Hit]:
    return [
        Hit(chunk=Chunk(chunk_id=f"c{i}", doc_id=f"d{i}", title=f"T{i}", text=f"passage {i}"), score=1 / i)
        for i in range(1, n + 1)
    ]


def test_listwise_applies_the_lm_permutation_and_keeps_what_it_omits() -> None:
    lm = DummyLM([{"ranking": [3, 1]}])
    ranked = ListwiseReranker(lm, candidates=4, window=4).rank("q", _hits(6))
    assert [h.doc_id for h in ranked] == ["d3", "d1", "d2", "d4", "d5", "d6"]


def test_listwise_slides_windows_from_the_bottom() -> None:
    lm = DummyLM([{"ranking": [2, 1]}, {"ranking": [2, 1]}])
    ranked = ListwiseReranker(lm, candidates=3, window=2, step=1).rank("q", _hits(3))
    # window [2,3] -> [3,2]; then window [1,3] -> [3,1]
    assert [h.doc_id for h in ranked] == ["d3", "d1", "d2"]


def test_pairwise_bubbles_the_preferred_passage_up() -> None:
    lm = DummyLM([{"more_relevant": "B"}, {"more_relevant": "B"}])
    ranked = PairwiseReranker(lm, candidates=3).rank("q", _hits(4))
    assert [h.doc_id for h in ranked] == ["d3", "d1", "d2", "d4"]


def test_cross_encoder_from_a_user_folder_scores_and_reorders(tmp_path: Path) -> None:
    from sentence_transformers import CrossEncoder
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    vocab = tmp_path / "vocab.txt"
    vocab.write_text(
        "\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "passage", "q", "t1", "t2", "t3", "1", "2", "3"])
    )
    config = BertConfig(
        vocab_size=13,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        num_labels=1,
    )
    folder = tmp_path / "ce"
    BertForSequenceClassification(config).save_pretrained(folder)
    BertTokenizer(str(vocab)).save_pretrained(folder)
    reranker = CrossEncoderReranker(folder, candidates=3)
    hits = _hits(5)
    ranked = reranker.rank("q", hits)
    expected = CrossEncoder(str(folder), device="cpu").predict([("q", f"T{i}. passage {i}") for i in (1, 2, 3)])
    order = sorted(range(3), key=lambda i: -expected[i])
    assert [h.doc_id for h in ranked[:3]] == [f"d{i + 1}" for i in order]
    assert [h.doc_id for h in ranked[3:]] == ["d4", "d5"]


def test_missing_cross_encoder_folder_is_explained(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="CrossEncoder"):
        CrossEncoderReranker(tmp_path / "nope")


class _Vectors:
    """Stored vectors by chunk id, as an index holds them."""

    def __init__(self, table: dict[str, list[float]]) -> None:
        self.table = table

    def dense_vectors(self, chunk_ids: list[str]):
        import numpy as np

        rows = [np.asarray(self.table[c], dtype=np.float32) for c in chunk_ids if c in self.table]
        return np.stack([r / np.linalg.norm(r) for r in rows])


def _hit(chunk_id: str, score: float) -> Hit:
    return Hit(chunk=Chunk(chunk_id=chunk_id, doc_id=chunk_id, text=chunk_id), score=score)


def test_mmr_moves_a_near_duplicate_below_a_different_passage() -> None:
    from sleuth.tools.rerank import MMRReranker

    index = _Vectors({"a": [1, 0, 0], "a-copy": [0.99, 0.14, 0], "b": [0, 1, 0], "c": [0, 0, 1]})
    hits = [_hit("a", 1.0), _hit("a-copy", 0.95), _hit("b", 0.8), _hit("c", 0.1)]
    assert [h.chunk_id for h in MMRReranker(index, lam=0.5).rank("q", hits)] == ["a", "b", "c", "a-copy"]
    assert [h.chunk_id for h in MMRReranker(index, lam=1.0).rank("q", hits)] == ["a", "a-copy", "b", "c"]
    with pytest.raises(ConfigError, match="lambda"):
        MMRReranker(index, lam=1.5)


class _FakeEngine:
    """Says yes to passages containing a keyword; `answered` cuts the list short as a deadline would."""

    def __init__(self, keyword: str, answered: int | None = None) -> None:
        self.keyword, self.answered, self.prompts = keyword, answered, []

    def yes_no_logits(self, prompts: list[str], deadline: float | None = None) -> list[float]:
        self.prompts.extend(prompts)
        scores = [5.0 if self.keyword in p.split("Passage:")[1] else -5.0 for p in prompts]
        return scores[: self.answered] if self.answered is not None else scores


class _LocalLM:
    def __init__(self, engine: _FakeEngine) -> None:
        self._engine_spec = engine


def test_logit_reranker_lifts_the_passage_the_llm_finds_relevant() -> None:
    engine = _FakeEngine("passage 3")
    ranked = RelevanceLogitReranker(_LocalLM(engine), candidates=4).rank("what about three?", _hits(6))
    assert [h.doc_id for h in ranked] == ["d3", "d1", "d2", "d4", "d5", "d6"]
    assert all(p.startswith("Query: what about three?") for p in engine.prompts)  # the query first: a shared prefix


def test_logit_reranker_out_of_time_keeps_the_unscored_below_in_first_stage_order() -> None:
    engine = _FakeEngine("passage 2", answered=2)  # the deadline came after two passages
    ranked = RelevanceLogitReranker(_LocalLM(engine), candidates=4).rank("q", _hits(5))
    assert [h.doc_id for h in ranked] == ["d2", "d1", "d3", "d4", "d5"]


def test_logit_reranker_weight_zero_keeps_the_first_stage() -> None:
    ranked = RelevanceLogitReranker(_LocalLM(_FakeEngine("passage 4")), candidates=4, weight=0.0).rank("q", _hits(4))
    assert [h.doc_id for h in ranked] == ["d1", "d2", "d3", "d4"]


def test_logit_reranker_needs_the_embedded_model() -> None:
    with pytest.raises(ConfigError, match="logit"):
        RelevanceLogitReranker(DummyLM([]))


class _Spy:
    """A second stage that reverses the first stage's order and records what it was asked."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def rank(self, query: str, hits: list[Hit]) -> list[Hit]:
        self.queries.append(query)
        return hits[::-1]


def test_the_configured_rerank_stage_orders_search_and_the_agents_question_ranking(agent, settings) -> None:
    from sleuth.tools.rerank import MMRReranker

    settings.search.rerank = "mmr:0.5"
    a = agent({"sub_questions": ["What is BM25?"]})
    assert isinstance(a.searcher.reranker, MMRReranker)  # built from search.rerank
    spy = _Spy()
    a.searcher.reranker = spy
    first = a.searcher.search("BM25 ranking", k=4)
    assert [h.chunk_id for h in a.search("BM25 ranking", k=4)] == [h.chunk_id for h in first][::-1]
    a.ask("What is BM25?")
    assert spy.queries[-1] == "What is BM25?"  # the question's own ranking went through the stage


def test_no_rerank_stage_is_built_by_default(agent) -> None:
    assert agent().searcher.reranker is None
