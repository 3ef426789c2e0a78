"""The per-call record (schema v1, see ARCHITECTURE.md): build it, write it atomically, read it."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from callqa import __version__
from callqa.speech.audio import AudioInfo
from callqa.settings import Settings
from callqa.speech.transcription import CallTranscription

SCHEMA_VERSION = "1"
LOW_SPEAKER_CONFIDENCE = 0.6
# Failures worth trying again on a rerun; the others are facts about the file's bytes.
RETRYABLE_ERRORS = frozenset({"internal_error", "analysis_error"})


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _empty_analysis() -> dict:
    """Analysis fields before the NLP stages have run on the call."""
    return {
        "need": None,
        "offers": [],
        "closing_attempts": None,
        "sentiment": None,
        "flags": [],
        "score": None,
    }


def _versions(asr: dict | None, analysis: dict | None = None) -> dict:
    meta = (analysis or {}).get("analysis") or {}
    return {
        "callqa": __version__,
        "schema": SCHEMA_VERSION,
        "asr_backend": asr.get("backend") if asr else None,
        "asr_model": asr.get("model") if asr else None,
        "nlp_models": meta.get("nlp_models", {}),
        "policy": meta.get("policy"),
        "policy_hash": meta.get("policy_hash"),
        "rules_hash": meta.get("rules_hash"),  # nlp/rules/*.yaml: which rule set produced the evidence
    }


def warnings_for(result: CallTranscription) -> list[dict]:
    """Things a reviewer should know before trusting the transcript."""
    found = []
    for ch in result.channels:
        if ch.vad.low_coverage:
            found.append(
                {
                    "code": "LOW_VAD_COVERAGE",
                    "message": f"{ch.channel} channel: the VAD kept {ch.vad.coverage:.0%} of the "
                    f"{ch.vad.energy_speech_s:.0f} s that sound voiced; speech may be missing from the transcript",
                }
            )
    for message in result.speakers.warnings:
        found.append({"code": "ONE_VOICE", "message": message})
    if result.speakers.confidence < LOW_SPEAKER_CONFIDENCE:
        found.append(
            {
                "code": "LOW_SPEAKER_CONFIDENCE",
                "message": f"agent/customer roles are uncertain ({result.speakers.confidence:.2f}): {result.speakers.reason}",
            }
        )
    return found


def scored_record(result: CallTranscription, settings: Settings, analysis: dict | None, analysis_key: str) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "call_id": result.call_id,
        "status": "scored",
        "error": None,
        "audio": result.audio.to_dict(),
        "speakers": result.speakers.to_dict(),
        "transcript": result.transcript.to_list(),
        **{k: v for k, v in (analysis or _empty_analysis()).items() if k != "analysis"},
        "warnings": warnings_for(result),
        "asr": result.asr | {"channels": [c.to_dict() for c in result.channels]},
        "versions": _versions(result.asr, analysis),
        "processing": {
            "finished_at": _now(),
            "transcription_s": round(result.elapsed_s, 2),
            "analysis_s": ((analysis or {}).get("analysis") or {}).get("seconds"),
            "settings_key": settings.transcription_key(),
            "analysis_key": analysis_key,
        },
    }


def failed_record(
    call_id: str,
    path: Path,
    code: str,
    message: str,
    settings: Settings,
    audio: AudioInfo | None = None,
    sha256: str | None = None,
    partial: CallTranscription | None = None,
) -> dict:
    """A call that could not be scored. When transcription worked but analysis failed, the
    transcript is kept (`partial`), so nothing a reviewer could use is thrown away."""
    audio_dict = (
        audio.to_dict() if audio else partial.audio.to_dict() if partial
        else {"path": str(path), "sha256": sha256, "duration_s": None, "sample_rate": None, "channels": None}
    )
    return {
        "schema_version": SCHEMA_VERSION,
        "call_id": call_id,
        "status": "failed",
        "error": {"code": code, "message": message},
        "audio": audio_dict,
        "speakers": partial.speakers.to_dict() if partial else None,
        "transcript": partial.transcript.to_list() if partial else [],
        **_empty_analysis(),
        "warnings": [],
        "asr": (partial.asr | {"channels": [c.to_dict() for c in partial.channels]}) if partial else None,
        "versions": _versions(None),
        "processing": {"finished_at": _now(), "settings_key": settings.transcription_key()},
    }


def record_path(out_dir: Path, call_id: str) -> Path:
    return out_dir / "records" / f"{call_id}.json"


def write_record(out_dir: Path, record: dict) -> Path:
    """Temp file in the same directory, then rename: readers never see half a record."""
    target = record_path(out_dir, record["call_id"])
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{record['call_id']}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(record, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def read_record(path: Path) -> dict | None:
    """The record at path, or None when it is missing or unreadable (then the call is redone)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def is_done(record: dict | None, sha256: str, settings: Settings, analysis_key: str) -> bool:
    """True when a rerun can keep this record: same audio bytes, same settings, a final status."""
    if record is None or record.get("schema_version") != SCHEMA_VERSION:
        return False
    if (record.get("audio") or {}).get("sha256") != sha256:
        return False
    processing = record.get("processing") or {}
    if processing.get("settings_key") != settings.transcription_key():
        return False
    if record.get("status") == "scored" and processing.get("analysis_key") != analysis_key:
        return False  # same transcript, new policy or sentiment model: analyse again
    if record.get("status") == "failed":
        return (record.get("error") or {}).get("code") not in RETRYABLE_ERRORS
    return record.get("status") == "scored"
