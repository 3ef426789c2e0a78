"""Throughput of the whole pipeline on this machine, against what a user would otherwise script.

A batch of bundled calls repeated under distinct names (36 calls by default) goes end to end
through `callqa score` (transcription + analysis + records, default settings: a worker per
core), timed from process start to exit, with the peak RSS of each worker process. In the
same run, the same recordings are transcribed one file at a time by:

  (a) plain openai-whisper: `model.transcribe(path)` with its defaults (greedy with
      temperature fallback, 30 s windows over the whole file, the channels mixed to mono), on
      the repo's tiny.en weights converted by models/convert.py;
  (b) plain faster-whisper: `WhisperModel(tiny.en).transcribe(path)` with its defaults
      (beam 5, no VAD, mono mix, CTranslate2's default threads).

Repeats of a recording add identical work, so the baselines run each distinct recording once
(their rate per audio second is what is compared). WER is against the samples' scripts with
Whisper's English normaliser. Last, the compute floor: the model's FLOPs for the audio Whisper
actually saw, against what a plain float32 matrix multiply reaches on these cores.

    .venv/bin/python bench/throughput.py            # 36 calls (~10 min)
    .venv/bin/python bench/throughput.py --quick    # 12 calls, baselines on 4 (~4 min)
    .venv/bin/python bench/throughput.py --stereo-gate  # stereo calls, crosstalk gate on vs off (~8 min)
    .venv/bin/python bench/throughput.py --stereo-gate --paired-only  # the same in one process, per call on/off/off/on

--stereo-gate: the issue's bar is that the crosstalk gate (settings crosstalk_gate,
callqa/speech/crosstalk.py gate_echo) costs stereo throughput no more than 10 %. The bundled
stereo calls go through `callqa score` with the gate on and off (a settings file with
`crosstalk_gate: false`), in the order on, off, off, on so a drift in the machine's load falls on
both; the ratio of the summed rates is reported. The gate's own work is timed in this process
too (gate_echo both ways on every stereo recording, best of 3), which the other helpers' load
on a shared machine disturbs far less than the end-to-end runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, Sample, build_batch, bundled_samples, load_line, record_texts, run_monitored, wer  # noqa: E402

BIN = Path(sys.executable).parent
BEAM = 5  # callqa's default beam, for the FLOP count


def plain_openai_whisper(paths: list[str], work_dir: str) -> dict[str, str]:
    """Child body: the script a user would write around openai-whisper."""
    from callqa.speech.asr import openai_checkpoint_path
    from models.convert import convert_ct2_to_openai_whisper, load_openai_whisper
    from models.registry import resolve_whisper

    resolved = resolve_whisper("tiny.en", Path(work_dir) / "models")
    checkpoint = openai_checkpoint_path(resolved, Path(work_dir))
    if not checkpoint.is_file():
        convert_ct2_to_openai_whisper(resolved.path, checkpoint)
    model = load_openai_whisper(checkpoint)
    return {Path(p).stem: model.transcribe(p, language="en", fp16=False)["text"] for p in paths}


def plain_faster_whisper(paths: list[str], work_dir: str) -> dict[str, str]:
    """Child body: the script a user would write around faster-whisper, default settings."""
    from faster_whisper import WhisperModel

    from models.registry import resolve_whisper

    model = WhisperModel(str(resolve_whisper("tiny.en", Path(work_dir) / "models").path))
    texts = {}
    for p in paths:
        segments, _info = model.transcribe(p)
        texts[Path(p).stem] = " ".join(s.text.strip() for s in segments)
    return texts


def run_baseline(kind: str, samples: list[Sample], work_dir: str) -> dict:
    payload = json.dumps({"paths": [str(s.audio) for s in samples], "work_dir": work_dir})
    run = run_monitored([sys.executable, __file__, "--child", kind, payload], env=dict(os.environ))
    if run.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{run.stderr[-3000:]}")
    texts = json.loads(run.stdout.strip().splitlines()[-1])
    audio_s = sum(s.duration_s for s in samples)
    return {
        "name": kind,
        "calls": len(samples),
        "audio_s": audio_s,
        "wall_s": run.wall_s,
        "xrt": audio_s / run.wall_s,
        "wer": wer([s.reference for s in samples], [texts[s.call_id] for s in samples]),
        "peak_rss_mb": run.peak_rss_mb["main"],
    }


def run_pipeline(batch_dir: Path, out: Path, batch: dict[str, Sample], work_dir: str, extra: list[str] | None = None) -> dict:
    """`callqa score` on the batch, from process start to exit."""
    env = {**os.environ, "PREFECT_TASKS_REFRESH_CACHE": "true"}  # repeats must be transcribed, not cache hits
    cmd = [str(BIN / "callqa"), "score", str(batch_dir), "--out", str(out), "--no-progress", "--work-dir", work_dir, *(extra or [])]
    run = run_monitored(cmd, env=env)
    texts = record_texts(out / "records")
    if run.returncode != 0 or len(texts) != len(batch):
        raise RuntimeError(f"callqa score: exit {run.returncode}, {len(texts)} of {len(batch)} scored\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}")
    audio_s = sum(s.duration_s for s in batch.values())
    workers = {k: v for k, v in run.peak_rss_mb.items() if k.startswith("worker")}
    return {
        "name": "callqa score " + " ".join(extra or []),
        "calls": len(batch),
        "audio_s": audio_s,
        "wall_s": run.wall_s,
        "xrt": audio_s / run.wall_s,
        "wer": wer([batch[c].reference for c in sorted(batch)], [texts[c] for c in sorted(batch)]),
        "peak_rss_mb": max(workers.values()) if workers else run.peak_rss_mb["main"],
        "main_rss_mb": run.peak_rss_mb["main"],
        "workers": len(workers),
        "summary": next((line for line in run.stdout.splitlines() if " calls: " in line), ""),
    }


def whisper_flops(records_dir: Path, dims: dict) -> tuple[float, float]:
    """(FLOPs, speech seconds) of the Whisper forward passes for the audio the VAD kept.

    Encoder per 30 s window: two convolutions, then per layer 24*n*d^2 (projections and MLP)
    plus 4*n^2*d (attention), n=1500 positions. Decoder per token and beam: per layer 28*d^2
    (self and cross projections, MLP) plus 4*1500*d (cross attention), and the 2*d*vocab
    logits; cross-attention keys and values once per window (4*n*d^2 per layer). Tokens are
    counted from the transcript: 1.3 per word plus two timestamps per segment. Word alignment,
    temperature fallbacks and the padding of the last window are not counted: a floor.
    """
    n, d, layers, mels = dims["n_audio_ctx"], dims["n_audio_state"], dims["n_audio_layer"], dims["n_mels"]
    td, tl, vocab = dims["n_text_state"], dims["n_text_layer"], dims["n_vocab"]
    encoder = 2 * mels * d * 3 * 2 * n + 2 * d * d * 3 * n + layers * (24 * n * d * d + 4 * n * n * d) + tl * 4 * n * td * td
    per_token = tl * (28 * td * td + 4 * n * td) + 2 * td * vocab
    flops, speech = 0.0, 0.0
    for path in records_dir.glob("*.json"):
        record = json.loads(path.read_text())
        for channel in record["asr"]["channels"]:
            speech += channel["vad"]["speech_s"]
            flops += encoder * channel["vad"]["speech_s"] / 30  # whole windows would only add padding
        words = sum(len(s["words"]) or len(s["text"].split()) for s in record["transcript"])
        flops += per_token * BEAM * (1.3 * words + 2 * len(record["transcript"]))
    return flops, speech


def matmul_flops_per_s(size: int = 2048, repeats: int = 8) -> float:
    """float32 GEMM on every core (numpy's BLAS threads): what the machine delivers at best."""
    import numpy as np

    a = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)
    a @ a  # warm the BLAS threads
    started = time.perf_counter()
    for _ in range(repeats):
        a @ a
    return 2 * size**3 * repeats / (time.perf_counter() - started)


def tiny_dims(work_dir: str) -> dict:
    import torch

    from callqa.speech.asr import openai_checkpoint_path
    from models.registry import resolve_whisper

    checkpoint = openai_checkpoint_path(resolve_whisper("tiny.en", Path(work_dir) / "models"), Path(work_dir))
    return dict(torch.load(checkpoint, map_location="cpu", mmap=True, weights_only=False)["dims"])


def row(r: dict, ref: dict | None = None) -> str:
    ratio = f"{r['xrt'] / ref['xrt']:.2f}x" if ref else "1"
    return (f"| {r['name']} | {r['calls']} | {r['audio_s'] / 60:.1f} | {r['wall_s']:.0f} | {r['xrt']:.1f} | "
            f"{r['xrt'] / os.cpu_count():.1f} | {ratio} | {r['wer']:.3f} | {r['peak_rss_mb']:.0f} |")


def gate_alone_s(samples: list[Sample], repeats: int = 3) -> float:
    """Seconds gate_echo takes on the stereo recordings (both channels), best of `repeats`."""
    from callqa.settings import Settings
    from callqa.speech.audio import decode_blocks
    from callqa.speech.crosstalk import gate_echo

    settings = Settings()
    blocks = [block for s in samples for block in decode_blocks(s.audio, True)]
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        for block in blocks:
            gate_echo(block[0], block[1], settings)
            gate_echo(block[1], block[0], settings)
        best = min(best, time.perf_counter() - started)
    return best


def paired_in_process(samples: list[Sample], work_dir: str) -> tuple[float, float]:
    """(seconds with the gate, seconds without) of transcribe_call in this process, each call
    decoded gate on, off, off, on in a row: a drift in the machine's load falls on both within
    seconds, not minutes apart as between whole `callqa score` runs."""
    from dataclasses import replace

    from callqa.env import configure_offline
    from callqa.settings import Settings
    from callqa.speech.transcription import transcribe_call

    configure_offline(Path(work_dir))
    on = Settings(work_dir=Path(work_dir))
    off = replace(on, crosstalk_gate=False)
    transcribe_call(samples[0].audio, on)  # load the model before timing
    spent = {True: 0.0, False: 0.0}
    for s in samples:
        for gate in (True, False, False, True):
            started = time.perf_counter()
            transcribe_call(s.audio, on if gate else off)
            spent[gate] += time.perf_counter() - started
    return spent[True], spent[False]


def stereo_gate(args: argparse.Namespace) -> None:
    """The crosstalk gate's cost on stereo throughput: the same stereo batch, gate on and off."""
    copies = args.copies or 1
    stereo = [s for s in bundled_samples() if s.layout.startswith("stereo")]
    print(f"before: {load_line()}")
    runs: dict[str, list[dict]] = {"on": [], "off": []}
    if args.paired_only:
        stereo = stereo[::2]  # 5 of the 10: four decodes of each
        on_s, off_s = paired_in_process(stereo, args.work_dir)
        audio = 2 * sum(s.duration_s for s in stereo)
        print(f"in process, each call gate on/off/off/on: {len(stereo)} calls, {audio / 60:.1f} audio min per setting; "
              f"gate on {on_s:.0f} s, off {off_s:.0f} s; throughput with / without {off_s / on_s:.3f}")
        print(f"RESULT paired_gate_ratio={off_s / on_s:.3f} on_s={on_s:.1f} off_s={off_s:.1f} calls={len(stereo)} after: {load_line()}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        batch = build_batch(Path(tmp) / "batch", copies, stereo)
        off_config = Path(tmp) / "gate_off.yaml"
        off_config.write_text("crosstalk_gate: false\n")
        print(f"batch: {len(batch)} stereo calls ({sum(s.duration_s for s in batch.values()) / 60:.1f} audio min)", flush=True)
        # The first run of a session pays for cold disk caches and the first Prefect start (73 s
        # against 48 s for the same setting later): a run that is not counted takes that cost.
        warm = run_pipeline(Path(tmp) / "batch", Path(tmp) / "warm", batch, args.work_dir, [])
        print(f"  warm-up (not counted): {warm['wall_s']:.0f} s", flush=True)
        for n, gate in enumerate(("on", "off", "off", "on")):
            extra = [] if gate == "on" else ["--config", str(off_config)]
            found = run_pipeline(Path(tmp) / "batch", Path(tmp) / f"out{n}", batch, args.work_dir, extra)
            runs[gate].append(found)
            print(f"  done: gate {gate}: {found['wall_s']:.0f} s, {found['xrt']:.1f}x real time, WER {found['wer']:.3f}", flush=True)
    gate_s = gate_alone_s(stereo)
    print(f"after: {load_line()}\n")
    audio_s = sum(s.duration_s for s in batch.values())
    wall = {gate: sum(r["wall_s"] for r in found) for gate, found in runs.items()}
    ratio = wall["off"] / wall["on"]  # rate with the gate over rate without
    print("| gate | runs | audio min per run | wall s per run | x real time | WER |")
    print("|---|---|---|---|---|---|")
    for gate, found in runs.items():
        walls = " + ".join(f"{r['wall_s']:.0f}" for r in found)
        print(f"| {gate} | {len(found)} | {audio_s / 60:.1f} | {walls} | "
              f"{2 * audio_s / wall[gate]:.1f} | {found[0]['wer']:.3f} |")
    stereo_audio = sum(s.duration_s for s in stereo)
    per_run_gate_s = gate_s * copies
    print(f"\nstereo throughput with the gate / without: {ratio:.3f} ({(1 - ratio):+.1%} slower; the bar: at most 10 %)")
    print(f"gate_echo alone: {gate_s:.2f} s for {stereo_audio / 60:.1f} audio min (both channels), "
          f"{per_run_gate_s / (wall['on'] / 2):.2%} of a gate-on run's wall time")
    print(f"RESULT stereo_gate_ratio={ratio:.3f} gate_on_xrt={2 * audio_s / wall['on']:.2f} gate_off_xrt={2 * audio_s / wall['off']:.2f} "
          f"gate_alone_s={gate_s:.3f} gate_share_of_wall={per_run_gate_s / (wall['on'] / 2):.4f} calls={len(batch)} runs=4")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="12 calls, baselines on 4 recordings")
    parser.add_argument("--copies", type=int, help="copies of each bundled call (default 3; 1 with --quick)")
    parser.add_argument("--work-dir", default=str(ROOT / ".callqa"))
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--stereo-gate", action="store_true", help="only: stereo calls with the crosstalk gate on vs off, and the ratio")
    parser.add_argument("--paired-only", action="store_true", help="with --stereo-gate: only the in-process paired timing (faster, less noisy)")
    args = parser.parse_args()
    if args.child:
        kind, payload = args.child[0], json.loads(args.child[1])
        from callqa.env import configure_offline

        configure_offline(Path(payload["work_dir"]))
        body = plain_openai_whisper if kind == "openai-whisper" else plain_faster_whisper
        print(json.dumps(body(payload["paths"], payload["work_dir"])))
        return
    if args.stereo_gate:
        stereo_gate(args)
        return

    copies = args.copies or (1 if args.quick else 3)
    samples = bundled_samples()
    baseline_samples = samples[:: 3] if args.quick else samples
    print(f"before: {load_line()}")
    with tempfile.TemporaryDirectory() as tmp:
        batch = build_batch(Path(tmp) / "batch", copies)
        print(f"batch: {len(batch)} calls ({sum(s.duration_s for s in batch.values()) / 60:.1f} audio min); "
              f"baselines on {len(baseline_samples)} distinct recordings", flush=True)
        pipeline = run_pipeline(Path(tmp) / "batch", Path(tmp) / "out", batch, args.work_dir)
        print(f"  done: pipeline {pipeline['xrt']:.1f}x ({pipeline['summary']})", flush=True)
        openai = run_baseline("openai-whisper", baseline_samples, args.work_dir)
        print(f"  done: openai-whisper {openai['xrt']:.1f}x", flush=True)
        faster = run_baseline("faster-whisper", baseline_samples, args.work_dir)
        print(f"  done: faster-whisper {faster['xrt']:.1f}x", flush=True)
        flops, speech_s = whisper_flops(Path(tmp) / "out" / "records", tiny_dims(args.work_dir))
    peak = matmul_flops_per_s()
    print(f"after: {load_line()}\n")

    print("| run | calls | audio min | wall s | x real time (audio h per wall h) | per core | vs openai-whisper | WER | peak RSS MB per worker |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(row(openai))
    print(row(faster, openai))
    print(row(pipeline, openai))
    vs_openai, vs_faster = pipeline["xrt"] / openai["xrt"], pipeline["xrt"] / faster["xrt"]
    print(f"\npipeline: {pipeline['workers']} workers, flow process peak {pipeline['main_rss_mb']:.0f} MB; "
          f"{vs_openai:.2f}x plain openai-whisper (target 5x), {vs_faster:.2f}x plain faster-whisper (target 1.3x)")

    floor_s = flops / peak
    floor_xrt = pipeline["audio_s"] / floor_s
    print("\n| compute floor | value |")
    print("|---|---|")
    print(f"| audio in the batch / speech Whisper saw (both channels) | {pipeline['audio_s'] / 60:.1f} min / {speech_s / 60:.1f} min |")
    print(f"| tiny.en forward FLOPs for it (encoder + beam-{BEAM} decoder) | {flops / 1e12:.2f} TFLOP ({flops / pipeline['audio_s'] / 1e9:.2f} GFLOP per audio s) |")
    print(f"| float32 matmul on {os.cpu_count()} cores (numpy) | {peak / 1e9:.0f} GFLOP/s |")
    print(f"| floor: the FLOPs at matmul speed | {floor_s:.0f} s, {floor_xrt:.0f}x real time |")
    print(f"| pipeline | {pipeline['wall_s']:.0f} s, {pipeline['xrt']:.1f}x real time: {pipeline['xrt'] / floor_xrt:.1%} of the floor's speed |")
    print(
        f"RESULT xrt={pipeline['xrt']:.2f} vs_openai_whisper={vs_openai:.2f} vs_faster_whisper={vs_faster:.2f} "
        f"wer={pipeline['wer']:.3f} peak_rss_mb={pipeline['peak_rss_mb']:.0f} per_core_xrt={pipeline['xrt'] / os.cpu_count():.2f} "
        f"openai_whisper_wer={openai['wer']:.3f} faster_whisper_wer={faster['wer']:.3f} floor_xrt={floor_xrt:.0f} calls={len(batch)}"
    )


if __name__ == "__main__":
    main()
