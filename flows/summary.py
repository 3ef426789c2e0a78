"""What became of each call, and of the batch: returned by the flow, printed by the CLI,
published as the Prefect artifact. Frozen: the summary is computed from the outcomes once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from callqa.record import CallRecord


@dataclass(frozen=True)
class CallOutcome:
    """What became of one call, returned to the flow (its task may run on another machine)."""

    call_id: str
    status: str  # the record's: scored | failed
    score: float | None = None
    flags: tuple[str, ...] = ()  # raised flags (the verdicts)
    error: str | None = None  # error code of a failed record
    skipped: bool = False  # the record of an earlier run still holds
    audio_s: float = 0.0  # transcribed in this run
    cached: bool = False  # record rebuilt from a cached transcription
    metadata_problem: str | None = None  # bad file-name metadata, reported and left out
    need: str | None = None
    offers: tuple[str, ...] = ()  # "product (response)"
    closing_attempts: int = 0
    review_flags: tuple[str, ...] = ()  # needs_review flags: too unsure to count, listed for a reviewer
    low_transcript_quality: bool = False  # LOW_TRANSCRIPT_QUALITY: review before trusting the score
    record: CallRecord | None = field(default=None, compare=False, repr=False)  # for the store; None when it could not be written
    message: str | None = None  # why a call without a record failed (id_conflict, disk_full, not_run)


def outcome(record: CallRecord, skipped: bool = False, audio_s: float = 0.0, cached: bool = False, metadata_problem: str | None = None) -> CallOutcome:
    return CallOutcome(
        record.call_id,
        record.status,
        record.score_value,
        tuple(f.code for f in record.flags if f.status == "raised"),
        record.error.code if record.error else None,
        skipped=skipped,
        audio_s=audio_s,
        cached=cached,
        metadata_problem=metadata_problem,
        need=record.need.label if record.need else None,
        offers=tuple(f"{o.product} ({o.customer_response})" for o in record.offers),
        closing_attempts=record.closing_attempts.total if record.closing_attempts else 0,
        review_flags=tuple(f.code for f in record.review_flags),
        low_transcript_quality=any(w.code == "LOW_TRANSCRIPT_QUALITY" for w in record.warnings),
        record=record,
    )


@dataclass(frozen=True)
class StoreReport:
    """How the batch's records went into the store."""

    url: str | None = None  # password hidden
    stored: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # call_id -> why its rows are not in the store


@dataclass(frozen=True)
class BatchSummary:
    total: int
    scored: int
    failed: int
    skipped: int  # already done in an earlier run
    cached: int  # record rebuilt from a cached transcription
    ignored: int  # sidecar files (labels, scripts) next to the recordings
    audio_s: float  # transcribed in this run
    wall_s: float
    failures: dict[str, str]  # call_id -> error code
    outcomes: dict[str, CallOutcome]  # every call of the batch (records left out)
    store: StoreReport = StoreReport()
    metadata_problems: dict[str, str] = field(default_factory=dict)  # call_id -> bad file-name metadata
    artifact_error: str | None = None
    stopped: str | None = None  # why the batch stopped before its last call (a full disk)
    messages: dict[str, str] = field(default_factory=dict)  # call_id -> why a call without a record failed

    @property
    def store_url(self) -> str | None:
        return self.store.url

    @property
    def stored(self) -> int:
        return self.store.stored

    @property
    def store_failures(self) -> dict[str, str]:
        return self.store.failures

    @property
    def speed(self) -> float:
        """Audio seconds transcribed per wall second in this run."""
        return self.audio_s / self.wall_s if self.wall_s else 0.0

    def line(self) -> str:
        return (
            f"{self.total} calls: {self.scored} scored, {self.failed} failed, {self.skipped} already done"
            f"{f' ({self.cached} from cached transcripts)' if self.cached else ''}"
            f"{f', {self.ignored} non-audio files ignored' if self.ignored else ''}; "
            f"{self.audio_s / 60:.1f} audio min in {self.wall_s:.0f} s ({self.speed:.1f}x real time)"
        )

    @property
    def needs_review(self) -> int:
        """Calls a reviewer should look at first: needs_review flags or a poor transcript."""
        return sum(1 for o in self.outcomes.values() if o.review_flags or o.low_transcript_quality)

    def review_totals(self) -> dict[str, int]:
        """needs_review flag code -> calls of the batch with it, most frequent first."""
        counts = Counter(code for o in self.outcomes.values() for code in set(o.review_flags))
        return dict(counts.most_common())

    def flag_totals(self) -> dict[str, int]:
        """Flag code -> calls of the batch with it, most frequent first."""
        counts = Counter(code for o in self.outcomes.values() for code in set(o.flags))
        return dict(counts.most_common())


def summarise(
    outcomes: Iterable[CallOutcome],
    ignored: int = 0,
    wall_s: float = 0.0,
    store: StoreReport = StoreReport(),
    artifact_error: str | None = None,
) -> BatchSummary:
    """The batch's counts from its calls' outcomes."""
    done = list(outcomes)
    ran = [o for o in done if not o.skipped]
    return BatchSummary(
        total=len(done),
        scored=sum(o.status == "scored" for o in ran),
        failed=sum(o.status != "scored" for o in ran),
        skipped=len(done) - len(ran),
        cached=sum(o.cached for o in ran),
        ignored=ignored,
        audio_s=sum(o.audio_s for o in ran),
        wall_s=wall_s,
        failures={o.call_id: o.error or "internal_error" for o in ran if o.status != "scored"},
        outcomes={o.call_id: CallOutcome(**{**o.__dict__, "record": None}) for o in done},
        store=store,
        metadata_problems={o.call_id: o.metadata_problem for o in done if o.metadata_problem},
        messages={o.call_id: o.message for o in done if o.message},
        artifact_error=artifact_error,
    )
