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
