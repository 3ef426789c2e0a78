"""The pipeline on bundled recordings: channels, speaker roles, timing, nothing lost, nothing invented."""

from __future__ import annotations

import re
from dataclasses import replace
from difflib import SequenceMatcher
from pathlib import Path

import pytest
import soundfile as sf

from callqa.speech.audio import AudioError
from callqa.speech.transcription import transcribe_call, transcribe_channel
from callqa.speech.voices import cluster_voices, voice_features
from callqa.speech.asr import load_backend
from callqa.speech.audio import load_call_audio

from conftest import mono_call, stereo_agent_left, stereo_agent_right, write_tone_noise

pytestmark = pytest.mark.slow


def _overlap(a_start: float, a_end: float, b_start: float, b_end: float) -> float:
    return max(0.0, min(a_end, b_end) - max(a_start, b_start))


def _turn_recall(result, labels: dict) -> dict[str, float]:
    """Share of each speaker's scripted turns that a transcript segment of that speaker overlaps."""
    recall = {}
    for role in ("agent", "customer"):
        turns = [t for t in labels["transcript"] if t["speaker"] == role]
        hit = sum(
            any(_overlap(t["start"], t["end"], s.start, s.end) > 0 for s in result.transcript.segments if s.speaker == role) for t in turns
        )
        recall[role] = hit / len(turns)
    return recall


@pytest.fixture(scope="module")
def agent_right(settings):
    audio, labels = stereo_agent_right()
    return transcribe_call(audio, settings), labels


def test_agent_on_the_right_channel_is_found_from_the_text(agent_right) -> None:
    result, labels = agent_right
    assert result.speakers.method == "channel"
    assert result.speakers.agent_channel == "right" and result.speakers.confidence >= 0.7
    assert any(c.rule == "AG-THANKS-FOR-CALLING" for c in result.speakers.evidence)
    assert {s.speaker for s in result.transcript.segments if s.channel == "right"} == {"agent"}
    assert {s.speaker for s in result.transcript.segments if s.channel == "left"} == {"customer"}


def test_both_parties_are_transcribed_turn_by_turn(agent_right) -> None:
    result, labels = agent_right
    recall = _turn_recall(result, labels)
    assert recall["agent"] >= 0.85 and recall["customer"] >= 0.85, recall
    assert all(not ch.vad.low_coverage for ch in result.channels)


def test_segments_have_stable_ids_times_and_words(agent_right) -> None:
    result, _ = agent_right
    segments = result.transcript.segments
    assert [s.start for s in segments] == sorted(s.start for s in segments)
    for seg in segments:
        assert re.fullmatch(rf"{re.escape(result.call_id)}-(left|right)-\d{{4}}", seg.id)
        assert seg.words and seg.text
        assert seg.words[0].start == seg.start and seg.words[-1].end == seg.end
        assert all(w.start <= w.end for w in seg.words)
        assert 0 <= seg.start <= seg.end <= result.audio.duration_s + 0.5


def test_forced_agent_channel(settings) -> None:
    audio, _ = stereo_agent_right()
    result = transcribe_call(audio, replace(settings, agent_channel="left"))
    assert result.speakers.agent_channel == "left" and result.speakers.confidence == 1.0
    assert "settings" in result.speakers.reason


def test_agent_on_the_left(settings) -> None:
    audio, labels = stereo_agent_left()
    result = transcribe_call(audio, settings)
    assert result.speakers.agent_channel == "left"
    assert min(_turn_recall(result, labels).values()) >= 0.85


def _role_accuracy(result, labels: dict) -> tuple[int, int]:
    """Segments whose role matches the scripted speaker they overlap most."""
    agree = total = 0
    for seg in result.transcript.segments:
        best = max(labels["transcript"], key=lambda t: _overlap(t["start"], t["end"], seg.start, seg.end))
        if _overlap(best["start"], best["end"], seg.start, seg.end) > 0:
            total += 1
            agree += best["speaker"] == seg.speaker
    return agree, total


def test_mono_call_gets_roles_from_text_and_voices(settings) -> None:
    audio, labels = mono_call()
    result = transcribe_call(audio, settings)
    assert result.speakers.method == "voice" and result.speakers.agent_channel is None and result.speakers.voices == 2
    assert {s.channel for s in result.transcript.segments} == {"mono"}
    assert "two voices" in result.speakers.reason
    agree, total = _role_accuracy(result, labels)
    assert total >= 5 and agree / total >= 0.85, (agree, total)
    # Pieces of one speaker are merged back into turns, and ids are renumbered in order.
    assert all(a.speaker != b.speaker or b.start - a.end >= settings.turn_gap_s
               for a, b in zip(result.transcript.segments, result.transcript.segments[1:]))
    assert [s.id for s in result.transcript.segments] == [f"{result.call_id}-mono-{i:04d}" for i in range(1, len(result.transcript.segments) + 1)]


def test_stereo_call_mixed_down_to_mono_keeps_its_roles(tmp_path: Path, settings) -> None:
    audio, labels = stereo_agent_right()
    decoded = load_call_audio(audio)
    mixed = tmp_path / "mixed.wav"
    sf.write(mixed, 0.5 * (decoded.samples[0] + decoded.samples[1]), 16000)
    result = transcribe_call(mixed, settings)
    assert result.speakers.method == "voice" and result.speakers.voices == 2
    agree, total = _role_accuracy(result, labels)
    assert agree / total >= 0.85, (agree, total)


def test_silent_recording_is_no_speech(tmp_path: Path, settings) -> None:
    path = write_tone_noise(tmp_path / "silent.wav", 8.0, 8000, channels=2)
    with pytest.raises(AudioError) as info:
        transcribe_call(path, settings)
    assert info.value.code == "no_speech"


def test_guard_drops_what_whisper_writes_over_noise(tmp_path: Path, settings) -> None:
    """Without the VAD, Whisper sees 20 s of hiss: whatever it writes must not survive."""
    path = write_tone_noise(tmp_path / "hiss.wav", 20.0, 16000, level_db=-35.0, seed=3)
    audio = load_call_audio(path)
    no_vad = replace(settings, vad=False)
    segments, report = transcribe_channel("hiss", "mono", audio.samples[0], load_backend(no_vad), no_vad)
    assert segments == []
    assert all(d.reason in {"no_speech", "repetition", "silence", "phantom_phrase"} for d in report.dropped)


def test_both_backends_give_the_same_words(settings) -> None:
    """openai-whisper on the converted weights against faster-whisper, greedy and fp32 on both."""
    audio, _ = mono_call()
    greedy = replace(settings, beam_size=1, compute_type="float32")
    fast = transcribe_call(audio, greedy)
    reference = transcribe_call(audio, replace(greedy, backend="openai-whisper"))
    words = lambda r: re.sub(r"[^\w\s']", " ", " ".join(s.text for s in r.transcript.segments).lower()).split()  # noqa: E731
    ratio = SequenceMatcher(None, words(fast), words(reference)).ratio()
    assert ratio >= 0.9, ratio
    assert reference.asr["backend"] == "openai-whisper"


def test_voice_groups_follow_the_speakers_of_a_mixed_down_call() -> None:
    """The gold turns of a stereo call, mixed to one channel: each voice is one group."""
    audio, labels = stereo_agent_right()
    decoded = load_call_audio(audio)
    mixed = decoded.samples[0] + decoded.samples[1]
    turns = labels["transcript"]
    spans = [(t["start"], t["end"]) for t in turns]
    voices = cluster_voices(voice_features(mixed, spans), spans)
    assert voices is not None and voices.separation > 0.5
    agent_groups = {g for g, t in zip(voices.labels, turns) if t["speaker"] == "agent" and g is not None}
    customer_groups = {g for g, t in zip(voices.labels, turns) if t["speaker"] == "customer" and g is not None}
    assert len(agent_groups) == 1 and len(customer_groups) == 1 and agent_groups != customer_groups
    # One speaker's turns alone are not two voices.
    agent = [(t["start"], t["end"]) for t in turns if t["speaker"] == "agent"]
    alone = cluster_voices(voice_features(mixed, agent), agent)
    assert alone is None or alone.separation < 0.3
