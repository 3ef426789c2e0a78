"""Speaker embeddings from Resemblyzer's GE2E voice encoder, whose weights ship inside its PyPI wheel.

No diarization model (pyannote, speechbrain, NeMo) can be had here without a hub download;
Resemblyzer's 17 MB d-vector encoder is in the package itself, so it works offline.
"""

from __future__ import annotations

import functools

import numpy as np

SAMPLE_RATE = 16000  # the encoder's own rate, which is also ours


@functools.lru_cache(maxsize=1)
def load_voice_encoder():
    # Imported here: resemblyzer pulls in librosa (~3 s), which only mono calls need.
    try:
        from resemblyzer import VoiceEncoder
    except ImportError as exc:
        raise RuntimeError("the speaker encoder is not installed: pip install --no-deps resemblyzer==0.1.4") from exc
    return VoiceEncoder("cpu", verbose=False)


def embed_voices(audio: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
    """One unit-length voice embedding (256 floats) per (start, end) span of 16 kHz audio."""
    encoder = load_voice_encoder()
    rows = [encoder.embed_utterance(audio[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)].astype(np.float32)) for start, end in spans]
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)


def model_name() -> str:
    return "resemblyzer GE2E voice encoder 0.1.4"
