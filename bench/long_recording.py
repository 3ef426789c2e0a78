"""Long recordings: a two-hour stereo call streams through one worker in bounded memory.

Builds a recording of the requested length (default 2 h) from the bundled stereo calls laid end
to end with line-noise pauses between them, written block by block (the generator never holds
it whole either). Then, each in a fresh process so peak RSS is its own:

- worker: what one callqa worker does with it (default model, 1 thread): load the models on a
  short call, then transcribe, analyse and write the record of the long one; peak RSS before
  and after the long call;
- baseline: faster-whisper's decode_audio of the same file, the whole-file decode callqa used
  before (decode only: no VAD, no Whisper).

    .venv/bin/python bench/long_recording.py               # 2 hours (~15 min on 1 thread)
    .venv/bin/python bench/long_recording.py --hours 0.25  # a quick check
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, bundled_samples, peak_rss_mb  # noqa: E402

LIMIT_MB = 1536  # the budget per worker with the default model
SAMPLE_RATE = 16000


def build_recording(path: Path, hours: float) -> float:
    """Stereo 16 kHz FLAC of `hours`, the bundled stereo calls repeated with 2-8 s pauses."""
    import numpy as np
    import soundfile as sf

    from callqa.speech.audio import load_call_audio

    calls = [load_call_audio(s.audio) for s in bundled_samples() if s.layout.startswith("stereo")]
    rng = np.random.default_rng(0)
    target = int(hours * 3600 * SAMPLE_RATE)
    written = 0
    with sf.SoundFile(path, "w", samplerate=SAMPLE_RATE, channels=2, format="FLAC", subtype="PCM_16") as out:
        while written < target:
            for call in calls:
                pause = (rng.standard_normal((int(rng.uniform(2, 8) * SAMPLE_RATE), 2)) * 1e-3).astype(np.float32)
                for part in (np.stack(call.samples, axis=1), pause):
                    part = part[: target - written]
                    out.write(part)
                    written += len(part)
                if written >= target:
                    break
    return written / SAMPLE_RATE


def run_worker(path: str, work_dir: str) -> dict:
    """Child body: one worker's view of the long call."""
    from callqa.env import configure_offline

    configure_offline(Path(work_dir))
    from callqa.parallel import configure_threads

    configure_threads(1)
    from callqa.metadata import CallMetadata
    from callqa.record import write_record
    from flows.call import scored_record
    from callqa.settings import Settings
    from callqa.speech.transcription import transcribe_call
    from nlp.analyse import AnalysisSettings, analyse
    from nlp.policy import cached_policy

    settings = Settings(work_dir=Path(work_dir), workers=2, threads=1)
    policy = cached_policy(None)

    def score(audio: Path, out: Path) -> tuple[float, float]:
        started = time.perf_counter()
        result = transcribe_call(audio, settings)
        analysis = analyse(result.transcript, AnalysisSettings(policy, None))
        write_record(out, scored_record(result, settings, analysis, "bench", CallMetadata()))
        return result.audio.duration_s, time.perf_counter() - started

    with tempfile.TemporaryDirectory() as out:
        score(bundled_samples()[0].audio, Path(out))  # models loaded, as in a worker mid-batch
        warm_rss = peak_rss_mb()
        audio_s, wall_s = score(Path(path), Path(out))
        record = json.loads(next((Path(out) / "records").glob(f"{Path(path).stem}.json")).read_text())
    return {
        "audio_s": audio_s,
        "wall_s": wall_s,
        "warm_rss_mb": warm_rss,
        "peak_rss_mb": peak_rss_mb(),
        "segments": len(record["transcript"]),
        "offers": len(record["offers"]),
    }


def run_whole_decode(path: str) -> dict:
    from faster_whisper.audio import decode_audio

    started = time.perf_counter()
    left, _right = decode_audio(path, sampling_rate=SAMPLE_RATE, split_stereo=True)
    return {"audio_s": len(left) / SAMPLE_RATE, "wall_s": time.perf_counter() - started, "peak_rss_mb": peak_rss_mb()}


def child(kind: str, path: Path, work_dir: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path), "--work-dir", work_dir],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--work-dir", default=str(ROOT / ".callqa"))
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, path = args.child
        print(json.dumps(run_worker(path, args.work_dir) if kind == "worker" else run_whole_decode(path)))
        return

    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1, 5, 15 min) on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long_call.flac"
        seconds = build_recording(path, args.hours)
        print(f"built {path.name}: {seconds / 3600:.2f} h stereo, {path.stat().st_size / 1e6:.0f} MB FLAC")
        worker = child("worker", path, args.work_dir)
        whole = child("decode", path, args.work_dir)

    print()
    print("| run | audio h | wall s | x real time | peak RSS MB |")
    print("|---|---|---|---|---|")
    print(f"| callqa worker, models loaded, before the long call | | | | {worker['warm_rss_mb']:.0f} |")
    print(f"| callqa worker: transcribe + analyse + record of the long call | {worker['audio_s'] / 3600:.2f} | {worker['wall_s']:.0f} | "
          f"{worker['audio_s'] / worker['wall_s']:.1f} | {worker['peak_rss_mb']:.0f} |")
    print(f"| faster-whisper decode_audio of the whole file (decode only) | {whole['audio_s'] / 3600:.2f} | {whole['wall_s']:.0f} | "
          f"{whole['audio_s'] / whole['wall_s']:.0f} | {whole['peak_rss_mb']:.0f} |")
    print(f"\n{worker['segments']} segments, {worker['offers']} offers in the record; the long call added "
          f"{worker['peak_rss_mb'] - worker['warm_rss_mb']:.0f} MB to the worker's peak; budget {LIMIT_MB} MB "
          f"({'within' if worker['peak_rss_mb'] <= LIMIT_MB else 'OVER'})")
    print(
        f"RESULT hours={worker['audio_s'] / 3600:.2f} peak_rss_mb={worker['peak_rss_mb']:.0f} warm_rss_mb={worker['warm_rss_mb']:.0f} "
        f"limit_mb={LIMIT_MB} xrt={worker['audio_s'] / worker['wall_s']:.2f} whole_file_decode_rss_mb={whole['peak_rss_mb']:.0f}"
    )


if __name__ == "__main__":
    main()
