"""The per-call record (schema v1, ../shared/ARCHITECTURE.md) as a typed contract.

One light module: frozen dataclasses for the record and its parts, their JSON form
(`to_dict` / `from_dict`, validated on load), where records live, atomic writes, and when a
rerun may keep a record (`is_done`). The store, the flows, the CLI, the evaluation and the
review app read records through this module; importing it loads no ASR or NLP model code.
Building a record from a transcription and an analysis happens in flows.call.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from callqa.metadata import CallMetadata, MetadataError
from nlp.contract import OMIT_NONE, ContractError, dump, load
from nlp.findings import CallAnalysis, ClosingAttempts, FlagPart, NeedPart, OfferPart, ScorePart, SentimentPart, TranscriptQualityPart
from nlp.transcript import Segment
from nlp.vocabulary import RecordStatus, Role

SCHEMA_VERSION = "1"
# Failures worth trying again on a rerun; the others are facts about the file's bytes.
RETRYABLE_ERRORS = frozenset({"internal_error", "analysis_error"})


class RecordError(ValueError):
    """A record that is not schema v1 or does not fit the contract; the message names the field."""


@dataclass(frozen=True)
class ErrorInfo:
    code: str
    message: str


@dataclass(frozen=True)
class AudioPart:
    path: str | None
    sha256: str | None
    size_bytes: int | None = field(default=None, metadata=OMIT_NONE)
    duration_s: float | None = None
    sample_rate: int | None = None
    channels: int | None = None
    codec: str | None = field(default=None, metadata=OMIT_NONE)
    # --redact-audio: a copy with silence over the masked spans, served by the review app instead
    redacted_path: str | None = field(default=None, metadata=OMIT_NONE)


@dataclass(frozen=True)
class Redaction:
    """A masked span of the transcript: its kind and where, never the value."""

    type: str
    segment_id: str | None
    start: float
    end: float


@dataclass(frozen=True)
class SpeakerCue:
    """A phrase that pointed to a role, from the speaker-role rules."""

    segment_id: str
    points_to: Role
    rule: str
    weight: float
    quote: str
    start: float
    end: float


@dataclass(frozen=True, kw_only=True)
class Speakers:
    method: Literal["channel", "text", "voice", "given"]
    agent_channel: str | None
    confidence: float
    reason: str = ""
    evidence: tuple[SpeakerCue, ...] = ()
    voices: int | None = field(default=None, metadata=OMIT_NONE)  # mono: voices heard
    segment_confidence: dict[str, float] | None = field(default=None, metadata=OMIT_NONE)  # mono: per segment
    warnings: tuple[str, ...] | None = field(default=None, metadata=OMIT_NONE)


@dataclass(frozen=True)
class Warning:
    code: str
    message: str


@dataclass(frozen=True)
class VadPart:
    threshold: float
    speech_s: float
    energy_speech_s: float
    coverage: float
    low_coverage: bool
    retried: bool


@dataclass(frozen=True)
class DroppedPart:
    """A segment the hallucination guard dropped, and why."""

    channel: str
    start: float
    end: float
    text: str
    reason: str
    rule: str


@dataclass(frozen=True)
class ChannelPart:
    channel: str
    vad: VadPart
    segments: int
    dropped: tuple[DroppedPart, ...]


@dataclass(frozen=True)
class AsrPart:
    backend: str
    model: str
    model_source: str
    compute_type: str
    language: str | None
    beam_size: int
    vad: bool
    settings_key: str
    channels: tuple[ChannelPart, ...]
    # a transcript input: "timed" (times from the file) or "order_only" (one synthetic second per turn)
    transcript_timing: str | None = field(default=None, metadata=OMIT_NONE)


@dataclass(frozen=True, kw_only=True)
class Versions:
    callqa: str
    schema: str = SCHEMA_VERSION
    asr_backend: str | None = None
    asr_model: str | None = None
    nlp_models: dict[str, str | None] = field(default_factory=dict)
    policy: str | None = None
    policy_hash: str | None = None
    rules_hash: str | None = None  # nlp/rules/*.yaml: which rule set produced the evidence


@dataclass(frozen=True)
class Processing:
    finished_at: str
    transcription_s: float | None = field(default=None, metadata=OMIT_NONE)
    analysis_s: float | None = field(default=None, metadata=OMIT_NONE)
    settings_key: str | None = None
    analysis_key: str | None = field(default=None, metadata=OMIT_NONE)


@dataclass(frozen=True, kw_only=True)
class CallRecord:
    schema_version: str
    call_id: str
    status: RecordStatus
    error: ErrorInfo | None
    audio: AudioPart
    speakers: Speakers | None
    transcript: tuple[Segment, ...]
    need: NeedPart | None
    offers: tuple[OfferPart, ...]
    closing_attempts: ClosingAttempts | None
    sentiment: SentimentPart | None
    flags: tuple[FlagPart, ...]
    score: ScorePart | None
    warnings: tuple[Warning, ...] = ()
    transcript_quality: TranscriptQualityPart | None = field(default=None, metadata=OMIT_NONE)
    asr: AsrPart | None = None
    versions: Versions
    processing: Processing
    metadata: dict[str, str | None] = field(default_factory=dict)
    source: Literal["audio", "transcript"] = "audio"  # a transcript input (.transcript.json, .vtt) has no audio
    redactions: tuple[Redaction, ...] = ()  # PII masked in the transcript (type and span, never the value)

    def __post_init__(self) -> None:
        if self.schema_version != SCHEMA_VERSION:
            raise RecordError(f"record {self.call_id}: schema_version {self.schema_version!r}, this callqa reads {SCHEMA_VERSION!r}")
        if self.status == "failed" and self.error is None:
            raise RecordError(f"record {self.call_id}: a failed record needs an error")

    def to_dict(self) -> dict:
        return dump(self)

    @classmethod
    def from_dict(cls, data: object, where: str = "record") -> CallRecord:
        """A record read from JSON, checked against the contract (RecordError names the bad field)."""
        if isinstance(data, dict) and data.get("schema_version") != SCHEMA_VERSION:
            raise RecordError(f"{where}: schema_version {data.get('schema_version')!r}, this callqa reads {SCHEMA_VERSION!r}")
        try:
            return load(cls, data, where)
        except ContractError as exc:
            raise RecordError(str(exc)) from exc

    @property
    def flag_codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.flags)

    @property
    def review_flags(self) -> tuple[FlagPart, ...]:
        """Flags too unsure to count in the score, waiting for a reviewer."""
        return tuple(f for f in self.flags if f.status == "needs_review")

    @property
    def needs_review(self) -> bool:
        """Whether a reviewer should look before the score is trusted: unsure flags or a poor transcript."""
        return bool(self.review_flags) or any(w.code == "LOW_TRANSCRIPT_QUALITY" for w in self.warnings)

    @property
    def score_value(self) -> float | None:
        return self.score.value if self.score else None

    def call_metadata(self) -> CallMetadata:
        """The record's metadata as CallMetadata (MetadataError if a hand edit broke it)."""
        return CallMetadata.from_dict(self.metadata, f"record {self.call_id}: metadata")

    def with_metadata(self, metadata: CallMetadata) -> CallRecord:
        return replace(self, metadata=metadata.to_dict())

    def with_audio_path(self, path: Path) -> CallRecord:
        return replace(self, audio=replace(self.audio, path=str(path)))


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def analysis_fields(analysis: CallAnalysis | None) -> dict:
    """The record's analysis fields: the findings, or empty ones before analysis has run."""
    if analysis is None:
        return {"need": None, "offers": (), "closing_attempts": None, "sentiment": None, "flags": (), "score": None}
    return {
        "transcript_quality": analysis.transcript_quality,
        "need": analysis.need,
        "offers": analysis.offers,
        "closing_attempts": analysis.closing_attempts,
        "sentiment": analysis.sentiment,
        "flags": analysis.flags,
        "score": analysis.score,
    }


def analysis_warnings(analysis: CallAnalysis | None) -> tuple[Warning, ...]:
    """Warnings the analysis raises about the call (LOW_TRANSCRIPT_QUALITY)."""
    if analysis is None or analysis.quality_warning is None:
        return ()
    return (Warning("LOW_TRANSCRIPT_QUALITY", analysis.quality_warning),)


def record_path(out_dir: Path, call_id: str) -> Path:
    return out_dir / "records" / f"{call_id}.json"


TEMP_PREFIX = ".callqa-"
TEMP_SUFFIX = ".tmp"
STALE_TEMP_S = 60.0


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (a crash right after os.replace must not lose it)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # not supported here (e.g. some network file systems): the rename itself is atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(target: Path, data: bytes) -> Path:
    """Temp file in the same directory (a short name, whatever the target's length), fsync,
    rename, fsync the directory: readers never see half a file, a crash never loses a rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)
    return target


def write_record(out_dir: Path, record: CallRecord) -> Path:
    """The record as JSON, written atomically (atomic_write_bytes)."""
    text = json.dumps(record.to_dict(), indent=2, ensure_ascii=False) + "\n"
    return atomic_write_bytes(record_path(out_dir, record.call_id), text.encode("utf-8"))


def clean_stale_temporaries(folder: Path, older_than_s: float = STALE_TEMP_S) -> list[Path]:
    """Delete temporaries a killed writer left in `folder` (ours, and the `.<call_id>.*.tmp`
    of earlier versions) older than `older_than_s`: a live writer's file is younger."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    cutoff = time.time() - older_than_s
    for path in folder.glob(".*" + TEMP_SUFFIX):
        try:
            if path.is_file() and not path.is_symlink() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


def is_disk_full(exc: BaseException) -> bool:
    """True for an error that means no more records can be written here (disk or quota full)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def load_record(path: Path) -> CallRecord:
    """The record at path; OSError when it cannot be read, RecordError when it is not a record."""
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise RecordError(f"{path}: not JSON ({exc})") from exc
    return CallRecord.from_dict(data, str(path))


def read_record(path: Path) -> CallRecord | None:
    """The record at path, or None when it is missing, unreadable or not a record (then the call is redone)."""
    try:
        return load_record(path)
    except (OSError, RecordError, UnicodeDecodeError):
        return None


def is_done(record: CallRecord | None, sha256: str, transcription_key: str, analysis_key: str) -> bool:
    """True when a rerun can keep this record: same audio bytes, same settings, a final status."""
    if record is None or record.audio.sha256 != sha256:
        return False
    if record.processing.settings_key != transcription_key:
        return False
    if record.status == "scored":
        return record.processing.analysis_key == analysis_key  # else: same transcript, new policy or model: analyse again
    return record.error is not None and record.error.code not in RETRYABLE_ERRORS


__all__ = [
    "SCHEMA_VERSION", "RETRYABLE_ERRORS", "RecordError", "MetadataError", "ErrorInfo", "AudioPart", "Redaction", "SpeakerCue",
    "Speakers", "Warning", "VadPart", "DroppedPart", "ChannelPart", "AsrPart", "Versions", "Processing",
    "CallRecord", "analysis_fields", "analysis_warnings", "now", "record_path", "write_record", "load_record", "read_record",
    "is_done", "atomic_write_bytes", "fsync_dir", "clean_stale_temporaries", "is_disk_full",
]
