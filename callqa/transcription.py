"""One call from audio file to a speaker-attributed, time-aligned Transcript.

decode -> per channel: VAD (checked against energy) -> Whisper on the speech only ->
timestamps mapped back to the call -> split at pauses -> hallucination guard -> segments;
then speaker roles from the channel layout and the text.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from faster_whisper.vad import SpeechTimestampsMap, collect_chunks

from callqa.asr import AsrBackend, AsrSegment, AsrWord, load_backend
from callqa.audio import SAMPLE_RATE, AudioError, AudioInfo, load_call_audio
from callqa.guard import Dropped, why_drop
from callqa.settings import Settings
from callqa.vad import VadReport, detect_speech, voiced_frames, voiced_support
from nlp.roles import SpeakerDecision, assign_mono_roles, choose_agent_channel
from nlp.transcript import Segment, Transcript, Word


@dataclass(frozen=True)
class ChannelReport:
    channel: str
    vad: VadReport
    segments: int
    dropped: tuple[Dropped, ...]

    def to_dict(self) -> dict:
        return {
            "channel": self.channel,
            "vad": self.vad.to_dict(),
            "segments": self.segments,
            "dropped": [d.to_dict() for d in self.dropped],
        }


@dataclass(frozen=True)
class CallTranscription:
    call_id: str
    audio: AudioInfo
    speakers: SpeakerDecision
    transcript: Transcript
    channels: tuple[ChannelReport, ...]
    asr: dict  # backend, model, settings that made this transcript
    elapsed_s: float


@dataclass(frozen=True)
class _Piece:
    """Words of one ASR segment between two pauses, in call time."""

    words: tuple[AsrWord, ...]
    source: AsrSegment


def _to_call_time(segments: list[AsrSegment], ts_map: SpeechTimestampsMap) -> list[_Piece]:
    pieces: list[_Piece] = []
    for seg in segments:
        words = []
        for w in seg.words:
            # Map both ends through the chunk of the word's middle, as faster-whisper does, so a
            # word never straddles a removed silence.
            chunk = ts_map.get_chunk_index((w.start + w.end) / 2)
            start = ts_map.get_original_time(w.start, chunk)
            words.append(AsrWord(w.text, start, max(start, ts_map.get_original_time(w.end, chunk)), w.prob))
        if not words and seg.text:
            start = ts_map.get_original_time(seg.start)
            end = max(start, ts_map.get_original_time(seg.end, is_end=True))
            words = [AsrWord(seg.text, start, end, float(np.exp(seg.avg_logprob)))]
        pieces.append(_Piece(tuple(words), seg))
    return pieces


def _split_at_pauses(pieces: list[_Piece], gap_s: float) -> list[_Piece]:
    out: list[_Piece] = []
    for piece in pieces:
        current: list[AsrWord] = []
        for word in piece.words:
            if current and word.start - current[-1].end >= gap_s:
                out.append(_Piece(tuple(current), piece.source))
                current = []
            current.append(word)
        if current:
            out.append(_Piece(tuple(current), piece.source))
    return out


def _join_words(words: tuple[AsrWord, ...]) -> str:
    return " ".join(w.text for w in words if w.text).strip()


def transcribe_channel(
    call_id: str, channel: str, audio: np.ndarray, backend: AsrBackend, settings: Settings
) -> tuple[list[Segment], ChannelReport]:
    regions = detect_speech(audio, settings)
    if not regions.chunks:
        return [], ChannelReport(channel, regions.report, 0, ())
    speech, _meta = collect_chunks(audio, list(regions.chunks), sampling_rate=SAMPLE_RATE)
    ts_map = SpeechTimestampsMap(list(regions.chunks), SAMPLE_RATE)
    pieces = _split_at_pauses(_to_call_time(backend.transcribe(speech[0], settings), ts_map), settings.turn_gap_s)

    voiced = voiced_frames(audio)
    kept: list[tuple[_Piece, str, float]] = []
    dropped: list[Dropped] = []
    for piece in pieces:
        text = _join_words(piece.words)
        start, end = piece.words[0].start, piece.words[-1].end
        mean_prob = float(np.mean([w.prob for w in piece.words]))
        src = piece.source
        verdict = why_drop(
            text,
            voiced_support(voiced, start, end),
            mean_prob,
            src.avg_logprob,
            src.no_speech_prob,
            src.compression_ratio,
            settings,
        )
        if verdict is not None:
            dropped.append(Dropped(channel, round(start, 2), round(end, 2), text, verdict[0], verdict[1]))
        else:
            kept.append((piece, text, mean_prob))

    segments = [
        Segment(
            id=f"{call_id}-{channel}-{i:04d}",
            speaker="unknown",
            channel=channel,
            start=round(piece.words[0].start, 2),
            end=round(piece.words[-1].end, 2),
            text=text,
            confidence=round(mean_prob, 3),
            words=tuple(Word(w.text, round(w.start, 2), round(w.end, 2), round(w.prob, 3)) for w in piece.words),
        )
        for i, (piece, text, mean_prob) in enumerate(sorted(kept, key=lambda k: k[0].words[0].start), start=1)
    ]
    return segments, ChannelReport(channel, regions.report, len(segments), tuple(dropped))


def transcribe_call(path: Path, settings: Settings, call_id: str | None = None) -> CallTranscription:
    """Raises AudioError for audio that cannot be used, including a call with no speech."""
    started = time.perf_counter()
    call_id = call_id or path.stem
    audio = load_call_audio(path)
    backend = load_backend(settings)
    per_channel: dict[str, list[Segment]] = {}
    reports: list[ChannelReport] = []
    for name, samples in zip(audio.channel_names, audio.samples, strict=True):
        segments, report = transcribe_channel(call_id, name, samples, backend, settings)
        per_channel[name] = segments
        reports.append(report)

    if not any(per_channel.values()):
        raise AudioError("no_speech", f"{path.name}: no speech found in {audio.info.duration_s:.1f} s of audio")

    if "mono" in per_channel:
        roles, speakers = assign_mono_roles(per_channel["mono"])
        labelled = [s.with_speaker(r) for s, r in zip(per_channel["mono"], roles, strict=True)]
    else:
        speakers = choose_agent_channel(per_channel["left"], per_channel["right"], settings.agent_channel)
        labelled = [
            s.with_speaker("agent" if name == speakers.agent_channel else "customer")
            for name, segments in per_channel.items()
            for s in segments
        ]
    asr = backend.describe() | {
        "language": settings.language,
        "beam_size": settings.beam_size,
        "vad": settings.vad,
        "settings_key": settings.transcription_key(),
    }
    return CallTranscription(
        call_id=call_id,
        audio=audio.info,
        speakers=speakers,
        transcript=Transcript.merged(call_id, labelled),
        channels=tuple(reports),
        asr=asr,
        elapsed_s=time.perf_counter() - started,
    )
