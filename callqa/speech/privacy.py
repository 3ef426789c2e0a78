"""PII redaction of a call's transcription, before anything is cached, analysed or written.

The transcription step (flows.call.transcribe_input) runs this inside the per-call task, so the
transcript Prefect caches under <work_dir>/results, the record, the store, the evidence quotes
(the analysis reads the redacted text) and exports never hold the masked values. Besides the
segments, every other place the transcription keeps text is redacted too: the speaker-role
cues' quotes and the hallucination guard's dropped segments.

`write_redacted_audio` makes the --redact-audio copy: the recording with silence over the masked
spans, as 16 kHz WAV.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import numpy as np
import soundfile as sf

from callqa.record import atomic_write_bytes
from callqa.speech.audio import SAMPLE_RATE, load_call_audio
from callqa.speech.transcription import CallTranscription
from nlp.redact import redact_audio, redact_segments, redact_text
from nlp.transcript import Transcript


def redact_transcription(result: CallTranscription) -> CallTranscription:
    """The transcription with PII masked everywhere it holds text, and the masked spans listed."""
    segments, masked = redact_segments(result.transcript.segments)
    speakers = result.speakers
    if speakers.evidence:
        speakers = replace(speakers, evidence=tuple(replace(c, quote=redact_text(c.quote)[0]) for c in speakers.evidence))
    channels = tuple(
        replace(ch, dropped=tuple(replace(d, text=redact_text(d.text)[0]) for d in ch.dropped)) if ch.dropped else ch
        for ch in result.channels
    )
    return replace(
        result,
        transcript=Transcript(result.transcript.call_id, tuple(segments)),
        speakers=speakers,
        channels=channels,
        redactions=tuple({"type": m["type"], "segment_id": m["segment_id"], "start": float(m["start"]), "end": float(m["end"])} for m in masked),
    )


def redacted_audio_path(out_dir: Path, call_id: str) -> Path:
    return out_dir / "redacted-audio" / f"{call_id}.wav"


def write_redacted_audio(source: Path, out_dir: Path, call_id: str, spans: tuple[dict, ...]) -> Path:
    """<out>/redacted-audio/<call_id>.wav: the recording decoded (16 kHz, its channels kept)
    with silence over every masked span; written atomically."""
    audio = load_call_audio(source)
    samples = np.stack(audio.samples, axis=1) if len(audio.samples) > 1 else audio.samples[0]
    silenced = redact_audio(samples, SAMPLE_RATE, spans)
    buffer = io.BytesIO()
    sf.write(buffer, silenced, SAMPLE_RATE, format="WAV", subtype="PCM_16")
    return atomic_write_bytes(redacted_audio_path(out_dir, call_id), buffer.getvalue())
