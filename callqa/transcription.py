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
from callqa.voices import group_voices
from nlp.roles import SpeakerDecision, assign_mono_roles, choose_agent_channel
from nlp.transcript import Segment, Transcript, Word


SENTENCE_END = (".", "?", "!")


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


def _split(pieces: list[_Piece], gap_s: float, at_sentence_ends: bool) -> list[_Piece]:
    """Cut at pauses of gap_s or more, and after sentence-final words when asked."""
    out: list[_Piece] = []
    for piece in pieces:
        current: list[AsrWord] = []
        for word in piece.words:
            if current and (word.start - current[-1].end >= gap_s or (at_sentence_ends and current[-1].text.endswith(SENTENCE_END))):
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
    """Segments of one channel, split at pauses. A mono channel is cut finer (sentences, short
    pauses), since one Whisper segment can hold both parties; merge_turns joins it back up."""
    regions = detect_speech(audio, settings)
    if not regions.chunks:
        return [], ChannelReport(channel, regions.report, 0, ())
    speech, _meta = collect_chunks(audio, list(regions.chunks), sampling_rate=SAMPLE_RATE)
    ts_map = SpeechTimestampsMap(list(regions.chunks), SAMPLE_RATE)
    mono = channel == "mono"
    pieces = _split(
        _to_call_time(backend.transcribe(speech[0], settings), ts_map),
        settings.mono_split_gap_s if mono else settings.turn_gap_s,
        at_sentence_ends=mono,
    )

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


def merge_turns(call_id: str, pieces: list[Segment], roles: list[str], gap_s: float) -> list[Segment]:
    """Join consecutive pieces of the same speaker into turns, numbered afresh in time order."""
    groups: list[list[Segment]] = []
    for piece, role in zip(pieces, roles, strict=True):
        labelled = piece.with_speaker(role)  # type: ignore[arg-type]
        if groups and groups[-1][-1].speaker == role and piece.start - groups[-1][-1].end < gap_s:
            groups[-1].append(labelled)
        else:
            groups.append([labelled])
    turns = []
    for i, group in enumerate(groups, start=1):
        words = tuple(w for p in group for w in p.words)
        turns.append(
            Segment(
                id=f"{call_id}-{group[0].channel}-{i:04d}",
                speaker=group[0].speaker,
                channel=group[0].channel,
                start=group[0].start,
                end=group[-1].end,
                text=" ".join(p.text for p in group),
                confidence=round(float(np.mean([w.prob for w in words])), 3),
                words=words,
            )
        )
    return turns


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
        pieces = per_channel["mono"]
        voices = group_voices(audio.samples[0], [(p.start, p.end) for p in pieces])
        roles, speakers = assign_mono_roles(pieces, voices)
        labelled = merge_turns(call_id, pieces, list(roles), settings.turn_gap_s)
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
