"""One call from audio file to a speaker-attributed, time-aligned Transcript.

decode -> (stereo: the other party's echo silenced) -> per channel: VAD (checked against
energy) -> Whisper on the speech only -> timestamps mapped back to the call -> split at pauses
-> hallucination guard -> (stereo: crosstalk guard) -> segments; then speaker roles from the
channel layout and the text.

The recording streams through in blocks (callqa.speech.audio.BLOCK_S, five minutes; a call shorter
than that is one block), each cut at a quiet moment, so a two-hour recording never has more
than a block of audio, its VAD and its Whisper features in memory.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from faster_whisper.vad import SpeechTimestampsMap, collect_chunks

from callqa.speech.asr import AsrBackend, AsrSegment, AsrWord, load_backend
from callqa.speech.audio import (
    SAMPLE_RATE,
    AudioError,
    AudioInfo,
    check_decoded,
    decode_blocks,
    probe,
    same_signal,
    with_duration,
)
from callqa.speech.crosstalk import drop_crosstalk, gate_pair
from callqa.speech.guard import Dropped, why_drop
from callqa.parallel import release_memory
from callqa.settings import Settings
from callqa.speech.vad import FRAME_S, VadReport, detect_speech, frame_energy_db, voiced_support
from callqa.speech.voices import VoiceWindows, separate_voices, voice_windows
from callqa.speech.roles import SpeakerDecision, assign_by_voices, assign_mono_roles, choose_agent_channel
from nlp.transcript import Segment, Transcript, Word


SENTENCE_END = (".", "?", "!")
# A block is cut at its quietest 30 ms frame within this many final seconds (the rest is
# carried into the next block), so no word is split between two blocks.
CUT_SEARCH_S = 20.0


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
    source: str = "audio"  # "transcript": read from a .transcript.json or .vtt file, no audio
    redactions: tuple[dict, ...] = ()  # {type, segment_id, start, end} per masked span (callqa.speech.privacy)


@dataclass(frozen=True)
class _Piece:
    """Words of one ASR segment between two pauses, in call time."""

    words: tuple[AsrWord, ...]
    source: AsrSegment


def segment_id(call_id: str, channel: str, number: int) -> str:
    """A segment's id in the record (evidence and review links point at it): numbered from 1 per channel."""
    return f"{call_id}-{channel}-{number:04d}"


def _to_call_time(segments: list[AsrSegment], ts_map: SpeechTimestampsMap, offset_s: float = 0.0) -> list[_Piece]:
    pieces: list[_Piece] = []
    for seg in segments:
        words = []
        for w in seg.words:
            # Map both ends through the chunk of the word's middle, as faster-whisper does, so a
            # word never straddles a removed silence.
            chunk = ts_map.get_chunk_index((w.start + w.end) / 2)
            start = offset_s + ts_map.get_original_time(w.start, chunk)
            words.append(AsrWord(w.text, start, max(start, offset_s + ts_map.get_original_time(w.end, chunk)), w.prob))
        if not words and seg.text:
            start = offset_s + ts_map.get_original_time(seg.start)
            end = max(start, offset_s + ts_map.get_original_time(seg.end, is_end=True))
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
    call_id: str, channel: str, audio: np.ndarray, backend: AsrBackend, settings: Settings, offset_s: float = 0.0
) -> tuple[list[Segment], ChannelReport]:
    """Segments of one channel (or of one block of it, starting offset_s into the call), split
    at pauses. A mono channel is cut finer (sentences, short pauses), since one Whisper segment
    can hold both parties; merge_turns joins it back up."""
    regions = detect_speech(audio, settings)
    if not regions.chunks:
        return [], ChannelReport(channel, regions.report, 0, ())
    speech, _meta = collect_chunks(audio, list(regions.chunks), sampling_rate=SAMPLE_RATE)
    ts_map = SpeechTimestampsMap(list(regions.chunks), SAMPLE_RATE)
    mono = channel == "mono"
    pieces = _split(
        _to_call_time(backend.transcribe(speech[0], settings), ts_map, offset_s),
        settings.mono_split_gap_s if mono else settings.turn_gap_s,
        at_sentence_ends=mono,
    )

    voiced = regions.voiced
    kept: list[tuple[_Piece, str, float]] = []
    dropped: list[Dropped] = []
    for piece in pieces:
        text = _join_words(piece.words)
        start, end = piece.words[0].start, piece.words[-1].end
        mean_prob = float(np.mean([w.prob for w in piece.words]))
        src = piece.source
        verdict = why_drop(
            text,
            voiced_support(voiced, start - offset_s, end - offset_s),
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
            id=segment_id(call_id, channel, i),
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
                id=segment_id(call_id, group[0].channel, i),
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


def _turn_confidence(turns: list[Segment], pieces: list[Segment], piece_conf: list[float]) -> dict[str, float]:
    """Turn id -> confidence in its speaker: the word-weighted mean over the pieces it joined
    (merge_turns keeps their order)."""
    out: dict[str, float] = {}
    k = 0
    for turn in turns:
        need, total, weight = len(turn.words), 0.0, 0
        while weight < need and k < len(pieces):
            n = max(1, len(pieces[k].words))
            total += piece_conf[k] * n
            weight += n
            k += 1
        out[turn.id] = round(total / weight, 3) if weight else 0.0
    return out


def _quiet_cut(block: np.ndarray) -> int:
    """Where to end a block that is not the last: the start of its quietest 30 ms frame (summed
    over channels) in the final CUT_SEARCH_S seconds."""
    frame = int(SAMPLE_RATE * FRAME_S)
    first = max(0, block.shape[1] - int(CUT_SEARCH_S * SAMPLE_RATE)) // frame * frame
    level = sum(frame_energy_db(channel[first:]) for channel in block)
    return first + int(np.argmin(level)) * frame if np.size(level) else block.shape[1]


def _cut_at_quiet(blocks: Iterator[np.ndarray]) -> Iterator[tuple[np.ndarray, bool]]:
    """(block, is_last): each block but the last ends at a quiet moment, the rest carried on."""
    carry: np.ndarray | None = None
    current = next(blocks, None)
    while current is not None:
        following = next(blocks, None)
        block = current if carry is None else np.concatenate([carry, current], axis=1)
        if following is None:
            yield block, True
            return
        cut = _quiet_cut(block)
        carry = block[:, cut:]
        yield block[:, :cut], False
        current = following


def _merge_reports(reports: list[VadReport], min_coverage: float) -> VadReport:
    """One channel's VAD report from its blocks' (the block's own report for a short call)."""
    if len(reports) == 1:
        return reports[0]
    energy = sum(r.energy_speech_s for r in reports)
    coverage = sum(r.coverage * r.energy_speech_s for r in reports) / energy if energy else 1.0
    return VadReport(
        threshold=min(r.threshold for r in reports),
        speech_s=sum(r.speech_s for r in reports),
        energy_speech_s=energy,
        coverage=coverage,
        low_coverage=coverage < min_coverage and energy >= 1.0,
        retried=any(r.retried for r in reports),
    )


def _numbered(call_id: str, channel: str, segments: list[Segment]) -> list[Segment]:
    return [replace(s, id=segment_id(call_id, channel, i)) for i, s in enumerate(segments, start=1)]


@dataclass
class _Decoded:
    """What the blocks of a call gave, channel by channel, as they stream through."""

    names: tuple[str, ...] = ()
    segments: dict[str, list[Segment]] = field(default_factory=dict)
    reports: dict[str, list[VadReport]] = field(default_factory=dict)
    dropped: dict[str, list[Dropped]] = field(default_factory=dict)
    windows: VoiceWindows = field(default_factory=VoiceWindows.empty)  # mono: voice embeddings of short windows
    samples: int = 0


def _without_crosstalk(found: dict[str, list[Segment]], block: np.ndarray, names: tuple[str, ...], offset_s: float,
                       settings: Settings, dropped: dict[str, list[Dropped]]) -> dict[str, list[Segment]]:
    """Each channel's words checked against the other's original words (so the order does not
    matter): an echo of the louder side is dropped and recorded."""
    levels = [frame_energy_db(channel) for channel in block]
    checked = {}
    for k, name in enumerate(names):
        checked[name], echo = drop_crosstalk(found[name], found[names[1 - k]], levels[k], levels[1 - k], offset_s, settings)
        dropped[name].extend(echo)
    return checked


def _decode(path: Path, info: AudioInfo, call_id: str, backend: AsrBackend, settings: Settings) -> _Decoded:
    """Every block of the recording through VAD, Whisper and the guards, never the whole call in memory."""
    out = _Decoded()
    stereo = info.channels == 2
    for block, last in _cut_at_quiet(decode_blocks(path, stereo)):
        if not out.names:
            # Some recorders write the mixed call to both channels: that is a mono call.
            # The first block (the whole of a short call) decides.
            out.names = ("mono",) if not stereo or same_signal(block[0], block[1]) else ("left", "right")
        if last:
            check_decoded(path, info, (out.samples + block.shape[1]) / SAMPLE_RATE)
        offset_s = out.samples / SAMPLE_RATE
        two = len(out.names) == 2
        if two and settings.crosstalk_gate:
            block = np.stack(gate_pair(block[0], block[1], settings))
        found: dict[str, list[Segment]] = {}
        for name, samples in zip(out.names, block, strict=False):
            found[name], report = transcribe_channel(call_id, name, samples, backend, settings, offset_s)
            out.reports.setdefault(name, []).append(report.vad)
            out.dropped.setdefault(name, []).extend(report.dropped)
            if name == "mono":
                out.windows = out.windows + voice_windows(samples, [(w.start, w.end) for s in found[name] for w in s.words], offset_s)
        if two and settings.crosstalk_guard:
            found = _without_crosstalk(found, block, out.names, offset_s, settings, out.dropped)
        for name, segments in found.items():
            out.segments.setdefault(name, []).extend(segments)
        out.samples += block.shape[1]
        del block
        release_memory()
    if not out.names:
        check_decoded(path, info, 0.0)  # nothing decoded at all
    return out


def _speakers(call_id: str, per_channel: dict[str, list[Segment]], windows: VoiceWindows, settings: Settings) -> tuple[SpeakerDecision, list[Segment]]:
    """Who said each segment: by channel in stereo (which side is the agent, from the text), by
    voice and text in mono (pieces of one speaker merged back into turns)."""
    if "mono" not in per_channel:
        speakers = choose_agent_channel(per_channel["left"], per_channel["right"], settings.agent_channel)
        labelled = [
            s.with_speaker("agent" if name == speakers.agent_channel else "customer")
            for name, channel_segments in per_channel.items()
            for s in channel_segments
        ]
        return speakers, labelled
    pieces = per_channel["mono"]
    split = separate_voices(windows, [(w.start, w.end) for p in pieces for w in p.words])
    by_voice = assign_by_voices(pieces, split) if split is not None else None
    if by_voice is None:
        roles, speakers = assign_mono_roles(pieces, None)
        piece_conf = [speakers.confidence] * len(pieces)
    else:
        pieces, roles, piece_conf, speakers = by_voice
    labelled = merge_turns(call_id, pieces, list(roles), settings.turn_gap_s)
    return replace(speakers, segment_confidence=_turn_confidence(labelled, pieces, piece_conf)), labelled


def transcribe_call(path: Path, settings: Settings, call_id: str | None = None) -> CallTranscription:
    """Raises AudioError for audio that cannot be used, including a call with no speech."""
    started = time.perf_counter()
    call_id = call_id or path.stem
    info = probe(path)
    backend = load_backend(settings)
    decoded = _decode(path, info, call_id, backend, settings)
    audio = with_duration(info, decoded.samples / SAMPLE_RATE)
    per_channel = {name: _numbered(call_id, name, decoded.segments[name]) for name in decoded.names}
    channels = tuple(
        ChannelReport(name, _merge_reports(decoded.reports[name], settings.vad_min_coverage), len(per_channel[name]), tuple(decoded.dropped[name]))
        for name in decoded.names
    )
    if not any(per_channel.values()):
        raise AudioError("no_speech", f"{path.name}: no speech found in {audio.duration_s:.1f} s of audio")
    speakers, labelled = _speakers(call_id, per_channel, decoded.windows, settings)
    asr = backend.describe() | {
        "language": settings.language,
        "beam_size": settings.beam_size,
        "vad": settings.vad,
        "settings_key": settings.transcription_key(),
    }
    return CallTranscription(
        call_id=call_id,
        audio=audio,
        speakers=speakers,
        transcript=Transcript.merged(call_id, labelled),
        channels=channels,
        asr=asr,
        elapsed_s=time.perf_counter() - started,
    )
