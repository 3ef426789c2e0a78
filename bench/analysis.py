"""Analysis speed and model load time against issue 11's targets (analysis of a 10-minute call
<= 1.0 s once the models are loaded; loading <= 5 s).

Builds a ~10-minute transcript from the bundled calls' labelled transcripts laid end to end. Each
measurement runs in a fresh process (a "worker" of this script): it times the loading of every
model the analysis uses (imports, spaCy, MiniLM, turn acts, need model and exemplars, sentiment),
then `nlp.analyse.analyse` over several runs of the 10-minute call, in wall and CPU seconds.
The embedding memo is cleared before each run, so a run gains only from the sentences repeated
within the call, not from the previous run of the same transcript.

Other work shares this 2-core machine, so absolute times drift: with `--baseline DIR` (another
checkout, e.g. `git worktree add /tmp/base main`) the two checkouts are measured alternately,
round by round, and the report gives the ratio per round (CPU time is steadier than wall time
when the machine is busy). Finally one bundled recording's transcription is compared with its
analysis, to show where a call's time goes (`--no-transcription` skips it).

    PYTHONPATH=. .venv/bin/python bench/analysis.py [--baseline DIR] [--rounds 3] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()
HERE = Path(__file__).resolve().parents[1]

TARGET_S = 1.0  # issue 11: a 10-minute call's analysis once the models are loaded
LOAD_TARGET_S = 5.0  # issue 11: loading the analysis models


def ten_minute_transcript():
    from bench.common import SAMPLES
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


def _load_models(lap) -> None:
    """Everything the analysis loads before its first call, stage by stage, in the order a worker meets it."""
    from callqa.env import configure_offline
    from callqa.settings import Settings

    configure_offline(Settings().work_dir)
    lap("python start, callqa settings")
    import nlp.analyse  # noqa: F401
    from nlp.policy import load_policy

    lap("import nlp.analyse (spaCy, thinc, torch)")
    from nlp.parse import load_pipeline

    load_pipeline()
    lap("spaCy pipeline")
    from models.embeddings import load_embedder

    load_embedder()
    lap("MiniLM (ONNX Runtime session + tokenizer)")
    from nlp.acts import shipped as turn_acts
    from nlp.need_model import shipped as need_model

    turn_acts(), need_model()
    lap("turn-act and need models (numpy weights)")
    from nlp.need import need_model as exemplars

    exemplars(load_policy())
    lap("need exemplars (embedded)")
    from nlp.sentiment_rules import SentimentConfig
    from nlp.sentiment_scorers import make_scorer

    make_scorer(SentimentConfig())
    lap("sentiment (VADER + anchors embedded)")


def worker(runs: int, transcription: bool) -> dict:
    """One fresh process's figures (printed as JSON by --worker)."""
    stages: dict[str, tuple[float, float]] = {}  # wall, CPU seconds
    mark = [STARTED, 0.0]

    def lap(name: str) -> None:
        now, cpu_now = time.perf_counter(), time.process_time()
        stages[name] = (round(now - mark[0], 3), round(cpu_now - mark[1], 3))
        mark[:] = [now, cpu_now]

    _load_models(lap)
    load_s, load_cpu_s = time.perf_counter() - STARTED, time.process_time()  # CPU since the process started
    import models.embeddings as embeddings
    from nlp.analyse import AnalysisSettings, analyse
    from nlp.policy import load_policy

    settings = AnalysisSettings(load_policy())
    transcript, seconds = ten_minute_transcript()
    forget = getattr(embeddings, "configure_memo", lambda: None)  # a checkout without the memo has nothing to forget
    forget()
    started = time.perf_counter()
    result = analyse(transcript, settings)
    first_s = time.perf_counter() - started
    wall, cpu = [], []
    for _ in range(runs):
        forget()
        started, cpu_started = time.perf_counter(), time.process_time()
        result = analyse(transcript, settings)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    out = {
        "load_s": round(load_s, 3), "load_cpu_s": round(load_cpu_s, 3), "load_stages": stages, "first_call_s": round(first_s, 3), "wall": wall, "cpu": cpu,
        "segments": len(transcript.segments), "minutes": round(seconds / 60, 1), "offers": len(result.offers), "flags": len(result.flags),
        "memo": getattr(embeddings, "memo_counts", dict)(),
    }
    if transcription:
        out["transcription"] = _transcription_vs_analysis(settings)
    return out


def _transcription_vs_analysis(analysis_settings) -> dict:
    from bench.common import bundled_samples
    from callqa.settings import Settings
    from callqa.speech.transcription import transcribe_call
    from nlp.analyse import analyse

    sample = bundled_samples()[0]
    started = time.perf_counter()
    call = transcribe_call(sample.audio, Settings())
    transcription_s = time.perf_counter() - started
    started = time.perf_counter()
    analyse(call.transcript, analysis_settings)
    analysis_s = time.perf_counter() - started
    return {"call_id": sample.call_id, "duration_s": sample.duration_s, "transcription_s": transcription_s, "analysis_s": analysis_s}


def _measure(tree: Path, runs: int, transcription: bool) -> dict:
    """This script's worker over the code of `tree`, in a fresh process."""
    args = [sys.executable, str(Path(__file__).resolve()), "--worker", str(tree), "--runs", str(runs)]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(args + (["--transcription"] if transcription else []), env=env, cwd=tree, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"worker over {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path, help="another checkout, measured alternately with this one")
    parser.add_argument("--rounds", type=int, default=3, help="fresh processes per checkout")
    parser.add_argument("--runs", type=int, default=3, help="timed analyses of the 10-minute call per process")
    parser.add_argument("--no-transcription", action="store_true")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--transcription", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, str(args.worker))
        print(json.dumps(worker(args.runs, args.transcription)))
        return

    trees = {"this": HERE} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    results: dict[str, list[dict]] = {name: [] for name in trees}
    for r in range(args.rounds):
        for name, tree in (trees.items() if r % 2 == 0 else reversed(trees.items())):  # alternate who goes first
            last = r == args.rounds - 1 and name == "this" and not args.no_transcription
            results[name].append(_measure(tree, args.runs, last))
    for name, rs in results.items():
        wall = _median([t for x in rs for t in x["wall"]])
        cpu = _median([t for x in rs for t in x["cpu"]])
        load = _median([x["load_s"] for x in rs])
        load_cpu = _median([x["load_cpu_s"] for x in rs])
        print(f"[{name}] {trees[name]}: {rs[0]['segments']} segments, {rs[0]['minutes']} min, {rs[0]['offers']} offers, {rs[0]['flags']} flags; "
              f"{len(rs)} processes x {args.runs} runs; memo {rs[-1]['memo'] or 'none'}")
        print(f"  analysis after loading: median {wall:.3f} s wall, {cpu:.3f} s CPU (target {TARGET_S} s)")
        print(f"  model load (fresh process to every analysis model loaded): median {load:.2f} s wall, {load_cpu:.2f} s CPU (target {LOAD_TARGET_S} s); first call {_median([x['first_call_s'] for x in rs]):.2f} s")
        for stage in rs[0]["load_stages"]:
            print(f"    {stage:50s} {_median([x['load_stages'][stage][0] for x in rs]):6.2f} s wall {_median([x['load_stages'][stage][1] for x in rs]):6.2f} s CPU")
    if args.baseline:
        this, base = results["this"], results["baseline"]
        per_round = {
            key: [_median(b[key]) / _median(t[key]) for t, b in zip(this, base)] for key in ("wall", "cpu")
        }
        load_ratio = [b["load_s"] / t["load_s"] for t, b in zip(this, base)]
        for key, ratios in per_round.items():
            print(f"speed-up of analysis ({key}), baseline / this, per round: {', '.join(f'{x:.2f}' for x in ratios)} (median {_median(ratios):.2f})")
        print(f"speed-up of loading, baseline / this, per round: {', '.join(f'{x:.2f}' for x in load_ratio)} (median {_median(load_ratio):.2f})")
    this = results["this"]
    wall = _median([t for x in this for t in x["wall"]])
    cpu = _median([t for x in this for t in x["cpu"]])
    load = _median([x["load_s"] for x in this])
    load_cpu = _median([x["load_cpu_s"] for x in this])
    line = (f"RESULT analysis_10min_s={wall:.3f} analysis_10min_cpu_s={cpu:.3f} target_s={TARGET_S} headroom={TARGET_S / wall:.2f} "
            f"load_s={load:.2f} load_cpu_s={load_cpu:.2f} load_target_s={LOAD_TARGET_S}")
    if "transcription" in this[-1]:
        t = this[-1]["transcription"]
        print(f"one call ({t['call_id']}, {t['duration_s']:.0f} s): transcription {t['transcription_s']:.2f} s, analysis {t['analysis_s']:.2f} s "
              f"-> transcription is {t['transcription_s'] / t['analysis_s']:.1f}x the analysis")
        line += f" transcription_over_analysis={t['transcription_s'] / t['analysis_s']:.2f}"
    if args.baseline:
        line += f" speedup_wall={_median(per_round['wall']):.2f} speedup_cpu={_median(per_round['cpu']):.2f} speedup_load={_median(load_ratio):.2f}"
    print(line)


if __name__ == "__main__":
    main()
