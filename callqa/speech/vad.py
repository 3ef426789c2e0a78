"""Voice activity: which parts of a channel hold speech, and how much speech the VAD kept.

Silero VAD (shipped inside faster-whisper's wheel) decides what Whisper sees. On 8 kHz
telephone audio its default threshold drops quiet caller speech, so each channel's result is
checked against a plain energy estimate of voiced time; when the VAD keeps too little of it,
the channel is run again at a lower threshold, and a channel that still falls short is
flagged in the record instead of silently losing what the caller said.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from faster_whisper.vad import VadOptions, get_speech_timestamps

from callqa.settings import Settings

SAMPLE_RATE = 16000
FRAME_S = 0.03
# Voiced by energy: this many dB above the channel's noise floor (its quietest 5% of frames;
# every call has pauses), and not absurdly quiet.
ENERGY_MARGIN_DB = 12.0
ENERGY_FLOOR_DBFS = -55.0


@dataclass(frozen=True)
class VadReport:
    threshold: float  # the threshold whose regions were used
    speech_s: float  # seconds the VAD kept
    energy_speech_s: float  # seconds voiced by energy
    coverage: float  # share of energy-voiced time inside kept regions (1.0 when nothing is voiced)
    low_coverage: bool
    retried: bool

    def to_dict(self) -> dict:
        return {
            "threshold": self.threshold,
            "speech_s": round(self.speech_s, 2),
            "energy_speech_s": round(self.energy_speech_s, 2),
            "coverage": round(self.coverage, 3),
            "low_coverage": self.low_coverage,
            "retried": self.retried,
        }


@dataclass(frozen=True)
class SpeechRegions:
    chunks: tuple[dict, ...]  # {"start": sample, "end": sample}, the shape faster-whisper's helpers take
    report: VadReport
    # voiced_frames of the same audio, which the hallucination guard reads too (not computed twice)
    voiced: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool), compare=False, repr=False)


def frame_energy_db(audio: np.ndarray) -> np.ndarray:
    """RMS level of each 30 ms frame in dBFS."""
    frame = int(SAMPLE_RATE * FRAME_S)
    n = len(audio) // frame
    if n == 0:
        return np.zeros(0)
    frames = audio[: n * frame].astype(np.float64).reshape(n, frame)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    return 20 * np.log10(rms + 1e-10)


def voiced_frames(audio: np.ndarray) -> np.ndarray:
    """Boolean per 30 ms frame: louder than the noise floor by a clear margin."""
    return voiced_from_db(frame_energy_db(audio))


def voiced_from_db(db: np.ndarray) -> np.ndarray:
    """voiced_frames from the frame levels already measured (frame_energy_db)."""
    if db.size == 0:
        return np.zeros(0, dtype=bool)
    noise_floor = float(np.percentile(db, 5))
    return db > max(noise_floor + ENERGY_MARGIN_DB, ENERGY_FLOOR_DBFS)


def _coverage(chunks: list[dict], voiced: np.ndarray) -> float:
    if not voiced.any():
        return 1.0
    frame = int(SAMPLE_RATE * FRAME_S)
    kept = np.zeros_like(voiced)
    for chunk in chunks:
        kept[chunk["start"] // frame : chunk["end"] // frame + 1] = True
    return float((voiced & kept).sum() / voiced.sum())


def _speech_chunks(audio: np.ndarray, threshold: float, settings: Settings) -> list[dict]:
    options = VadOptions(
        threshold=threshold,
        min_silence_duration_ms=settings.vad_min_silence_ms,
        speech_pad_ms=settings.vad_speech_pad_ms,
    )
    return get_speech_timestamps(audio, options, sampling_rate=SAMPLE_RATE)


def detect_speech(audio: np.ndarray, settings: Settings) -> SpeechRegions:
    voiced = voiced_frames(audio)
    energy_s = float(voiced.sum()) * FRAME_S
    if not settings.vad:
        chunks = [{"start": 0, "end": len(audio)}] if len(audio) else []
        report = VadReport(0.0, len(audio) / SAMPLE_RATE, energy_s, 1.0, False, False)
        return SpeechRegions(tuple(chunks), report, voiced)
    threshold = settings.vad_threshold
    chunks = _speech_chunks(audio, threshold, settings)
    coverage = _coverage(chunks, voiced)
    retried = False
    if coverage < settings.vad_min_coverage and settings.vad_fallback_threshold < threshold:
        threshold = settings.vad_fallback_threshold
        chunks = _speech_chunks(audio, threshold, settings)
        coverage = _coverage(chunks, voiced)
        retried = True
    speech_s = sum(c["end"] - c["start"] for c in chunks) / SAMPLE_RATE
    # A channel with under a second of voiced energy is silence plus clicks: nothing to miss.
    low = coverage < settings.vad_min_coverage and energy_s >= 1.0
    return SpeechRegions(tuple(chunks), VadReport(threshold, speech_s, energy_s, coverage, low, retried), voiced)


def voiced_support(voiced: np.ndarray, start_s: float, end_s: float, pad_s: float = 0.5) -> float:
    """Voiced seconds near [start_s, end_s] relative to its length, capped at 1.

    About 1 for real speech, 0 for text Whisper wrote over silence. The padding is there
    because Whisper's word times are loose by a few hundred milliseconds on short words.
    """
    first = max(0, int((start_s - pad_s) / FRAME_S))  # a negative index would slice from the end
    last = max(int(np.ceil((end_s + pad_s) / FRAME_S)), first + 1)
    voiced_s = float(voiced[first:last].sum()) * FRAME_S
    return min(1.0, voiced_s / max(end_s - start_s, 0.3))
