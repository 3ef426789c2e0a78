"""flows.call.score_call, the per-call body, as a plain function: steps handed in, no Prefect."""

from __future__ import annotations

from pathlib import Path

import pytest

from callqa.record import is_done, read_record, record_path, write_record
from callqa.settings import Settings
from flows.call import CallFailure, CallSteps, analysis_key, score_call
from flows.discover import CallInput
from nlp.policy import cached_policy


def _steps(out: Path, transcribe, calls: list[str]) -> CallSteps:
    def counted(call_id: str, path: Path, sha: str):
        calls.append(call_id)
        return transcribe(call_id, path, sha)

    def analyse(result):
        raise AssertionError("not reached in these tests")

    return CallSteps(transcribe=counted, analyse=analyse, write=lambda record: write_record(out, record))


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "call-1.wav"
    path.parent.mkdir()
    path.write_bytes(b"RIFF not really audio")
    return path


def test_a_missing_file_gets_a_failed_record(tmp_path: Path) -> None:
    calls: list[str] = []
    out = score_call(CallInput("gone", tmp_path / "gone.wav"), tmp_path, Settings(work_dir=tmp_path), cached_policy(None),
                     _steps(tmp_path, lambda *a: None, calls))
    record = read_record(record_path(tmp_path, "gone"))
    assert out.status == "failed" and out.error == "file_not_found" and calls == []
    assert record is not None and record.error is not None and record.error.code == "file_not_found"


def test_a_fact_about_the_file_is_a_failed_record_and_a_rerun_skips_it(tmp_path: Path, recording: Path) -> None:
    settings, policy, calls = Settings(work_dir=tmp_path), cached_policy(None), []
    steps = _steps(tmp_path, lambda *a: (CallFailure("not_audio", "the file holds text"), False), calls)
    first = score_call(CallInput("call-1", recording), tmp_path, settings, policy, steps)
    assert (first.status, first.error, first.skipped) == ("failed", "not_audio", False)
    record = read_record(record_path(tmp_path, "call-1"))
    assert record is not None and is_done(record, record.audio.sha256 or "", settings.transcription_key(), analysis_key(settings, policy))
    again = score_call(CallInput("call-1", recording), tmp_path, settings, policy, steps)
    assert again.skipped and calls == ["call-1"]  # not transcribed a second time


def test_a_crash_in_a_step_is_an_internal_error_retried_next_time(tmp_path: Path, recording: Path) -> None:
    def boom(*args):
        raise RuntimeError("worker died")

    settings, policy, calls = Settings(work_dir=tmp_path), cached_policy(None), []
    out = score_call(CallInput("call-1", recording), tmp_path, settings, policy, _steps(tmp_path, boom, calls))
    record = read_record(record_path(tmp_path, "call-1"))
    assert out.error == "internal_error" and record is not None and "worker died" in record.error.message
    again = score_call(CallInput("call-1", recording), tmp_path, settings, policy, _steps(tmp_path, boom, calls))
    assert not again.skipped and calls == ["call-1", "call-1"]
