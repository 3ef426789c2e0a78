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
from callqa.store.models import Base, Call, Disclosure, Evidence, Flag, Offer, ScoreItem, Segment


class RecordError(ValueError):
    """A record is not schema v1 or is missing a field the store needs."""


def record_metadata(record: dict) -> CallMetadata:
    return CallMetadata.from_dict(record.get("metadata"), f"record {record.get('call_id')}: metadata")


def _hash(record: dict, metadata: CallMetadata, record_path: str | None) -> str:
    payload = json.dumps([record, metadata.to_dict(), record_path], sort_keys=True, default=str)
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

    def add_evidence(self, role: str, data: dict | None, position: int = 0, **owner: Base) -> None:
        if not data:
            return
        values = {
            "role": role,
            "position": position,
            "segment_id": None if data.get("segment_id") is None else str(data["segment_id"]),
            "speaker": data.get("speaker"),
            "start": data.get("start"),
            "end": data.get("end"),
            "quote": data.get("quote") or "",
            "rule": data.get("rule"),
            "flag_code": data.get("flag"),
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
            session.execute(insert(Evidence), rows)


OWNERS = ("offer", "disclosure", "flag", "score_item")


def flag_keys(flags: list[dict]) -> list[str]:
    """Stable keys for a call's flags: code, the offer it concerns, and an ordinal for repeats."""
    seen: dict[str, int] = {}
    keys = []
    for f in flags:
        base = f["code"] + (f":{f['offer_id']}" if f.get("offer_id") else "")
        seen[base] = seen.get(base, 0) + 1
        keys.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return keys


def _sentiment_by_segment(record: dict) -> dict[str, dict]:
    sentiment = record.get("sentiment") or {}
    return {
        str(s["segment_id"]): s
        for role in ("agent", "customer")
        for s in ((sentiment.get(role) or {}).get("segments") or [])
    }


def _state_score(record: dict, which: str) -> float | None:
    state = ((record.get("sentiment") or {}).get("customer") or {}).get(which)
    return state.get("score") if isinstance(state, dict) else None


def build_call(record: dict, metadata: CallMetadata, record_path: str | None, record_hash: str) -> CallRows:
    """The rows of one record (not yet in a session)."""
    try:
        call_id = record["call_id"]
        status = record["status"]
    except (KeyError, TypeError) as exc:
        raise RecordError(f"record has no {exc}: not a callqa record") from exc
    if record.get("schema_version") != "1":
        raise RecordError(f"record {call_id}: schema_version {record.get('schema_version')!r}, the store reads '1'")
    audio = record.get("audio") or {}
    speakers = record.get("speakers") or {}
    need = record.get("need") or {}
    score = record.get("score") or {}
    error = record.get("error") or {}
    closing = record.get("closing_attempts") or {}
    finished = (record.get("processing") or {}).get("finished_at")
    call = Call(
        call_id=call_id,
        status=status,
        error_code=error.get("code"),
        error_message=error.get("message"),
        agent=metadata.agent,
        team=metadata.team,
        queue=metadata.queue,
        call_date=metadata.date,
        started_at=metadata.started_at,
        customer_account=metadata.customer_account,
        need_label=need.get("label"),
        need_confidence=need.get("confidence"),
        score_value=score.get("value"),
        flag_count=len(record.get("flags") or []),
        offer_count=len(record.get("offers") or []),
        closing_attempts=closing.get("total") or 0,
        closing_attempts_after_decline=closing.get("after_decline") or 0,
        customer_sentiment_start=_state_score(record, "start"),
        customer_sentiment_end=_state_score(record, "end"),
        customer_sentiment_min=_state_score(record, "min"),
        duration_s=audio.get("duration_s"),
        sample_rate=audio.get("sample_rate"),
        channels=audio.get("channels"),
        stereo=None if not speakers else speakers.get("method") == "channel",
        speaker_method=speakers.get("method"),
        agent_channel=speakers.get("agent_channel"),
        speaker_confidence=speakers.get("confidence"),
        asr_model=(record.get("versions") or {}).get("asr_model"),
        warnings=record.get("warnings") or [],
        audio_path=audio.get("path"),
        audio_sha256=audio.get("sha256"),
        record_path=record_path,
        record_hash=record_hash,
        scored_at=datetime.fromisoformat(finished) if finished else None,
        stored_at=datetime.now(timezone.utc),
    )
    rows = CallRows(call)
    sentiment = _sentiment_by_segment(record)
    for i, seg in enumerate(record.get("transcript") or []):
        reading = sentiment.get(str(seg["id"]), {})
        rows.segments.append({
            "position": i,
            "segment_id": str(seg["id"]),
            "speaker": seg["speaker"],
            "start": seg["start"],
            "end": seg["end"],
            "text": seg.get("text", ""),
            "confidence": seg.get("confidence"),
            "words": seg.get("words") or [],
            "sentiment_label": reading.get("label"),
            "sentiment_score": reading.get("score"),
            "sentiment_rule": reading.get("rule"),
        })
    rows.add_evidence("need", need.get("evidence"))
    for i, o in enumerate(record.get("offers") or []):
        offer = Offer(
            position=i,
            offer_id=str(o["id"]),
            product=o["product"],
            kind=o["kind"],
            need_fit=o.get("need_fit"),
            need_fit_rule=o.get("need_fit_rule"),
            customer_response=o["customer_response"],
            consent_time=o.get("consent_time"),
            start=o["start"],
            closing_attempt_count=len(o.get("closing_attempts") or []),
            closing_attempts_after_decline=o.get("closing_attempts_after_decline") or 0,
        )
        call.offers.append(offer)
        rows.add_evidence("offer", o.get("evidence"), offer=offer)
        for n, attempt in enumerate(o.get("closing_attempts") or []):
            rows.add_evidence("closing_attempt", attempt, n, offer=offer)
        rows.add_evidence("response", o.get("response_evidence"), offer=offer)
        rows.add_evidence("cost_recap", o.get("cost_recap"), offer=offer)
        for n, (item, d) in enumerate((o.get("disclosures") or {}).items()):
            disclosure = Disclosure(position=n, item=item, status=d["status"])
            offer.disclosures.append(disclosure)
            call.disclosures.append(disclosure)
            rows.add_evidence("disclosure", d.get("evidence"), disclosure=disclosure)
    for i, (f, key) in enumerate(zip(record.get("flags") or [], flag_keys(record.get("flags") or []))):
        flag = Flag(position=i, key=key, code=f["code"], severity=f["severity"], message=f["message"], offer_id=f.get("offer_id"))
        call.flags.append(flag)
        for n, e in enumerate(f.get("evidence") or []):
            rows.add_evidence("flag", e, n, flag=flag)
    for i, s in enumerate(score.get("items") or []):
        item = ScoreItem(position=i, item_id=s["id"], question=s["question"], result=s["result"], weight=s["weight"], auto_fail=bool(s.get("auto_fail")))
        call.score_items.append(item)
        for n, e in enumerate(s.get("evidence") or []):
            rows.add_evidence("score_item", e, n, score_item=item)
    return rows


def _delete_call_rows(session: Session, call_pk: int) -> None:
    """Bulk deletes, children first (no reliance on the database cascading)."""
    for model in (Evidence, Disclosure, Offer, Flag, ScoreItem, Segment):
        session.execute(delete(model).where(model.call_pk == call_pk))
    session.execute(delete(Call).where(Call.id == call_pk))


def save_record(session: Session, record: dict, metadata: CallMetadata | None = None, record_path: Path | str | None = None) -> bool:
    """Replace this call's rows with the record's, in one transaction (committed here).

    `metadata` defaults to the record's own `metadata` field. Returns False when the stored
    rows already came from this very record and metadata (nothing written).
    """
    metadata = metadata if metadata is not None else record_metadata(record)
    path = str(record_path) if record_path is not None else None
    digest = _hash(record, metadata, path)
    try:
        existing = session.execute(select(Call.id, Call.record_hash).where(Call.call_id == record.get("call_id"))).first()
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
    # Here, not at the top: callqa.record pulls in the ASR stack, which the review app never needs.
    from callqa.record import read_record

    result = IngestResult()
    for path in paths:
        record = read_record(path)
        if record is None:
            result.errors[str(path)] = "not a readable JSON object"
            continue
        try:
            metadata = record_metadata(record)
            given = manifest.lookup(record["call_id"], (record.get("audio") or {}).get("path")) if manifest else None
            if given is not None:
                metadata = given.merged_over(metadata)
            if save_record(session, record, metadata, path.resolve()):
                result.written += 1
            else:
                result.unchanged += 1
        except (RecordError, ValueError, KeyError, TypeError, AttributeError) as exc:  # a record of the wrong shape
            result.errors[str(path)] = f"{type(exc).__name__}: {exc}"
    return result
