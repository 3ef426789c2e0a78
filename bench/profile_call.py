"""Where the time of one call goes: cProfile over a warm call, end to end, on one worker.

Loads the models on a first call (not profiled), then profiles the next call through the same
steps the flow runs (probe + hash, decode + resample, VAD, each channel's ASR, guard and
speaker roles, analysis, record write) with the default settings on one thread, as each worker
runs it. Prints a table of inclusive times per stage and the top functions.

    .venv/bin/python bench/profile_call.py [CALL_ID]     # default: a stereo bundled call
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, bundled_samples  # noqa: E402

# (label, pstats key fragments: file suffix, function name); inclusive time of the first match
STAGES = [
    ("probe + sha256", ("callqa/audio.py", "probe")),
    ("decode + resample (PyAV)", ("callqa/audio.py", "decode_blocks")),
    ("  of which resample", ("~", "<method 'resample' of 'av.audio.resampler.AudioResampler' objects>")),
    ("VAD: Silero", ("faster_whisper/vad.py", "get_speech_timestamps")),
    ("gc after decode", ("~", "<built-in method gc.collect>")),
    ("VAD: energy check", ("callqa/vad.py", "voiced_frames")),
    ("ASR (both channels)", ("callqa/asr.py", "transcribe")),
    ("  log-mel features", ("faster_whisper/feature_extractor.py", "__call__")),
    ("  encoder (CTranslate2)", ("~", "<built-in method ctranslate2._ext.encode>")),
    ("  beam search decode (CTranslate2)", ("faster_whisper/transcribe.py", "generate_with_fallback")),
    ("  word timestamps (CTranslate2 align)", ("~", "<built-in method ctranslate2._ext.align>")),
    ("guard + time mapping", ("callqa/guard.py", "why_drop")),
    ("speaker roles", ("nlp/roles.py", "choose_agent_channel")),
    ("analysis (spaCy parse, rules, embeddings, sentiment)", ("nlp/analyse.py", "analyse")),
    ("record build + atomic write", ("callqa/record.py", "write_record")),
]


def _inclusive(stats: pstats.Stats, fragment: tuple[str, str]) -> tuple[float, int]:
    suffix, name = fragment
    total, calls = 0.0, 0
    for (file, _line, func), (_cc, nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if func == name and (file == suffix or file.endswith(suffix)):
            total += ct
            calls += nc
    return total, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("call_id", nargs="?", default="telecom_upsell_ethical")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()

    from callqa.env import configure_offline

    configure_offline(ROOT / ".callqa")
    from callqa.speech.asr import load_backend
    from callqa.parallel import configure_threads
    from callqa.metadata import CallMetadata
    from callqa.record import write_record
    from flows.call import scored_record
    from callqa.settings import Settings
    from callqa.speech.transcription import transcribe_call
    from nlp.analyse import AnalysisSettings, analyse
    from nlp.policy import cached_policy

    samples = {s.call_id: s for s in bundled_samples()}
    sample = samples[args.call_id]
    settings = Settings(work_dir=ROOT / ".callqa", workers=2, threads=1)
    configure_threads(1)
    policy = cached_policy(None)

    def one_call(path: Path, out: Path) -> None:
        result = transcribe_call(path, settings)
        analysis = analyse(result.transcript, AnalysisSettings(policy, None))
        write_record(out, scored_record(result, settings, analysis, "profile", CallMetadata()))

    # ASR per channel, timed around the backend call (cProfile sums both channels).
    backend = load_backend(settings)
    per_channel: list[float] = []
    untimed = backend.transcribe

    def timed(audio, s):  # noqa: ANN001, ANN202
        started = time.perf_counter()
        try:
            return untimed(audio, s)
        finally:
            per_channel.append(time.perf_counter() - started)

    backend.transcribe = timed  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as out:
        warm = next(s for s in samples.values() if s.call_id != sample.call_id)
        one_call(warm.audio, Path(out))  # loads Whisper, Silero, spaCy, the embedding model
        per_channel.clear()
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        one_call(sample.audio, Path(out))
        profiler.disable()
        wall = time.perf_counter() - started
    stats = pstats.Stats(profiler)

    print(f"{sample.call_id}: {sample.duration_s:.0f} s, {sample.layout}; one warm call on 1 thread, {wall:.2f} s wall "
          f"({sample.duration_s / wall:.1f}x real time; profiling overhead included)\n")
    print("| stage | seconds | share | calls |")
    print("|---|---|---|---|")
    for label, fragment in STAGES:
        seconds, calls = _inclusive(stats, fragment)
        print(f"| {label} | {seconds:.3f} | {seconds / wall:.0%} | {calls} |")
    for i, seconds in enumerate(per_channel):
        print(f"| ASR channel {i + 1} | {seconds:.3f} | {seconds / wall:.0%} | 1 |")
    print()
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
