"""Convert a CTranslate2 Whisper model (model.bin) into an openai-whisper checkpoint.

Only CTranslate2 Whisper weights ship as packages here, but openai-whisper is the backend
whose word timestamps we can inspect and tune, so we convert once into a cache file. The
model.bin format (written by ctranslate2/specs/model_spec.py, binary version 6) is read
with struct and numpy alone: binary version, spec name, revision, then each variable
(name, rank, shape, dtype id, byte count, raw bytes), then aliases (name -> variable).
Alignment heads live in config.json, not in the weights, so the checkpoint carries them
under an extra key and `load_openai_whisper` applies them.
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import torch

if TYPE_CHECKING:
    from whisper.model import Whisper

BINARY_VERSION = 6
SPEC_NAME = "WhisperSpec"
CONVERTED_FROM = "ctranslate2"
# Ids from ctranslate2's DataType enum (include/ctranslate2/types.h); 5 is bfloat16.
_BFLOAT16 = 5
_DTYPES = {i: np.dtype(t) for i, t in enumerate(("<f4", "i1", "<i2", "<i4", "<f2", "<u2"))}
# Head counts are not stored as tensor shapes; these are the released Whisper sizes.
_HEADS_BY_STATE = {384: 6, 512: 8, 768: 12, 1024: 16, 1280: 20}


class ModelFormatError(ValueError):
    """A file is not the model format we expect; the message says what is wrong."""


@dataclass(frozen=True)
class Ct2Model:
    """The parsed content of a CTranslate2 model.bin, weights in their stored dtype."""

    spec_name: str
    revision: int
    variables: Mapping[str, np.ndarray]
    aliases: Mapping[str, str]  # alias name -> name of the variable it shares

    def get(self, name: str) -> np.ndarray | None:
        return self.variables.get(self.aliases.get(name, name))


class _Cursor:
    """Reads little-endian fields from a byte buffer, failing clearly when it runs out."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.pos, self.path = data, 0, path

    def take(self, size: int) -> memoryview:
        if size < 0 or self.pos + size > len(self.data):
            raise ModelFormatError(f"{self.path}: truncated or corrupt at byte {self.pos}")
        self.pos += size
        return memoryview(self.data)[self.pos - size : self.pos]

    def unpack(self, fmt: str) -> int:
        return struct.unpack("<" + fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        raw = bytes(self.take(self.unpack("H")))  # the length counts the trailing NUL
        try:
            if raw.endswith(b"\0"):
                return raw[:-1].decode("utf-8")
        except UnicodeDecodeError:
            pass
        raise ModelFormatError(f"{self.path}: corrupt string before byte {self.pos}")


def _array(raw: memoryview, dtype_id: int, shape: tuple[int, ...], name: str, path: Path) -> np.ndarray:
    if dtype_id not in _DTYPES:
        raise ModelFormatError(f"{path}: variable {name} has unsupported dtype id {dtype_id}")
    if len(raw) != math.prod(shape) * _DTYPES[dtype_id].itemsize:
        raise ModelFormatError(f"{path}: variable {name} has {len(raw)} bytes, which does not fit shape {shape}")
    values = np.frombuffer(raw, dtype=_DTYPES[dtype_id]).reshape(shape)
    # bfloat16 is the top half of a float32: widen the bits rather than need torch here.
    return (values.astype(np.uint32) << 16).view(np.float32) if dtype_id == _BFLOAT16 else values


def read_ct2_model(model_bin: Path) -> Ct2Model:
    """Parse a CTranslate2 model.bin (binary version 6) without ctranslate2 itself."""
    model_bin = Path(model_bin)
    if not model_bin.is_file():
        raise FileNotFoundError(f"CTranslate2 model file not found: {model_bin}")
    cur = _Cursor(model_bin.read_bytes(), model_bin)
    version = cur.unpack("I")
    if version != BINARY_VERSION:
        raise ModelFormatError(f"{model_bin}: binary version {version}, expected {BINARY_VERSION}: not a "
                               "CTranslate2 model.bin, or one from an unsupported ctranslate2 release")
    spec_name, revision = cur.string(), cur.unpack("I")
    variables: dict[str, np.ndarray] = {}
    for _ in range(cur.unpack("I")):
        name = cur.string()
        shape = tuple(cur.unpack("I") for _ in range(cur.unpack("B")))
        dtype_id = cur.unpack("B")
        variables[name] = _array(cur.take(cur.unpack("I")), dtype_id, shape, name, model_bin)
    aliases: dict[str, str] = {}
    for _ in range(cur.unpack("I")):
        alias, target = cur.string(), cur.string()
        aliases[alias] = aliases.get(target, target)  # an alias of an alias, resolved as ctranslate2 does
    if cur.pos != len(cur.data):
        raise ModelFormatError(f"{model_bin}: {len(cur.data) - cur.pos} unexpected bytes after the aliases")
    return Ct2Model(spec_name, revision, variables, aliases)


class _StateDict:
    """Builds openai-whisper tensors (fp32) from CTranslate2 variables, noting which were used."""

    def __init__(self, model: Ct2Model) -> None:
        self.model = model
        self.tensors: dict[str, torch.Tensor] = {}
        self.used: set[str] = set()

    def get(self, name: str) -> torch.Tensor:
        value = self.model.get(name)
        if value is None:
            raise ModelFormatError(f"the CTranslate2 model has no variable {name}")
        self.used.add(name)
        if value.dtype.kind == "i":
            # Quantized: CTranslate2 stored round(w * scale), scale per output row (int8) or one (int16).
            scale = self.model.get(name + "_scale")
            if scale is None:
                raise ModelFormatError(f"quantized variable {name} has no {name}_scale")
            self.used.add(name + "_scale")
            value = value.astype(np.float32) / scale.astype(np.float32).reshape((-1,) + (1,) * (value.ndim - 1))
        return torch.from_numpy(np.array(value, dtype=np.float32))  # always a private copy

    def split(self, name: str, parts: int) -> list[torch.Tensor]:
        value = self.get(name)
        if value.shape[0] % parts:
            raise ModelFormatError(f"{name} has {value.shape[0]} rows, not divisible into {parts} fused parts")
        return [p.clone() for p in value.chunk(parts)]  # clone: each tensor saved with its own storage

    def put(self, dst: str, weight: torch.Tensor, bias: torch.Tensor) -> None:
        self.tensors[f"{dst}.weight"], self.tensors[f"{dst}.bias"] = weight, bias

    def linear(self, src: str, dst: str) -> None:
        self.put(dst, self.get(f"{src}/weight"), self.get(f"{src}/bias"))

    def norm(self, src: str, dst: str) -> None:
        self.put(dst, self.get(f"{src}/gamma"), self.get(f"{src}/beta"))

    def attention(self, src: str, dst: str, cross: bool) -> None:
        # Self-attention fuses q,k,v in linear_0; cross-attention has q in linear_0 and k,v fused in linear_1.
        fused, parts = (f"{src}/linear_1", 2) if cross else (f"{src}/linear_0", 3)
        weights, biases = self.split(f"{fused}/weight", parts), self.split(f"{fused}/bias", parts)
        if cross:
            weights.insert(0, self.get(f"{src}/linear_0/weight"))
            biases.insert(0, self.get(f"{src}/linear_0/bias"))
        # Whisper's key projection has no bias; CTranslate2 fuses in zeros. Anything else is not Whisper.
        if torch.any(biases[1] != 0):
            raise ModelFormatError(f"{src}: non-zero key bias, which openai-whisper cannot represent")
        self.put(f"{dst}.query", weights[0], biases[0])
        self.tensors[f"{dst}.key.weight"] = weights[1]
        self.put(f"{dst}.value", weights[2], biases[2])
        self.linear(f"{src}/linear_{2 if cross else 1}", f"{dst}.out")

    def block(self, src: str, dst: str, decoder: bool) -> None:
        self.attention(f"{src}/self_attention", f"{dst}.attn", cross=False)
        self.norm(f"{src}/self_attention/layer_norm", f"{dst}.attn_ln")
        if decoder:
            self.attention(f"{src}/attention", f"{dst}.cross_attn", cross=True)
            self.norm(f"{src}/attention/layer_norm", f"{dst}.cross_attn_ln")
        self.linear(f"{src}/ffn/linear_0", f"{dst}.mlp.0")
        self.linear(f"{src}/ffn/linear_1", f"{dst}.mlp.2")
        self.norm(f"{src}/ffn/layer_norm", f"{dst}.mlp_ln")


def _layer_count(model: Ct2Model, side: str) -> int:
    # A gap in the numbering surfaces later as a missing variable of the absent layer.
    return 1 + max((int(m[1]) for n in model.variables if (m := re.match(rf"{side}/layer_(\d+)/", n))), default=-1)


def _heads(model: Ct2Model, side: str, n_state: int) -> int:
    stored = model.get(f"{side}/num_heads")  # WhisperSpec writes it as a scalar; older files may not
    if stored is not None and stored.ndim == 0:
        return int(stored)
    if n_state not in _HEADS_BY_STATE:
        raise ModelFormatError(f"{side} width {n_state} is no known Whisper size and the model has no num_heads")
    return _HEADS_BY_STATE[n_state]


def _check_heads(heads: Any, n_layer: int, n_head: int, where: object) -> list[list[int]]:
    try:
        pairs = [[int(layer), int(head)] for layer, head in heads]
    except (TypeError, ValueError) as exc:
        raise ModelFormatError(f"{where}: alignment_heads must be a list of [layer, head] pairs") from exc
    if not pairs or not all(0 <= layer < n_layer and 0 <= head < n_head for layer, head in pairs):
        raise ModelFormatError(f"{where}: alignment heads {pairs} do not fit {n_layer} layers x {n_head} heads")
    return pairs


def _alignment_heads(ct2_dir: Path, n_layer: int, n_head: int) -> list[list[int]]:
    config_file = ct2_dir / "config.json"
    try:
        config = json.loads(config_file.read_text()) if config_file.is_file() else {}
    except json.JSONDecodeError as exc:
        raise ModelFormatError(f"{config_file}: not valid JSON ({exc})") from exc
    if config.get("alignment_heads") is None:
        # The default of both ctranslate2 and openai-whisper: every head of the last half of the layers.
        return [[layer, head] for layer in range(n_layer // 2, n_layer) for head in range(n_head)]
    return _check_heads(config["alignment_heads"], n_layer, n_head, config_file)


def convert_ct2_to_openai_whisper(ct2_dir: Path, out_file: Path) -> Path:
    """Write an openai-whisper checkpoint (fp32) for the CTranslate2 Whisper model in ct2_dir."""
    ct2_dir, out_file = Path(ct2_dir), Path(out_file)
    model = read_ct2_model(ct2_dir / "model.bin")
    if model.spec_name != SPEC_NAME:
        raise ModelFormatError(f"{ct2_dir}: spec {model.spec_name!r} is not a Whisper model ({SPEC_NAME})")
    sd = _StateDict(model)
    sd.linear("encoder/conv1", "encoder.conv1")
    sd.linear("encoder/conv2", "encoder.conv2")
    sd.tensors["encoder.positional_embedding"] = sd.get("encoder/position_encodings/encodings")
    n_audio_layer, n_text_layer = _layer_count(model, "encoder"), _layer_count(model, "decoder")
    for i in range(n_audio_layer):
        sd.block(f"encoder/layer_{i}", f"encoder.blocks.{i}", decoder=False)
    sd.norm("encoder/layer_norm", "encoder.ln_post")
    # decoder/projection/weight is an alias of this table: openai-whisper ties them the same way.
    sd.tensors["decoder.token_embedding.weight"] = sd.get("decoder/embeddings/weight")
    sd.tensors["decoder.positional_embedding"] = sd.get("decoder/position_encodings/encodings")
    for i in range(n_text_layer):
        sd.block(f"decoder/layer_{i}", f"decoder.blocks.{i}", decoder=True)
    sd.norm("decoder/layer_norm", "decoder.ln")
    unused = sorted(n for n, v in model.variables.items() if v.ndim > 0 and n not in sd.used)
    if unused:
        raise ModelFormatError(f"{ct2_dir}: variables this converter does not understand: {unused[:5]}")

    t = sd.tensors
    n_audio_state, n_mels = t["encoder.conv1.weight"].shape[:2]  # torch.Size holds plain ints
    n_vocab, n_text_state = t["decoder.token_embedding.weight"].shape
    dims = {  # plain ints: torch.load(weights_only=True) refuses numpy scalars
        "n_mels": n_mels, "n_audio_ctx": t["encoder.positional_embedding"].shape[0], "n_audio_state": n_audio_state,
        "n_audio_head": _heads(model, "encoder", n_audio_state), "n_audio_layer": n_audio_layer,
        "n_vocab": n_vocab, "n_text_ctx": t["decoder.positional_embedding"].shape[0], "n_text_state": n_text_state,
        "n_text_head": _heads(model, "decoder", n_text_state), "n_text_layer": n_text_layer,
    }
    checkpoint = {
        "dims": dims,
        "model_state_dict": sd.tensors,
        "alignment_heads": _alignment_heads(ct2_dir, n_text_layer, dims["n_text_head"]),
        "converted_from": {"format": CONVERTED_FROM, "spec": model.spec_name, "revision": model.revision},
    }
    _save_atomically(checkpoint, out_file)
    return out_file


def _save_atomically(checkpoint: dict[str, Any], out_file: Path) -> None:
    # Write beside the target and rename: a crash never leaves a half-written cache file.
    out_file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out_file.name}.", suffix=".tmp", dir=out_file.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(checkpoint, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is shared by workers
        os.replace(tmp, out_file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_openai_whisper(checkpoint: Path, device: str = "cpu") -> Whisper:
    """Load a checkpoint written by convert_ct2_to_openai_whisper, with its alignment heads."""
    checkpoint = Path(checkpoint).resolve()
    if not checkpoint.is_file():
        raise FileNotFoundError(f"converted Whisper checkpoint not found: {checkpoint}")
    try:
        # mmap: only the small metadata is read here; the weights are loaded by whisper below.
        meta = torch.load(checkpoint, map_location="cpu", weights_only=True, mmap=True)
    except Exception as exc:  # torch raises several unrelated types for a non-checkpoint
        raise ModelFormatError(f"{checkpoint}: not a torch checkpoint ({exc.__class__.__name__}: {exc})") from exc
    origin = meta.get("converted_from") if isinstance(meta, dict) else None
    if not isinstance(origin, dict) or origin.get("format") != CONVERTED_FROM:
        raise ModelFormatError(f"{checkpoint}: not a checkpoint written by convert_ct2_to_openai_whisper")
    dims = meta["dims"]
    heads = _check_heads(meta.get("alignment_heads"), dims["n_text_layer"], dims["n_text_head"], checkpoint)
    del meta

    import whisper  # deferred: it pulls numba, which conversion alone does not need

    # An absolute path string: whisper.load_model would try to download a bare name like "base".
    model = whisper.load_model(str(checkpoint), device=device)
    mask = torch.zeros(dims["n_text_layer"], dims["n_text_head"], dtype=torch.bool)
    for layer, head in heads:
        mask[layer, head] = True
    # Same buffer Whisper.set_alignment_heads registers (sparse: timing.py reads its indices).
    model.register_buffer("alignment_heads", mask.to_sparse().to(model.device), persistent=False)
    return model
