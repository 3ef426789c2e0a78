import numpy as np

from callqa.settings import Settings
from callqa.speech.vad import SAMPLE_RATE, detect_speech, voiced_frames, voiced_support


def _bursts(level: float, seconds: float = 20.0) -> np.ndarray:
    """Alternating 1.5 s voiced-like bursts and 1.5 s of line noise."""
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    carrier = np.sin(2 * np.pi * 150 * t) + 0.5 * np.sin(2 * np.pi * 300 * t) + 0.3 * np.sin(2 * np.pi * 450 * t)
    gate = (np.floor(t / 1.5) % 2 == 0).astype(np.float64)
    noise = rng.standard_normal(t.size) * 1e-3
    return (level * carrier * gate + noise).astype(np.float32)


def test_energy_estimate_finds_the_bursts() -> None:
    voiced = voiced_frames(_bursts(0.2))
    assert 0.4 < voiced.mean() < 0.6
    assert voiced_support(voiced, 0.1, 1.4, pad_s=0.0) > 0.9
    assert voiced_support(voiced, 1.8, 2.7, pad_s=0.0) < 0.1
    assert voiced_support(voiced, 0.0, 1.0) > 0.9  # padded past the start of the call
    # A short word whose time is 0.3 s off its audio still finds its support.
    assert voiced_support(voiced, 1.7, 1.8) > 0.5


def test_vad_coverage_is_measured_and_low_coverage_flagged() -> None:
    audio = _bursts(0.2)
    # A VAD that can never fire: everything voiced is lost, and the report must say so.
    strict = detect_speech(audio, Settings(vad_threshold=1.0, vad_fallback_threshold=1.0))
    assert strict.report.energy_speech_s > 5
    assert strict.report.coverage < 0.5 and strict.report.low_coverage
    off = detect_speech(audio, Settings(vad=False))
    assert off.report.coverage == 1.0 and not off.report.low_coverage and len(off.chunks) == 1


def test_silence_has_nothing_to_miss() -> None:
    quiet = (np.random.default_rng(1).standard_normal(SAMPLE_RATE * 5) * 1e-3).astype(np.float32)
    result = detect_speech(quiet, Settings())
    assert not result.report.low_coverage
