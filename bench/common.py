"""Helpers shared by the benchmarks: bundled samples with their reference text, WER, peak RSS."""

from __future__ import annotations

import json
import resource
from dataclasses import dataclass
from pathlib import Path

import jiwer
from whisper.normalizers import EnglishTextNormalizer

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "audio_samples"
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg")
# Whisper's own English normaliser: "forty five dollars" and "$45" compare equal, as they
# should when judging recognition rather than formatting.
_normalise = EnglishTextNormalizer()


@dataclass(frozen=True)
class Sample:
    call_id: str
    audio: Path
    reference: str  # every turn's text in time order
    duration_s: float
    layout: str


def bundled_samples() -> list[Sample]:
    samples = []
    for labels in sorted(SAMPLES.glob("*.labels.json")):
        data = json.loads(labels.read_text())
        call_id = data["call_id"]
        audio = next((p for p in SAMPLES.glob(f"{call_id}.*") if p.suffix in AUDIO_SUFFIXES), None)
        if audio is None:
            continue
        turns = sorted(data["transcript"], key=lambda t: t["start"])
        speakers = data.get("speakers") or {}
        layout = "mono" if speakers.get("method") == "text" else f"stereo/agent-{speakers.get('agent_channel')}"
        samples.append(Sample(call_id, audio, " ".join(t["text"] for t in turns), float(data["audio"]["duration_s"]), layout))
    return samples


def wer(references: list[str], hypotheses: list[str]) -> float:
    refs = [_normalise(r) for r in references]
    hyps = [_normalise(h) for h in hypotheses]
    return float(jiwer.wer(refs, hyps))


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_batch(folder: Path, copies: int, samples: list[Sample] | None = None) -> dict[str, Sample]:
    """A batch of `copies` copies of each bundled call, with distinct names: call_id -> its sample.
    Copies, not symlinks: discovery resolves links, and a linked file is one call."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    batch: dict[str, Sample] = {}
    for k in range(copies):
        for sample in samples or bundled_samples():
            call_id = f"{sample.call_id}-{k:02d}"
            shutil.copyfile(sample.audio, folder / f"{call_id}{sample.audio.suffix}")
            batch[call_id] = sample
    return batch


@dataclass(frozen=True)
class Monitored:
    wall_s: float
    returncode: int
    stdout: str
    stderr: str
    peak_rss_mb: dict[str, float]  # "main" and one entry per child process that ran


def run_monitored(cmd: list[str], env: dict[str, str], cwd: Path = ROOT, every_s: float = 0.25) -> Monitored:
    """Run cmd, sampling the RSS of it and every process under it: peak per process."""
    import subprocess
    import time

    import psutil

    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peaks: dict[int, float] = {}
    names: dict[int, str] = {}
    root = psutil.Process(proc.pid)
    import threading

    out: dict[str, str] = {}

    def drain(stream, key: str) -> None:  # noqa: ANN001
        out[key] = stream.read()

    readers = [threading.Thread(target=drain, args=(proc.stdout, "stdout")), threading.Thread(target=drain, args=(proc.stderr, "stderr"))]
    for r in readers:
        r.start()
    while proc.poll() is None:
        try:
            family = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for p in family:
            try:
                rss = p.memory_info().rss / 2**20
            except psutil.Error:
                continue
            peaks[p.pid] = max(peaks.get(p.pid, 0.0), rss)
            if p.pid not in names:
                names[p.pid] = "main" if p.pid == proc.pid else _kind(p)
        time.sleep(every_s)
    proc.wait()
    for r in readers:
        r.join()
    wall = time.perf_counter() - started
    return Monitored(wall, proc.returncode, out.get("stdout", ""), out.get("stderr", ""), {names[pid]: mb for pid, mb in peaks.items()})


def _kind(process) -> str:  # noqa: ANN001
    """worker-<pid> for a callqa / Dask worker process, other-<pid> for the rest (Prefect's server, trackers)."""
    import psutil

    try:
        cmdline = " ".join(process.cmdline())
    except psutil.Error:
        cmdline = ""
    worker = "spawn_main" in cmdline and "resource_tracker" not in cmdline
    return f"{'worker' if worker else 'other'}-{process.pid}"


def record_texts(records_dir: Path) -> dict[str, str]:
    """call_id -> the record's transcript text in time order (scored records only)."""
    texts = {}
    for path in sorted(records_dir.glob("*.json")):
        record = json.loads(path.read_text())
        if record["status"] == "scored":
            segments = sorted(record["transcript"], key=lambda s: s["start"])
            texts[record["call_id"]] = " ".join(s["text"] for s in segments)
    return texts


def load_line() -> str:
    import os

    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min) on {os.cpu_count()} cores"
