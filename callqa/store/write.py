"""Write records into the store: one call's rows replaced in one transaction, idempotently.

The JSON record stays the source of truth; these rows are a queryable copy. Review decisions
are never touched here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from callqa.metadata import CallMetadata, Manifest
from callqa.record import CallRecord, RecordError, load_record
from callqa.store.models import Base, Call, Disclosure, Flag, Offer, ScoreItem, Segment
from callqa.store.models import Evidence as EvidenceRow
from nlp.contract import dump
from nlp.evidence import Evidence
from nlp.findings import FlagEvidence, FlagPart, OfferPart, SegmentSentimentPart


def _hash(record: CallRecord, metadata: CallMetadata, record_path: str | None) -> str:
    payload = json.dumps([record.to_dict(), metadata.to_dict(), record_path], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass
class CallRows:
    """One record as rows: the call with its offers, disclosures, flags and score items as ORM
    objects (their ids are needed), and the many segment and evidence rows as plain values,
    inserted in bulk after a flush gives the owners their ids (ORM units of work for every
    segment made writes several times slower)."""

    call: Call
    segments: list[dict] = field(default_factory=list)
    evidence: list[tuple[dict, dict[str, Base]]] = field(default_factory=list)  # (values, owner by FK prefix)

    def add_evidence(self, role: str, evidence: Evidence | FlagEvidence | None, position: int = 0, **owner: Base) -> None:
        if evidence is None:
            return
        values = {
            "role": role,
            "position": position,
            "segment_id": str(evidence.segment_id),
            "speaker": evidence.speaker,
            "start": evidence.start,
            "end": evidence.end,
            "quote": evidence.quote or "",
            "rule": evidence.rule,
            "flag_code": evidence.flag if isinstance(evidence, FlagEvidence) else None,
        }
        self.evidence.append((values, owner))

    def insert_children(self, session: Session) -> None:
        """After the call is flushed: segments and evidence, each in one executemany."""
        call_pk = self.call.id
        if self.segments:
            session.execute(insert(Segment), [row | {"call_pk": call_pk} for row in self.segments])
        rows = []
        for values, owner in self.evidence:
            fks = {f"{name}_pk": None for name in OWNERS} | {f"{name}_pk": obj.id for name, obj in owner.items()}
            rows.append(values | fks | {"call_pk": call_pk})
        if rows:
            session.execute(insert(EvidenceRow), rows)


OWNERS = ("offer", "disclosure", "flag", "score_item")


def flag_keys(flags: Iterable[FlagPart]) -> list[str]:
    """Stable keys for a call's flags: code, the offer it concerns, and an ordinal for repeats."""
    seen: dict[str, int] = {}
    keys = []
    for f in flags:
        base = f.code + (f":{f.offer_id}" if f.offer_id else "")
        seen[base] = seen.get(base, 0) + 1
        keys.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return keys


def _sentiment_by_segment(record: CallRecord) -> dict[str, SegmentSentimentPart]:
    if record.sentiment is None:
        return {}
    return {s.segment_id: s for role in (record.sentiment.agent, record.sentiment.customer) for s in role.segments}


def _call_row(record: CallRecord, metadata: CallMetadata, record_path: str | None, record_hash: str) -> Call:
    customer = record.sentiment.customer if record.sentiment else None
    speakers = record.speakers
    finished = record.processing.finished_at
    return Call(
        call_id=record.call_id,
        status=record.status,
        error_code=record.error.code if record.error else None,
        error_message=record.error.message if record.error else None,
        agent=metadata.agent,
        team=metadata.team,
        queue=metadata.queue,
        call_date=metadata.date,
        started_at=metadata.started_at,
        customer_account=metadata.customer_account,
        need_label=record.need.label if record.need else None,
        need_confidence=record.need.confidence if record.need else None,
        score_value=record.score_value,
        flag_count=len(record.flags) - len(record.review_flags),
        review_count=len(record.review_flags),
        needs_review=record.needs_review,
        offer_count=len(record.offers),
        closing_attempts=record.closing_attempts.total if record.closing_attempts else 0,
        closing_attempts_after_decline=record.closing_attempts.after_decline if record.closing_attempts else 0,
        customer_sentiment_start=customer.start.score if customer and customer.start else None,
        customer_sentiment_end=customer.end.score if customer and customer.end else None,
        customer_sentiment_min=customer.min.score if customer and customer.min else None,
        duration_s=record.audio.duration_s,
        sample_rate=record.audio.sample_rate,
        channels=record.audio.channels,
        stereo=None if speakers is None else speakers.method == "channel",
        speaker_method=speakers.method if speakers else None,
        agent_channel=speakers.agent_channel if speakers else None,
        speaker_confidence=speakers.confidence if speakers else None,
        asr_model=record.versions.asr_model,
        warnings=[dump(w) for w in record.warnings],
        audio_path=record.audio.path,
        audio_sha256=record.audio.sha256,
        record_path=record_path,
        record_hash=record_hash,
        scored_at=datetime.fromisoformat(finished) if finished else None,
        stored_at=datetime.now(timezone.utc),
    )


def _add_segments(rows: CallRows, record: CallRecord) -> None:
    sentiment = _sentiment_by_segment(record)
    for i, seg in enumerate(record.transcript):
        reading = sentiment.get(seg.id)
        rows.segments.append({
            "position": i,
            "segment_id": seg.id,
            "speaker": seg.speaker,
            "start": seg.start,
            "end": seg.end,
            "text": seg.text,
            "confidence": seg.confidence,
            "words": [dump(w) for w in seg.words],
            "sentiment_label": reading.label if reading else None,
            "sentiment_score": reading.score if reading else None,
            "sentiment_rule": reading.rule if reading else None,
        })


def _add_offer(rows: CallRows, i: int, o: OfferPart) -> None:
    offer = Offer(
        position=i,
        offer_id=o.id,
        product=o.product,
        kind=o.kind,
        need_fit=o.need_fit,
        need_fit_rule=o.need_fit_rule,
        customer_response=o.customer_response,
        consent_time=o.consent_time,
        start=o.start,
        closing_attempt_count=len(o.closing_attempts),
        closing_attempts_after_decline=o.closing_attempts_after_decline,
    )
    rows.call.offers.append(offer)
    rows.add_evidence("offer", o.evidence, offer=offer)
    for n, attempt in enumerate(o.closing_attempts):
        rows.add_evidence("closing_attempt", attempt, n, offer=offer)
    rows.add_evidence("response", o.response_evidence, offer=offer)
    rows.add_evidence("cost_recap", o.cost_recap, offer=offer)
    for n, (item, d) in enumerate(o.disclosures.items()):
        disclosure = Disclosure(position=n, item=item, status=d.status)
        offer.disclosures.append(disclosure)
        rows.call.disclosures.append(disclosure)
        rows.add_evidence("disclosure", d.evidence, disclosure=disclosure)


def _add_flags_and_score(rows: CallRows, record: CallRecord) -> None:
    for i, (f, key) in enumerate(zip(record.flags, flag_keys(record.flags))):
        flag = Flag(position=i, key=key, code=f.code, severity=f.severity, message=f.message, offer_id=f.offer_id, status=f.status, confidence=f.confidence)
        rows.call.flags.append(flag)
        for n, e in enumerate(f.evidence):
            rows.add_evidence("flag", e, n, flag=flag)
    for i, s in enumerate(record.score.items if record.score else ()):
        item = ScoreItem(position=i, item_id=s.id, question=s.question, result=s.result, weight=s.weight, auto_fail=s.auto_fail)
        rows.call.score_items.append(item)
        for n, e in enumerate(s.evidence):
            rows.add_evidence("score_item", e, n, score_item=item)


def build_call(record: CallRecord, metadata: CallMetadata, record_path: str | None, record_hash: str) -> CallRows:
    """The rows of one record (not yet in a session)."""
    rows = CallRows(_call_row(record, metadata, record_path, record_hash))
    _add_segments(rows, record)
    rows.add_evidence("need", record.need.evidence if record.need else None)
    for i, offer in enumerate(record.offers):
        _add_offer(rows, i, offer)
    _add_flags_and_score(rows, record)
    return rows


def _delete_call_rows(session: Session, call_pk: int) -> None:
    """Bulk deletes, children first (no reliance on the database cascading)."""
    for model in (EvidenceRow, Disclosure, Offer, Flag, ScoreItem, Segment):
        session.execute(delete(model).where(model.call_pk == call_pk))
    session.execute(delete(Call).where(Call.id == call_pk))


def save_record(session: Session, record: CallRecord, metadata: CallMetadata | None = None, record_path: Path | str | None = None) -> bool:
    """Replace this call's rows with the record's, in one transaction (committed here).

    `metadata` defaults to the record's own `metadata` field. Returns False when the stored
    rows already came from this very record and metadata (nothing written).
    """
    metadata = metadata if metadata is not None else record.call_metadata()
    path = str(record_path) if record_path is not None else None
    digest = _hash(record, metadata, path)
    try:
        existing = session.execute(select(Call.id, Call.record_hash).where(Call.call_id == record.call_id)).first()
        if existing is not None and existing.record_hash == digest:
            session.rollback()
            return False
        rows = build_call(record, metadata, path, digest)
        if existing is not None:
            _delete_call_rows(session, existing.id)
        session.add(rows.call)
        session.flush()
        rows.insert_children(session)
        session.commit()
        # The new objects' collections never saw the bulk-inserted children: detach them so a
        # later read in this session loads the call afresh.
        session.expunge(rows.call)
    except BaseException:
        session.rollback()
        raise
    return True


@dataclass
class IngestResult:
    written: int = 0
    unchanged: int = 0
    errors: dict[str, str] = field(default_factory=dict)  # file -> message


def ingest_records(session: Session, paths: Iterable[Path], manifest: Manifest | None = None) -> IngestResult:
    """Load JSON records; a bad file is reported and the rest go on. A manifest entry (by
    call_id or audio file name) takes precedence over the record's own metadata."""
    result = IngestResult()
    for path in paths:
        try:
            record = load_record(path)
        except (OSError, RecordError) as exc:
            result.errors[str(path)] = str(exc)
            continue
        try:
            metadata = record.call_metadata()
            given = manifest.lookup(record.call_id, record.audio.path) if manifest else None
            if given is not None:
                metadata = given.merged_over(metadata)
            if save_record(session, record, metadata, path.resolve()):
                result.written += 1
            else:
                result.unchanged += 1
        except (RecordError, ValueError, KeyError, TypeError, AttributeError) as exc:  # a record of the wrong shape
            result.errors[str(path)] = f"{type(exc).__name__}: {exc}"
    return result
