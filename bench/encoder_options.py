"""MiniLM run other ways than the shipped ONNX Runtime int8 model: how much faster, and how many
of the turn-act model's decisions change (the turn-act model is trained on the shipped int8 vectors).

- onnxruntime fp32: the ONNX export the int8 model is quantised from (shipped until 2026-12-04).
- sentence-transformers torch fp32: the reference (shipped before that; same weights).
- torch int8: torch.ao.quantization.quantize_dynamic over the Linear layers.
- onnxruntime int8, 8-bit weights: as shipped but without `reduce_range`; as fast here, but its
  sums can saturate on x86 CPUs without VNNI, so its vectors depend on the CPU.

Both ONNX variants are written to --work when missing.

Every variant batches as the shipped `encode` does (sorted by length; the ONNX ones exactly as `Encoder.encode`), mean-pools and
normalises. Timing: CPU seconds (one thread each) over the texts a 10-minute call embeds,
variants alternated round by round. Decisions: every sentence of the labelled corpus
(nlp.acts.load_corpus) with its context, each act its speaker can have, over the threshold or not.

    PYTHONPATH=. .venv/bin/python bench/encoder_options.py [--work /tmp/minilm-variants]
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


def onnx_encoder(work: Path, int8: bool):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from models.embeddings import FP32_BATCH, INT8_BATCH, export_fp32, open_encoder

    fp32 = work / "fp32.onnx"
    if not fp32.is_file():
        export_fp32(fp32)
    if not int8:
        return open_encoder(fp32, FP32_BATCH).encode
    path = work / "int8-8bit.onnx"
    if not path.is_file():
        quantize_dynamic(str(fp32), str(path), weight_type=QuantType.QInt8, per_channel=True)
    return open_encoder(path, INT8_BATCH).encode


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
    parser.add_argument("--work", type=Path, default=Path("/tmp/minilm-variants"), help="where the ONNX variants are written (when missing)")
    args = parser.parse_args()
    from callqa.env import configure_offline
    from callqa.settings import Settings
    from models.embeddings import encode
    from nlp.acts import load_corpus

    configure_offline(Settings().work_dir)
    shipped = "onnxruntime int8 (shipped)"
    args.work.mkdir(parents=True, exist_ok=True)
    variants = {shipped: encode, "onnxruntime fp32": onnx_encoder(args.work, int8=False),
                "sentence-transformers torch fp32": torch_encoder(int8=False), "torch int8 dynamic": torch_encoder(int8=True),
                "onnxruntime int8, 8-bit weights": onnx_encoder(args.work, int8=True)}
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
