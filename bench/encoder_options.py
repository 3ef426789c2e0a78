"""MiniLM run other ways than the shipped ONNX Runtime fp32 export: how much faster, and how many
of the turn-act model's decisions change (the other variants' figures are proposals; they do not ship).

- sentence-transformers torch fp32: the reference (what shipped before 2026-12-04; same weights).
- torch int8: torch.ao.quantization.quantize_dynamic over the Linear layers.
- onnxruntime int8: onnxruntime.quantization.quantize_dynamic of the shipped export (per-channel
  signed weights), written to --int8 when missing.

Every variant batches as the shipped `encode` does (by text length, 32 a batch), mean-pools and
normalises. Timing: CPU seconds (one thread each) over the texts a 10-minute call embeds,
variants alternated round by round. Decisions: every sentence of the labelled corpus
(nlp.acts.load_corpus) with its context, each act its speaker can have, over the threshold or not.

    PYTHONPATH=. .venv/bin/python bench/encoder_options.py [--int8 /tmp/minilm-int8.onnx]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROUNDS = 5


def _sentence_transformer():
    import torch
    from sentence_transformers import SentenceTransformer

    from models.embeddings import EMBEDDING_THREADS, package_dir

    torch.set_num_threads(EMBEDDING_THREADS)
    return SentenceTransformer(str(package_dir()), device="cpu")


def torch_encoder(int8: bool):
    import torch

    model = _sentence_transformer()
    if int8:
        model[0].model = torch.ao.quantization.quantize_dynamic(model[0].model, {torch.nn.Linear}, dtype=torch.qint8)

    def encode(texts: list[str]) -> np.ndarray:
        return model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)

    return encode


def onnx_int8_encoder(path: Path):
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from models.embeddings import Encoder, load_embedder

    shipped = load_embedder()
    if not path.is_file():
        quantize_dynamic(str(shipped.path), str(path), weight_type=QuantType.QInt8, per_channel=True)
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    return Encoder(ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"]), shipped.tokenizer, path).encode


def call_texts() -> list[list[str]]:
    """The texts each stage embeds for the bench's 10-minute call, batch by batch."""
    import models.embeddings as embeddings
    from bench.analysis import ten_minute_transcript
    from nlp.analyse import AnalysisSettings, analyse
    from nlp.policy import load_policy

    settings = AnalysisSettings(load_policy())
    transcript, _ = ten_minute_transcript()
    analyse(transcript, settings)  # loads the models and embeds the fixed anchor and exemplar texts
    batches: list[list[str]] = []
    real = embeddings.encode
    embeddings.configure_memo(0)
    embeddings.encode = lambda texts: batches.append(list(texts)) or real(texts)
    try:
        analyse(transcript, settings)
    finally:
        embeddings.encode = real
        embeddings.configure_memo()
    return batches


def decisions(encode, rows) -> tuple[np.ndarray, np.ndarray]:
    import models.embeddings as embeddings
    from nlp.acts import ACT_SPEAKER, ACTS, features, shipped

    reader = shipped()
    real = embeddings.encode
    embeddings.configure_memo(0)
    embeddings.encode = encode
    try:
        X = features([r.speaker for r in rows], [r.text for r in rows], [r.context for r in rows], cache=None)
    finally:
        embeddings.encode = real
        embeddings.configure_memo()
    allowed = np.array([[ACT_SPEAKER[a] == r.speaker for a in ACTS] for r in rows])
    return (reader.scores(X) >= reader.thresholds) & allowed, allowed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--int8", type=Path, default=Path("/tmp/minilm-int8.onnx"), help="the int8 model (written when missing)")
    args = parser.parse_args()
    from callqa.env import configure_offline
    from callqa.settings import Settings
    from models.embeddings import encode
    from nlp.acts import load_corpus

    configure_offline(Settings().work_dir)
    shipped = "onnxruntime fp32 (shipped)"
    variants = {shipped: encode, "sentence-transformers torch fp32": torch_encoder(int8=False),
                "torch int8 dynamic": torch_encoder(int8=True), "onnxruntime int8": onnx_int8_encoder(args.int8)}
    batches = call_texts()
    print(f"10-minute call: {len(batches)} embedding batches, {sum(map(len, batches))} texts")
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    for r in range(ROUNDS):
        for name, fn in (variants.items() if r % 2 == 0 else reversed(variants.items())):
            started = time.process_time()
            for texts in batches:
                fn(texts)
            cpu[name].append(time.process_time() - started)
    rows = load_corpus()
    base, allowed = decisions(encode, rows)
    for name, fn in variants.items():
        ratios = [b / t for b, t in zip(cpu[shipped], cpu[name])]
        diff = max(float(np.abs(fn(t) - encode(t)).max()) for t in batches)
        flipped, _ = decisions(fn, rows)
        flips = int((flipped != base)[allowed].sum())
        sentences = int((flipped != base).any(axis=1).sum())
        print(f"{name:34s} call's embeddings: median {statistics.median(cpu[name]):.3f} s CPU, speed vs shipped {statistics.median(ratios):.2f}x "
              f"[{min(ratios):.2f}-{max(ratios):.2f}]; max |embedding diff| {diff:.1e}; turn-act decisions flipped "
              f"{flips}/{int(allowed.sum())} ({flips / allowed.sum():.2%}), sentences with a flip {sentences}/{len(rows)} ({sentences / len(rows):.1%})")


if __name__ == "__main__":
    main()
