"""Transcription benchmark: speed, memory and accuracy of each backend/model/VAD/thread setting.

Every configuration runs in its own process (so peak RSS is its own and models do not share
caches), over the same bundled calls, in one run, so the ratios compare like with like on a
machine whose speed drifts. Prints a table, the ratio of each row to openai-whisper with the
same model and threads, an end-to-end run of the default settings through the Prefect flow,
and one machine-readable RESULT line.

    .venv/bin/python bench/transcribe.py            # 4 calls, one of each layout (~25 min)
    .venv/bin/python bench/transcribe.py --all      # every bundled call
    .venv/bin/python bench/transcribe.py --quick    # default model only, both backends
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, bundled_samples, peak_rss_mb, wer  # noqa: E402

DEFAULT = {"backend": "faster-whisper", "model": "tiny.en", "vad": True, "threads": 2}


def run_config(config: dict, call_ids: list[str], work_dir: str) -> dict:
    """Child process body: load once, warm up, transcribe every call, report."""
    from callqa.env import configure_offline
    from callqa.settings import Settings
    from callqa.speech.transcription import transcribe_call

    configure_offline(Path(work_dir))
    samples = [s for s in bundled_samples() if s.call_id in call_ids]
    settings = Settings(
        backend=config["backend"],
        model=config["model"],
        compute_type="int8" if config["backend"] == "faster-whisper" else "float32",
        vad=config["vad"],
        threads=config["threads"],
        work_dir=Path(work_dir),
    )
    load_started = time.perf_counter()
    # Warm-up (model load, converter cache, numba JIT of openai-whisper's DTW) is not timed.
    transcribe_call(samples[0].audio, settings)
    load_s = time.perf_counter() - load_started
    hyps, audio_s, wall_s = [], 0.0, 0.0
    for sample in samples:
        started = time.perf_counter()
        result = transcribe_call(sample.audio, settings)
        wall_s += time.perf_counter() - started
        audio_s += result.audio.duration_s
        hyps.append(" ".join(s.text for s in result.transcript.segments))
    return {
        **config,
        "audio_s": audio_s,
        "wall_s": wall_s,
        "xrt": audio_s / wall_s,
        "wer": wer([s.reference for s in samples], hyps),
        "peak_rss_mb": peak_rss_mb(),
        "warmup_s": load_s,
    }


def run_flow_once(call_id: str, warmup_id: str, work_dir: str) -> dict:
    """Child process body: the default settings end to end through `callqa score` on one call.

    Cold: a fresh process scoring its first call (Prefect's ephemeral server, Whisper, spaCy and
    the embedding model all start). Warm: the next call in the same process, which is what each
    call of a batch costs.
    """
    os.environ["PREFECT_TASKS_REFRESH_CACHE"] = "true"  # time the work, not a cache hit
    from callqa.env import configure_offline

    configure_offline(Path(work_dir))
    from callqa.settings import Settings
    from flows.score import score_calls

    samples = {s.call_id: s for s in bundled_samples()}
    settings = Settings(work_dir=Path(work_dir), threads=2)
    timings = {}
    for label, sample in (("cold", samples[warmup_id]), ("warm", samples[call_id])):
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            summary = score_calls([sample.audio], Path(out), settings)
            wall = time.perf_counter() - started
        if summary.scored != 1:
            raise RuntimeError(f"{sample.call_id} was not scored: {summary.failures}")
        timings[label] = {"call_id": sample.call_id, "audio_s": sample.duration_s, "wall_s": wall, "xrt": sample.duration_s / wall}
    return timings


def child(kind: str, payload: dict) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, json.dumps(payload)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "OMP_NUM_THREADS": str(payload.get("config", {}).get("threads", 2))},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} {payload} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--all", action="store_true", help="every bundled call, not one of each layout")
    parser.add_argument("--quick", action="store_true", help="tiny.en only, VAD on, 2 threads, both backends")
    parser.add_argument("--work-dir", default=str(ROOT / ".callqa"))
    parser.add_argument("--only", action="append", default=[], metavar="BACKEND/MODEL[/on|off]",
                        help="run only these rows of the grid (repeatable), e.g. openai-whisper/base/on")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, payload = args.child[0], json.loads(args.child[1])
        if kind == "config":
            out = run_config(payload["config"], payload["calls"], payload["work_dir"])
        else:
            out = run_flow_once(payload["call_id"], payload["warmup_id"], payload["work_dir"])
        print(json.dumps(out))
        return

    samples = bundled_samples()
    if not args.all:
        by_layout: dict[str, object] = {}
        for s in samples:
            by_layout.setdefault(s.layout, s)
        # one of each layout, topped up to four calls
        chosen = list(by_layout.values()) + [s for s in samples if s not in by_layout.values()]
        samples = chosen[:4]
    calls = [s.call_id for s in samples]
    print(f"calls: {', '.join(calls)} ({sum(s.duration_s for s in samples):.0f} s of audio)")

    if args.quick:
        grid = [(b, "tiny.en", True, 2) for b in ("faster-whisper", "openai-whisper")]
    else:
        grid = list(itertools.product(("faster-whisper", "openai-whisper"), ("tiny.en", "base"), (True, False), (1, 2)))
    if args.only:
        wanted = [tuple(o.split("/")) for o in args.only]
        grid = [g for g in grid if any(w[0] == g[0] and w[1] == g[1] and (len(w) < 3 or (w[2] == "on") == g[2]) for w in wanted)]
    rows = []
    for backend, model, vad, threads in grid:
        config = {"backend": backend, "model": model, "vad": vad, "threads": threads}
        row = child("config", {"config": config, "calls": calls, "work_dir": args.work_dir})
        rows.append(row)
        print(f"  done: {backend} {model} vad={vad} threads={threads}: {row['xrt']:.1f}x, WER {row['wer']:.3f}", flush=True)

    def reference(row: dict) -> dict | None:
        return next((r for r in rows if r["backend"] == "openai-whisper" and r["model"] == row["model"] and r["vad"] == row["vad"] and r["threads"] == row["threads"]), None)

    print()
    print("| backend | model | VAD | threads | x real time | vs openai-whisper | WER | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        ref = reference(r)
        ratio = f"{r['xrt'] / ref['xrt']:.2f}x" if ref else "-"
        print(f"| {r['backend']} | {r['model']} | {'on' if r['vad'] else 'off'} | {r['threads']} | {r['xrt']:.1f} | {ratio} | {r['wer']:.3f} | {r['peak_rss_mb']:.0f} |")

    flow = child("flow", {"call_id": calls[0], "warmup_id": calls[1], "work_dir": args.work_dir})
    cold, warm = flow["cold"], flow["warm"]
    print(
        f"\nend to end through the flow (default settings, 2 threads): {warm['call_id']} ({warm['audio_s']:.0f} s) "
        f"{warm['xrt']:.1f}x real time once the process is warm; its first call ({cold['call_id']}, {cold['audio_s']:.0f} s, "
        f"with Prefect and every model starting) {cold['xrt']:.1f}x"
    )

    best = next((r for r in rows if all(r[k] == v for k, v in DEFAULT.items())), None)
    if best is None:
        return
    ref = reference(best)
    print(
        f"RESULT backend={best['backend']} model={best['model']} xrt={best['xrt']:.2f} wer={best['wer']:.3f} "
        f"peak_rss_mb={best['peak_rss_mb']:.0f} vs_openai_whisper={(best['xrt'] / ref['xrt']) if ref else float('nan'):.2f} "
        f"flow_xrt={warm['xrt']:.2f} flow_cold_xrt={cold['xrt']:.2f}"
    )


if __name__ == "__main__":
    main()
