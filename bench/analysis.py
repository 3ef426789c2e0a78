"""Analysis speed: a 10-minute call through every NLP stage, after the models are loaded.

Builds a ~10-minute transcript from the bundled calls' labelled transcripts laid end to end,
warms the models up once (spaCy, embeddings, sentiment), then times `nlp.analyse.analyse`
over several runs. Also compares, on one bundled recording, the time transcription takes with
the time analysis takes, to show where a call's time goes.

    .venv/bin/python bench/analysis.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import SAMPLES, bundled_samples  # noqa: E402

TARGET_S = 2.0
RUNS = 5


def ten_minute_transcript():
    from nlp.transcript import Segment, Transcript

    segments, offset, n = [], 0.0, 0
    labels = sorted(SAMPLES.glob("*.labels.json"))
    while offset < 600:
        for path in labels:
            data = json.loads(path.read_text())
            for turn in data["transcript"]:
                n += 1
                channel = "left" if turn["speaker"] == "agent" else "right"
                segments.append(Segment(f"long-{channel}-{n:04d}", turn["speaker"], channel, offset + turn["start"], offset + turn["end"], turn["text"], 1.0))
            offset += data["audio"]["duration_s"] + 1.0
            if offset >= 600:
                break
    return Transcript.merged("long", segments), offset


def main() -> None:
    from callqa.env import configure_offline
    from callqa.settings import Settings
    from callqa.speech.transcription import transcribe_call
    from nlp.analyse import AnalysisSettings, analyse
    from nlp.policy import load_policy

    settings = Settings()
    configure_offline(settings.work_dir)
    analysis_settings = AnalysisSettings(load_policy())
    transcript, seconds = ten_minute_transcript()
    started = time.perf_counter()
    analyse(transcript, analysis_settings)  # loads spaCy, embeddings, sentiment
    warmup = time.perf_counter() - started
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        result = analyse(transcript, analysis_settings)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    print(f"10-minute call: {len(transcript.segments)} segments, {seconds / 60:.1f} min, {len(result.offers)} offers, {len(result.flags)} flags")
    print(f"first run (model loading): {warmup:.2f} s")
    print(f"analysis after loading: median {median:.3f} s over {RUNS} runs (min {min(times):.3f}, max {max(times):.3f}); target {TARGET_S} s -> {TARGET_S / median:.1f}x under")

    sample = bundled_samples()[0]
    started = time.perf_counter()
    call = transcribe_call(sample.audio, settings)
    transcription_s = time.perf_counter() - started
    started = time.perf_counter()
    analyse(call.transcript, analysis_settings)
    analysis_s = time.perf_counter() - started
    print(
        f"one call ({sample.call_id}, {sample.duration_s:.0f} s): transcription {transcription_s:.2f} s, "
        f"analysis {analysis_s:.2f} s -> transcription is {transcription_s / analysis_s:.1f}x the analysis"
    )
    print(f"RESULT analysis_10min_s={median:.3f} target_s={TARGET_S} headroom={TARGET_S / median:.2f} transcription_over_analysis={transcription_s / analysis_s:.2f}")


if __name__ == "__main__":
    main()
