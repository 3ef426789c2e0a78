"""One call, start to record, as plain functions: the per-call task in flows.score is a thin
wrapper that hands in its Prefect-run steps (cached transcription, analysis, the write), and the
tests hand in plain ones.

Skip what is done, keep a done record in step with a moved file or new metadata, transcribe
(or take the cached transcript), analyse, and write a record, failed with a clear code when
anything goes wrong, so every input ends with one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from callqa import __version__
from callqa.metadata import CallMetadata, Manifest, MetadataError, resolve
from callqa.record import (
    AsrPart,
    AudioPart,
    CallRecord,
    ErrorInfo,
    Processing,
    Redaction,
    Speakers,
    Versions,
    Warning,
    analysis_fields,
    analysis_warnings,
    is_done,
    now,
    read_record,
    record_path,
    SCHEMA_VERSION,
)
from callqa.settings import Settings
from callqa.speech.audio import AudioError, AudioInfo, file_sha256
from callqa.speech.given import given_metadata, is_transcript_input, read_transcript
from callqa.speech.privacy import redact_transcription
from callqa.speech.transcription import CallTranscription
from flows.discover import CallInput
from flows.summary import CallOutcome, outcome
from nlp.contract import load
from nlp.findings import CallAnalysis
from nlp.phrases import rules_hash
from nlp.policy import Policy

LOW_SPEAKER_CONFIDENCE = 0.6


@dataclass(frozen=True)
class CallFailure:
    """A fact about the file, returned (and cached) by the transcription step instead of raised."""

    code: str
    message: str


def analysis_key(settings: Settings, policy: Policy) -> str:
    """What the analysis depends on beyond the transcript: a change re-analyses, it does not re-transcribe."""
    return f"{__version__}:{rules_hash()}:{policy.source_hash}:{settings.sentiment_model_dir or 'default'}"


# ---------------------------------------------------------------- building records

def warnings_for(result: CallTranscription) -> tuple[Warning, ...]:
    """Things a reviewer should know before trusting the transcript."""
    found = []
    for ch in result.channels:
        if ch.vad.low_coverage:
            found.append(Warning(
                "LOW_VAD_COVERAGE",
                f"{ch.channel} channel: the VAD kept {ch.vad.coverage:.0%} of the "
                f"{ch.vad.energy_speech_s:.0f} s that sound voiced; speech may be missing from the transcript",
            ))
    found.extend(Warning("ONE_VOICE", message) for message in result.speakers.warnings)
    if result.speakers.confidence < LOW_SPEAKER_CONFIDENCE:
        found.append(Warning(
            "LOW_SPEAKER_CONFIDENCE",
            f"agent/customer roles are uncertain ({result.speakers.confidence:.2f}): {result.speakers.reason}",
        ))
    return tuple(found)


def _versions(asr: dict | None, analysis: CallAnalysis | None = None) -> Versions:
    info = analysis.info if analysis else None
    return Versions(
        callqa=__version__,
        schema=SCHEMA_VERSION,
        asr_backend=asr.get("backend") if asr else None,
        asr_model=asr.get("model") if asr else None,
        nlp_models=dict(info.nlp_models) if info else {},
        policy=info.policy if info else None,
        policy_hash=info.policy_hash if info else None,
        rules_hash=info.rules_hash if info else None,
    )


def transcribe_input(
    call_id: str, path: Path, settings: Settings, transcribe_audio: Callable[[Path, Settings, str], CallTranscription]
) -> CallTranscription:
    """The call's transcription, from its recording (`transcribe_audio`) or its transcript file,
    PII-redacted unless settings.redact is off: this is the result Prefect caches, so nothing
    downstream (cache, analysis, record, store, exports) ever sees the raw values. AudioError
    for a file that cannot be used."""
    result = read_transcript(path, settings, call_id) if is_transcript_input(path) else transcribe_audio(path, settings, call_id)
    return redact_transcription(result) if settings.redact else result


def _transcription_parts(result: CallTranscription) -> dict:
    """The record's fields that come from the transcription."""
    return {
        "audio": load(AudioPart, result.audio.to_dict(), "audio"),
        "speakers": load(Speakers, result.speakers.to_dict(), "speakers"),
        "transcript": result.transcript.segments,
        "asr": load(AsrPart, result.asr | {"channels": [c.to_dict() for c in result.channels]}, "asr"),
        "source": result.source,
        "redactions": tuple(load(Redaction, r, "redactions") for r in result.redactions),
    }


def scored_record(result: CallTranscription, settings: Settings, analysis: CallAnalysis, key: str, metadata: CallMetadata) -> CallRecord:
    return CallRecord(
        schema_version=SCHEMA_VERSION,
        call_id=result.call_id,
        status="scored",
        error=None,
        **_transcription_parts(result),
        **analysis_fields(analysis),
        warnings=warnings_for(result) + analysis_warnings(analysis),
        versions=_versions(result.asr, analysis),
        processing=Processing(
            finished_at=now(),
            transcription_s=round(result.elapsed_s, 2),
            analysis_s=analysis.info.seconds,
            settings_key=settings.transcription_key(),
            analysis_key=key,
        ),
        metadata=metadata.to_dict(),
    )


def failed_record(
    call_id: str,
    path: Path,
    code: str,
    message: str,
    settings: Settings,
    metadata: CallMetadata,
    audio: AudioInfo | None = None,
    sha256: str | None = None,
    partial: CallTranscription | None = None,
) -> CallRecord:
    """A call that could not be scored. When transcription worked but analysis failed, the
    transcript is kept (`partial`), so nothing a reviewer could use is thrown away."""
    if partial is not None:
        parts = _transcription_parts(partial)
    else:
        info = audio.to_dict() if audio else {"path": str(path), "sha256": sha256, "duration_s": None, "sample_rate": None, "channels": None}
        parts = {"audio": load(AudioPart, info, "audio"), "speakers": None, "transcript": (), "asr": None,
                 "source": "transcript" if is_transcript_input(path) else "audio"}
    return CallRecord(
        schema_version=SCHEMA_VERSION,
        call_id=call_id,
        status="failed",
        error=ErrorInfo(code, message),
        **parts,
        **analysis_fields(None),
        warnings=(),
        versions=_versions(None),
        processing=Processing(finished_at=now(), settings_key=settings.transcription_key()),
        metadata=metadata.to_dict(),
    )


# ---------------------------------------------------------------- one call

@dataclass(frozen=True)
class CallSteps:
    """The heavy steps of a call, handed in by the caller (Prefect tasks in the flow, plain
    functions in tests). `transcribe` returns the transcription (or a CallFailure) and whether
    it came from the cache."""

    transcribe: Callable[[str, Path, str], tuple[CallTranscription | CallFailure, bool]]
    analyse: Callable[[CallTranscription], CallAnalysis]
    write: Callable[[CallRecord], object]
    # --redact-audio: (recording, call_id, masked spans) -> the silenced copy's path
    redact_audio: Callable[[Path, str, tuple[dict, ...]], Path] | None = None


def call_metadata(call: CallInput, previous: CallRecord | None, manifest: Manifest | None, pattern: re.Pattern[str] | None) -> tuple[CallMetadata, str | None]:
    """The call's metadata, and what was wrong with its file name when the pattern did not fit."""
    try:
        before = previous.call_metadata() if previous else None
    except MetadataError:
        before = None  # a hand-edited record with bad metadata: the manifest and pattern still apply
    try:
        found, problem = resolve(call.call_id, call.path, manifest, pattern, before), None
    except MetadataError as exc:
        found, problem = resolve(call.call_id, call.path, manifest, None, before), str(exc)
    given = given_metadata(call.path) if is_transcript_input(call.path) else None
    if given is not None:
        # the transcript file's own metadata sits under a manifest entry, over the file-name pattern
        entry = (manifest.lookup(call.call_id, call.path) if manifest else None) or CallMetadata()
        found = entry.merged_over(given.merged_over(found))
    return found, problem


def id_conflict(previous: CallRecord | None, call: CallInput, sha: str | None) -> str | None:
    """Why the record already at this call id belongs to another recording (other bytes AND
    another path), or None. Such an input fails instead of replacing that call's record."""
    if previous is None or previous.audio.path in (None, str(call.path)) or previous.audio.sha256 in (None, sha):
        return None
    return (
        f"the record {call.call_id}.json belongs to another recording ({previous.audio.path}, other content): "
        f"{call.path} is not scored over it; rename one of the files, or delete the old record (callqa forget) if that recording is gone"
    )


def _redacted_copy(previous: CallRecord, settings: Settings, steps: CallSteps) -> bool:
    """True when --redact-audio asks for a silenced copy this scored audio call does not have yet."""
    if not settings.redact_audio or steps.redact_audio is None or previous.source != "audio" or previous.status != "scored":
        return False
    return previous.audio.redacted_path is None or not Path(previous.audio.redacted_path).is_file()


def _with_redacted_audio(record: CallRecord, call: CallInput, settings: Settings, steps: CallSteps) -> CallRecord:
    """The record with its --redact-audio copy written and named; a failure is a warning (the
    review app then has no redacted copy to serve)."""
    if not _redacted_copy(record, settings, steps):
        return record
    assert steps.redact_audio is not None
    spans = tuple({"start": r.start, "end": r.end} for r in record.redactions)
    try:
        path = steps.redact_audio(call.path, record.call_id, spans)
    except Exception as exc:  # noqa: BLE001  the scored record stands; the copy is reported missing
        return replace(record, warnings=(*record.warnings, Warning("REDACTED_AUDIO_FAILED", f"no redacted copy: {type(exc).__name__}: {exc}")))
    return replace(record, audio=replace(record.audio, redacted_path=str(path)))


def _keep_done(previous: CallRecord, call: CallInput, metadata: CallMetadata, settings: Settings, steps: CallSteps) -> CallRecord:
    """A done record, rewritten only when its metadata changed or its recording moved (a new
    manifest or pattern, or the same recording now in another folder), so the store follows."""
    if previous.metadata != metadata.to_dict() or previous.audio.path != str(call.path) or _redacted_copy(previous, settings, steps):
        previous = _with_redacted_audio(previous.with_metadata(metadata).with_audio_path(call.path), call, settings, steps)
        steps.write(previous)
    return previous


def score_call(
    call: CallInput,
    out_dir: Path,
    settings: Settings,
    policy: Policy,
    steps: CallSteps,
    manifest: Manifest | None = None,
    pattern: re.Pattern[str] | None = None,
) -> CallOutcome:
    """One call, start to record (written through `steps.write`; the earlier one when it still holds)."""
    previous = read_record(record_path(out_dir, call.call_id))
    if call.problem is not None:
        # refused by discovery (a symlink out of the input folders, a symlink loop): never read
        if (why := id_conflict(previous, call, None)) is not None:
            return CallOutcome(call.call_id, "failed", error="id_conflict", message=why)
        record = failed_record(call.call_id, call.path, call.problem[0], call.problem[1], settings, CallMetadata())
        steps.write(record)
        return outcome(record)
    metadata, problem = call_metadata(call, previous, manifest, pattern)
    try:
        sha = file_sha256(call.path) if call.path.is_file() else None
    except OSError as exc:
        sha, unreadable = None, exc
    else:
        unreadable = None
    if (why := id_conflict(previous, call, sha)) is not None:
        return CallOutcome(call.call_id, "failed", error="id_conflict", message=why)
    if unreadable is not None:
        record = failed_record(call.call_id, call.path, "unreadable_file", str(unreadable), settings, metadata)
        steps.write(record)
        return outcome(record, metadata_problem=problem)
    key = analysis_key(settings, policy)
    if sha is not None and is_done(previous, sha, settings.transcription_key(), key):
        assert previous is not None  # is_done says so; for the type checker
        return outcome(_keep_done(previous, call, metadata, settings, steps), skipped=True, metadata_problem=problem)
    record, audio_s, cached = _transcribe_and_analyse(call, sha, settings, metadata, key, steps)
    if record.status == "scored":
        record = _with_redacted_audio(record, call, settings, steps)
    steps.write(record)
    return outcome(record, audio_s=audio_s, cached=cached, metadata_problem=problem)


def _transcribe_and_analyse(
    call: CallInput, sha: str | None, settings: Settings, metadata: CallMetadata, key: str, steps: CallSteps
) -> tuple[CallRecord, float, bool]:
    """The call's record (scored or failed), audio seconds transcribed now, and whether the
    transcript came from the cache."""
    result: CallTranscription | None = None
    try:
        if sha is None:
            raise AudioError("file_not_found", f"{call.path} does not exist or is not a file")
        transcribed, cached = steps.transcribe(call.call_id, call.path, sha)
        if isinstance(transcribed, CallFailure):
            raise AudioError(transcribed.code, transcribed.message)
        result = transcribed
        if result.audio.path != str(call.path):
            # a cached transcript of the same bytes read from another folder: the record (and the
            # review app's audio player) must name the file that is here now
            result = replace(result, audio=replace(result.audio, path=str(call.path)))
        record = scored_record(result, settings, steps.analyse(result), key, metadata)
        return record, (0.0 if cached else result.audio.duration_s or 0.0), cached
    except AudioError as exc:
        return failed_record(call.call_id, call.path, exc.code, exc.message, settings, metadata, sha256=sha), 0.0, False
    except Exception as exc:  # noqa: BLE001  one broken call must not stop the batch
        code = "analysis_error" if result is not None else "internal_error"
        record = failed_record(call.call_id, call.path, code, f"{type(exc).__name__}: {exc}", settings, metadata, sha256=sha, partial=result)
        return record, 0.0, False
