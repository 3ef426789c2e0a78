"""Transcripts as input, PII redaction before anything is written, and the odd inputs of the
security review (issue 10): every input gets a record with a clear code, or a clear refusal."""

from __future__ import annotations

import errno
import json
import os
import time
from pathlib import Path

import pytest

from callqa.record import clean_stale_temporaries, is_disk_full, read_record, record_path, write_record
from callqa.settings import Settings
from callqa.speech.audio import AudioError
from callqa.speech.given import read_transcript
from flows.call import CallSteps, score_call, transcribe_input
from flows.discover import discover
from nlp.policy import cached_policy

CARD, SSN, EMAIL = "4111 1111 1111 1111", "123-45-6789", "john.doe@example.com"
SALE = {
    "turns": [
        {"speaker": "agent", "text": "Thank you for calling Acme, how can I help?"},
        {"speaker": "customer", "text": "My internet keeps dropping, I need technical support."},
        {"speaker": "agent", "text": "I can also add our premium router protection plan for $19.99 a month."},
        {"speaker": "customer", "text": f"Sure, go ahead. My card is {CARD} and my social is {SSN}, email {EMAIL}"},
        {"speaker": "agent", "text": "Great, it's added."},
    ],
    "metadata": {"agent": "ann", "date": "2024-05-01"},
}
VTT = """WEBVTT

00:00:01.000 --> 00:00:03.000
<v Representative>Hello, thanks for calling, how can I help?</v>

00:00:03.500 --> 00:00:06.000
<v Caller>I want to cancel my service.</v>
"""


def _write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def _no_audio(path, settings, call_id):
    raise AssertionError("no recording in these tests")


def _steps(out: Path, settings: Settings, calls: list[str] | None = None) -> CallSteps:
    from nlp.analyse import AnalysisSettings, analyse

    def transcribe(call_id: str, path: Path, sha: str):
        if calls is not None:
            calls.append(call_id)
        try:
            return transcribe_input(call_id, path, settings, _no_audio), False
        except AudioError as exc:
            from flows.call import CallFailure

            return CallFailure(exc.code, exc.message), False

    return CallSteps(
        transcribe=transcribe,
        analyse=lambda result: analyse(result.transcript, AnalysisSettings(cached_policy(None), None)),
        write=lambda record: write_record(out, record),
    )


def _score_all(folder: Path, out: Path, settings: Settings, calls: list[str] | None = None) -> dict:
    found = discover([folder])
    return {c.call_id: score_call(c, out, settings, cached_policy(None), _steps(out, settings, calls)) for c in found.calls}


# ---------------------------------------------------------------- reading transcript files

def test_untimed_json_turns_get_synthetic_times_and_the_record_says_so(tmp_path: Path) -> None:
    result = read_transcript(_write(tmp_path / "c1.transcript.json", SALE), Settings(work_dir=tmp_path))
    segs = result.transcript.segments
    assert [s.id for s in segs][:2] == ["c1-given-0001", "c1-given-0002"]
    assert [(s.start, s.end) for s in segs][:3] == [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]
    assert all(s.words == () and s.confidence == 1.0 for s in segs)
    assert [s.speaker for s in segs][:2] == ["agent", "customer"]
    assert result.asr["transcript_timing"] == "order_only" and result.speakers.method == "given"
    assert result.source == "transcript" and result.audio.duration_s is None


def test_timed_json_keeps_its_times(tmp_path: Path) -> None:
    data = {"turns": [{"speaker": "Customer", "text": "hi", "start": 2.5, "end": 3.0}, {"speaker": "agent", "text": "hello", "start": 0.2, "end": 1.9}]}
    result = read_transcript(_write(tmp_path / "t.transcript.json", data), Settings(work_dir=tmp_path))
    assert [(s.speaker, s.start, s.end) for s in result.transcript.segments] == [("agent", 0.2, 1.9), ("customer", 2.5, 3.0)]
    assert result.asr["transcript_timing"] == "timed"


def test_vtt_voices_map_to_roles_through_the_settings(tmp_path: Path) -> None:
    path = _write(tmp_path / "v.vtt", VTT)
    result = read_transcript(path, Settings(work_dir=tmp_path))
    assert [(s.speaker, s.start, s.end, s.text) for s in result.transcript.segments] == [
        ("agent", 1.0, 3.0, "Hello, thanks for calling, how can I help?"),
        ("customer", 3.5, 6.0, "I want to cancel my service."),
    ]
    with pytest.raises(AudioError) as err:
        read_transcript(path, Settings(work_dir=tmp_path, customer_names=("customer",)))
    assert err.value.code == "unknown_speaker"
    custom = Settings(work_dir=tmp_path, agent_names=("representative",), customer_names=("caller",))
    assert [s.speaker for s in read_transcript(path, custom).transcript.segments] == ["agent", "customer"]


@pytest.mark.parametrize(("name", "content", "code"), [
    ("a.transcript.json", "not json at all", "not_json"),
    ("b.transcript.json", [1, 2], "not_json"),
    ("c.transcript.json", {"turns": []}, "no_turns"),
    ("d.transcript.json", {"metadata": {}}, "no_turns"),
    ("e.transcript.json", {"turns": [{"speaker": "robot", "text": "hi"}]}, "unknown_speaker"),
    ("f.transcript.json", {"turns": [{"speaker": "agent", "text": "  "}]}, "empty_transcript"),
    ("g.transcript.json", {"turns": [{"speaker": "agent", "text": "hi", "start": "soon"}]}, "bad_turn"),
    ("h.transcript.json", {"turns": [{"speaker": "agent", "text": "hi"}], "metadata": {"shoe": 1}}, "bad_metadata"),
    ("i.vtt", "00:00:01.000 --> 00:00:02.000\n<v Agent>hi\n", "bad_vtt"),
    ("j.vtt", "WEBVTT\n\n00:01.000 --> later\n<v Agent>hi\n", "bad_vtt"),
    ("k.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nno voice here\n", "unknown_speaker"),
    ("l.vtt", "WEBVTT\n\nNOTE nothing\n", "no_turns"),
    ("m.transcript.json", "", "empty_file"),
])
def test_bad_transcript_files_fail_with_clear_codes_and_the_batch_goes_on(tmp_path: Path, name: str, content, code: str) -> None:
    folder = tmp_path / "in"
    _write(folder / name, content)
    _write(folder / "good.vtt", VTT)
    outcomes = _score_all(folder, tmp_path / "out", Settings(work_dir=tmp_path))
    stem = name.split(".")[0]
    assert outcomes[stem].error == code
    assert outcomes["good"].status == "scored"
    record = read_record(record_path(tmp_path / "out", stem))
    assert record is not None and record.error is not None and record.error.code == code and record.source == "transcript"


# ---------------------------------------------------------------- discovery

def test_transcripts_are_inputs_other_json_is_a_sidecar(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    _write(folder / "a.transcript.json", SALE)
    _write(folder / "b.vtt", VTT)
    _write(folder / "labels.json", {})
    found = discover([folder])
    assert [(c.call_id, c.path.name) for c in found.calls] == [("a", "a.transcript.json"), ("b", "b.vtt")]
    assert [p.name for p in found.ignored] == ["labels.json"]


# ---------------------------------------------------------------- a transcript call end to end

def test_transcript_call_is_scored_redacted_and_skipped_on_rerun(tmp_path: Path) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    _write(folder / "sale.transcript.json", SALE)
    settings, calls = Settings(work_dir=tmp_path), []
    first = _score_all(folder, out, settings, calls)["sale"]
    assert first.status == "scored"
    record = read_record(record_path(out, "sale"))
    assert record is not None
    assert record.source == "transcript" and record.speakers is not None and record.speakers.method == "given"
    assert record.asr is not None and record.asr.transcript_timing == "order_only"
    assert record.audio.path == str((folder / "sale.transcript.json").resolve()) and record.audio.sha256
    assert record.metadata["agent"] == "ann"
    text = (out / "records" / "sale.json").read_text()
    for secret in (CARD, SSN, EMAIL, "4111"):
        assert secret not in text
    assert {r.type for r in record.redactions} == {"CARD", "SSN", "EMAIL"}
    assert all(r.segment_id == "sale-given-0004" for r in record.redactions)
    # money is not PII: the price is still found as a disclosure, quoted from the redacted text
    (offer,) = record.offers
    assert offer.disclosures["price"].status.startswith("disclosed")
    assert "$19.99" in offer.disclosures["price"].evidence.quote
    # a rerun keeps the record: same file bytes, same settings
    again = _score_all(folder, out, settings, calls)["sale"]
    assert again.skipped and calls == ["sale"]


def test_no_redact_keeps_the_raw_text_and_is_another_transcription(tmp_path: Path) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    _write(folder / "sale.transcript.json", SALE)
    raw = Settings(work_dir=tmp_path, redact=False)
    assert raw.transcription_key() != Settings(work_dir=tmp_path).transcription_key()
    _score_all(folder, out, raw)
    record = read_record(record_path(out, "sale"))
    assert record is not None and CARD in record.transcript[3].text and record.redactions == ()


def test_redaction_reaches_speaker_cues_and_dropped_text(tmp_path: Path) -> None:
    from dataclasses import replace

    from callqa.speech.guard import Dropped
    from callqa.speech.privacy import redact_transcription
    from callqa.speech.roles import Cue
    from callqa.speech.transcription import ChannelReport
    from callqa.speech.vad import VadReport

    result = read_transcript(_write(tmp_path / "s.transcript.json", SALE), Settings(work_dir=tmp_path))
    vad = VadReport(0.25, 1.0, 1.0, 1.0, False, False)
    result = replace(
        result,
        speakers=replace(result.speakers, evidence=(Cue("s-given-0004", "customer", "r", 1.0, f"card {CARD}", 3.0, 4.0),)),
        channels=(ChannelReport("mono", vad, 1, (Dropped("mono", 0.0, 1.0, f"mail {EMAIL}", "no_speech", "x"),)),),
    )
    redacted = redact_transcription(result)
    assert CARD not in redacted.speakers.evidence[0].quote and EMAIL not in redacted.channels[0].dropped[0].text


# ---------------------------------------------------------------- issue 10: call ids and records

def test_adding_a_same_named_file_elsewhere_renames_no_existing_call(tmp_path: Path) -> None:
    """Regression: the first in sorted order got the bare stem, so a new `a/call.wav` renamed the
    existing `b/call.wav` call (and a later batch overwrote its record)."""
    root = tmp_path / "in"
    _write(root / "b" / "call.wav", "x")
    before = {c.path: c.call_id for c in discover([root]).calls}
    _write(root / "a" / "call.wav", "y")
    after = {c.path: c.call_id for c in discover([root]).calls}
    assert before.items() <= after.items()
    assert sorted(after.values()) == ["a__call", "b__call"]


def test_ids_still_equal_are_hashed_for_every_member_of_the_group(tmp_path: Path) -> None:
    root = tmp_path / "in"
    _write(root / "call.wav", "x")
    _write(root / "call.flac", "y")
    ids = [c.call_id for c in discover([root]).calls]
    assert len(set(ids)) == 2 and all(i.startswith("call-") for i in ids)
    assert ids == [c.call_id for c in discover([root]).calls]  # deterministic


def test_a_different_recording_never_replaces_another_calls_record(tmp_path: Path) -> None:
    out, settings = tmp_path / "out", Settings(work_dir=tmp_path)
    _write(tmp_path / "day1" / "sale.transcript.json", SALE)
    _score_all(tmp_path / "day1", out, settings)
    original = (out / "records" / "sale.json").read_text()
    other = dict(SALE, turns=SALE["turns"][:2])
    _write(tmp_path / "day2" / "sale.transcript.json", other)
    outcome = _score_all(tmp_path / "day2", out, settings)["sale"]
    assert outcome.error == "id_conflict" and "belongs to another recording" in (outcome.message or "")
    assert (out / "records" / "sale.json").read_text() == original
    # the same bytes moved to another folder are the same call: kept, path updated
    moved = tmp_path / "day3" / "sale.transcript.json"
    moved.parent.mkdir()
    (tmp_path / "day1" / "sale.transcript.json").rename(moved)
    assert _score_all(tmp_path / "day3", out, settings)["sale"].skipped


# ---------------------------------------------------------------- issue 10: odd inputs

def test_a_symlink_loop_named_on_the_command_line_gets_a_record(tmp_path: Path) -> None:
    """Regression: discovery crashed (RuntimeError: Symlink loop), no record at all."""
    loop = tmp_path / "loop.wav"
    os.symlink(loop, loop)
    found = discover([loop])
    (call,) = found.calls
    assert call.problem is not None and call.problem[0] == "symlink_loop"
    outcome = score_call(call, tmp_path / "out", Settings(work_dir=tmp_path), cached_policy(None), _steps(tmp_path / "out", Settings(work_dir=tmp_path)))
    assert outcome.error == "symlink_loop"
    assert read_record(record_path(tmp_path / "out", "loop")) is not None


def test_a_link_out_of_the_input_folders_is_refused_unread(tmp_path: Path) -> None:
    root = tmp_path / "in"
    root.mkdir()
    os.symlink("/etc/passwd", root / "passwd.wav")
    _write(root / "inside.vtt", VTT)
    os.symlink(root / "inside.vtt", root / "alias.vtt")  # a link inside the folder is the same file: met once
    found = discover([root])
    by_id = {c.call_id: c for c in found.calls}
    assert set(by_id) == {"passwd", "alias"} or set(by_id) == {"passwd", "inside"}
    assert by_id["passwd"].problem is not None and by_id["passwd"].problem[0] == "outside_input"
    outcomes = _score_all(root, tmp_path / "out", Settings(work_dir=tmp_path))
    assert outcomes["passwd"].error == "outside_input"
    record = read_record(record_path(tmp_path / "out", "passwd"))
    assert record is not None and record.audio.sha256 is None and record.audio.path == str(root / "passwd.wav")


def test_a_245_byte_file_name_gets_a_record_with_a_short_temp_name(tmp_path: Path) -> None:
    """Regression: a stem of 242+ bytes overflowed the temporary file name (internal_error)."""
    root = tmp_path / "in"
    name = "a" * (245 - len(".vtt")) + ".vtt"
    _write(root / name, VTT)
    outcomes = _score_all(root, tmp_path / "out", Settings(work_dir=tmp_path))
    (call_id, outcome), = outcomes.items()
    assert outcome.status == "scored" and len(call_id.encode()) <= 140
    assert read_record(record_path(tmp_path / "out", call_id)) is not None


def test_write_record_uses_a_short_temp_name_and_fsyncs_the_folder(tmp_path: Path, monkeypatch) -> None:
    from callqa import record as record_module

    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(record_module.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    settings = Settings(work_dir=tmp_path)
    _write(tmp_path / "in" / ("b" * 241 + ".vtt"), VTT)
    (call,) = discover([tmp_path / "in"]).calls
    score_call(call, tmp_path / "out", settings, cached_policy(None), _steps(tmp_path / "out", settings))
    assert len(synced) >= 2  # the file, then its directory


def test_stale_temporaries_are_cleaned_young_ones_kept(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    old, legacy, young = folder / ".callqa-abc.tmp", folder / ".call-1.x1y2.tmp", folder / ".callqa-new.tmp"
    for p in (old, legacy, young):
        p.write_text("{")
    past = time.time() - 3600
    os.utime(old, (past, past))
    os.utime(legacy, (past, past))
    assert sorted(clean_stale_temporaries(folder)) == sorted([old, legacy])
    assert young.exists() and not old.exists()


def test_disk_full_is_recognised_through_wrappers() -> None:
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as exc:
            raise RuntimeError("task failed") from exc
    except RuntimeError as wrapped:
        assert is_disk_full(wrapped)
    assert not is_disk_full(OSError(errno.EACCES, "denied"))


# ---------------------------------------------------------------- review app

def test_review_app_has_no_player_for_a_transcript_and_serves_the_redacted_copy(tmp_path: Path) -> None:
    import numpy as np
    import soundfile as sf
    from fastapi.testclient import TestClient

    from callqa.store.db import default_url, open_store
    from callqa.store.write import save_record
    from callqa.web.app import ServeConfig, create_app
    from store_data import as_record
    from test_web import BASE, make_record

    recordings, out = tmp_path / "recordings", tmp_path / "out"
    recordings.mkdir()
    original = recordings / "voiced.wav"
    sf.write(original, (np.random.default_rng(0).standard_normal(8000) * 0.05).astype(np.float32), 8000)
    (out / "redacted-audio").mkdir(parents=True)
    copy = out / "redacted-audio" / "voiced.wav"
    sf.write(copy, np.zeros(4000, dtype=np.float32), 16000)
    typed = make_record("typed", recordings / "typed.transcript.json", "Ann", "2026-11-02")
    typed.update(source="transcript", speakers={"method": "given", "agent_channel": None, "confidence": 1.0})
    store = open_store(default_url(tmp_path))
    with store.session() as session:
        save_record(session, as_record(typed), record_path=out / "records" / "typed.json")
        save_record(session, as_record(make_record("voiced", original, "Ann", "2026-11-02")), record_path=out / "records" / "voiced.json")
        save_record(session, as_record(make_record("plain", original, "Ann", "2026-11-02")), record_path=out / "records" / "plain.json")
    store.close()
    client = TestClient(create_app(ServeConfig(default_url(tmp_path), (recordings,))), base_url=BASE)
    page = client.get("/calls/typed")
    assert page.status_code == 200 and "<audio" not in page.text and "given in the transcript" in page.text
    assert client.get("/calls/typed/audio").status_code == 404
    assert "<audio" in client.get("/calls/voiced").text
    assert client.get("/calls/voiced/audio").content == copy.read_bytes()
    assert client.get("/calls/plain/audio").content == original.read_bytes()


def test_redact_audio_writes_a_silenced_copy_named_in_the_record(tmp_path: Path) -> None:
    import numpy as np
    import soundfile as sf

    from callqa.speech.audio import SAMPLE_RATE
    from callqa.speech.privacy import write_redacted_audio

    source = tmp_path / "call.wav"
    sf.write(source, (np.ones(SAMPLE_RATE * 3) * 0.5).astype(np.float32), SAMPLE_RATE)
    path = write_redacted_audio(source, tmp_path / "out", "call", ({"start": 1.0, "end": 1.5},))
    assert path == tmp_path / "out" / "redacted-audio" / "call.wav"
    data, rate = sf.read(path)
    assert rate == SAMPLE_RATE and np.all(data[int(1.2 * rate):int(1.4 * rate)] == 0) and abs(data[int(2.5 * rate)]) > 0.4


def test_score_call_asks_for_the_redacted_copy_and_names_it(tmp_path: Path) -> None:
    from dataclasses import replace

    settings = Settings(work_dir=tmp_path, redact_audio=True)
    path = _write(tmp_path / "in" / "sale.transcript.json", SALE)
    asked: list[tuple] = []
    base = _steps(tmp_path / "out", settings)

    def transcribe(call_id, p, sha):
        result = transcribe_input(call_id, p, settings, _no_audio)
        return replace(result, source="audio"), False  # as if it came from a recording

    def redact_audio(p, call_id, spans):
        asked.append((call_id, spans))
        target = tmp_path / "out" / "redacted-audio" / f"{call_id}.wav"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"RIFF")
        return target

    steps = replace(base, transcribe=transcribe, redact_audio=redact_audio)
    (call,) = discover([path.parent]).calls
    score_call(call, tmp_path / "out", settings, cached_policy(None), steps)
    record = read_record(record_path(tmp_path / "out", "sale"))
    assert record is not None and record.audio.redacted_path == str(tmp_path / "out" / "redacted-audio" / "sale.wav")
    assert asked and asked[0][0] == "sale" and len(asked[0][1]) == 3 and set(asked[0][1][0]) == {"start", "end"}


def test_a_record_file_that_is_not_utf8_is_no_record(tmp_path: Path) -> None:
    """Regression: read_record let UnicodeDecodeError through, so a stray binary file named like
    a call in records/ broke that call instead of being redone."""
    path = tmp_path / "records" / "x.json"
    path.parent.mkdir()
    path.write_bytes(b"\xff\xfe{")
    assert read_record(path) is None
