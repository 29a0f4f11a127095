from __future__ import annotations

from pathlib import Path

import pytest

from sleuth.errors import ConfigError
from sleuth.settings import Settings, load_settings


def test_defaults_use_sleuth_home_and_the_embedded_models(sleuth_home: Path) -> None:
    s = Settings()
    assert s.home == sleuth_home
    assert s.models.lm == "local/qwen2.5-coder-1.5b"
    assert s.models.embedder == "minilm"
    assert s.index.url is None


def test_environment_prefix_nested_groups_and_short_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLEUTH_LM", "openai/gpt-4o-mini")
    monkeypatch.setenv("SLEUTH_LM_API_BASE", "http://localhost:8000/v1")
    monkeypatch.setenv("SLEUTH_QDRANT_URL", "http://qdrant:6333")
    monkeypatch.setenv("SLEUTH_AGENT__TOP_K", "9")
    s = Settings()
    assert s.models.lm == "openai/gpt-4o-mini"
    assert s.models.api_base == "http://localhost:8000/v1"
    assert s.index.url == "http://qdrant:6333"
    assert s.agent.top_k == 9


def test_toml_file_is_read_and_environment_wins(sleuth_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sleuth_home.mkdir(parents=True)
    (sleuth_home / "config.toml").write_text('[agent]\ntop_k = 4\nmax_llm_calls = 3\n[index]\ncollection = "notes"\n')
    monkeypatch.setenv("SLEUTH_AGENT__MAX_LLM_CALLS", "5")
    s = Settings()
    assert (s.agent.top_k, s.agent.max_llm_calls, s.index.collection) == (4, 5, "notes")


def test_code_overrides_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLEUTH_LM", "openai/gpt-4o-mini")
    assert Settings(models={"lm": "local/qwen2.5-coder-0.5b"}).models.lm == "local/qwen2.5-coder-0.5b"


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLEUTH_LM_API_KEY", "sk-very-secret")
    s = Settings()
    assert s.models.api_key.get_secret_value() == "sk-very-secret"
    assert "sk-very-secret" not in str(s.masked())
    assert s.masked()["models"]["api_key"] == "****"


def test_unknown_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLEUTH_AGENT__TOPK", "3")
    with pytest.raises(ConfigError, match="topk"):
        load_settings()


def test_bad_toml_names_the_file(sleuth_home: Path) -> None:
    sleuth_home.mkdir(parents=True)
    (sleuth_home / "config.toml").write_text("[agent\n")
    with pytest.raises(ConfigError, match="config.toml"):
        load_settings()


def test_the_embedder_device_is_auto_detected_and_a_missing_gpu_is_a_clear_error() -> None:
    import torch

    from sleuth.errors import ModelUnavailableError
    from sleuth.tools.embedder import resolve_device

    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert resolve_device("auto") == expected and resolve_device("cpu") == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(ModelUnavailableError, match="SLEUTH_MODELS__DEVICE"):
            resolve_device("cuda")


@pytest.mark.skipif("not __import__('torch').cuda.is_available()", reason="needs a CUDA GPU")
def test_embeddings_on_a_gpu_agree_with_the_cpu() -> None:
    import numpy as np

    from sleuth.tools.embedder import Embedder

    texts = ["ColBERT scores passages by late interaction.", "BM25 weights terms by frequency and rarity."]
    gpu = Embedder("minilm", device="cuda").embed(texts)
    cpu = Embedder("minilm", device="cpu", precision="fp32").embed(texts)
    assert np.min(np.sum(gpu * cpu, axis=1)) > 0.999
