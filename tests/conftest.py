"""Offline, deterministic fixtures: a temp SLEUTH_HOME, a small corpus, both index backends, scripted LMs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

CORPUS = [
    (
        "bm25",
        "BM25 ranking",
        "BM25 is a lexical ranking function that scores documents by term frequency "
        "and inverse document frequency, with saturation controlled by k1 and length normalisation by b.",
    ),
    (
        "dpr",
        "Dense passage retrieval",
        "Dense passage retrieval encodes questions and passages with two BERT "
        "encoders and retrieves passages by the inner product of their embeddings.",
    ),
    (
        "hybrid",
        "Hybrid search",
        "Hybrid search combines a sparse lexical retriever such as BM25 with a dense "
        "embedding retriever; reciprocal rank fusion merges the two ranked lists into one.",
    ),
    (
        "colbert",
        "ColBERT",
        "ColBERT is a late-interaction retriever: it keeps one embedding per token and "
        "scores a passage by summing the maximum similarity of each query token.",
    ),
    (
        "rag",
        "Retrieval-augmented generation",
        "Retrieval-augmented generation conditions a language model on "
        "retrieved passages so that its answers can cite evidence instead of relying on parametric memory.",
    ),
    (
        "bread",
        "Sourdough bread",
        "Sourdough bread is leavened by a culture of wild yeast and lactic acid "
        "bacteria; the dough ferments for many hours before baking.",
    ),
]


@pytest.fixture(autouse=True)
def sleuth_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("SLEUTH_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    monkeypatch.setenv("SLEUTH_HOME", str(home))
    return home


@pytest.fixture
def corpus_file(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.jsonl"
    with path.open("w") as handle:
        for doc_id, title, text in CORPUS:
            handle.write(json.dumps({"_id": doc_id, "title": title, "text": text}) + "\n")
    return path


@pytest.fixture(scope="session")
def embedder():
    from sleuth.tools.embedder import Embedder

    return Embedder("minilm")


@pytest.fixture(params=["embedded", "server"])
def backend(request: pytest.FixtureRequest) -> str:
    """Every index test runs against the embedded engine and a Qdrant server (qdrant-client's local mode)."""
    return request.param


@pytest.fixture
def settings(sleuth_home: Path, backend: str):
    from sleuth.settings import Settings

    s = Settings()
    if backend == "server":
        s.index.url = ":memory:"
    return s


@pytest.fixture
def agent(settings, embedder, corpus_file: Path):
    """`agent(*responses)`: an agent over the small corpus whose scripted LM answers from `responses`."""

    def build(*responses: dict):
        built = make_agent(settings, embedder, lm=ScriptedLM(list(responses)))
        built.ingest([corpus_file])
        return built

    return build


def make_agent(settings, embedder, lm=None):
    from sleuth.agent.api import ResearchAgent

    return ResearchAgent(settings, lm=lm, embedder=embedder)


def server_agent(settings, embedder, corpus_file, base: str):
    """An agent over the small corpus whose LM is the fake OpenAI-compatible server at `base` (tests/fake_openai)."""
    settings.models.lm = "openai/fake-model"
    settings.models.api_base = base
    settings.models.timeout = 5
    agent = make_agent(settings, embedder)
    agent.ingest([corpus_file])
    return agent


def plan(subs: list[str], queries: list[str]) -> dict:
    return {"sub_questions": subs, "queries": queries}


def sentences(*items: tuple[str, list[int]]) -> dict:
    return {"answer": {"sentences": [{"text": text, "sources": sources} for text, sources in items]}}


def ScriptedLM(responses: list[dict]):  # noqa: N802 (kept as the tests' name for it)
    """The package's scripted LM (`sleuth.agent.llm.testing`): each call answered by the output fields it asks for."""
    from sleuth.agent.llm.testing import scripted_lm

    return scripted_lm(responses)
