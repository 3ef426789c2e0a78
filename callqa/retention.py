"""Retention and deletion: `callqa forget CALL_ID...` and `callqa purge --older-than 90d`.

Forgetting a call removes everything callqa made from it:
  - its JSON record (`<out>/records/<call_id>.json`);
  - its rows in the store (call, segments, offers, disclosures, flags, score items, evidence);
  - its cached transcription in Prefect's result storage (`<work_dir>/results/transcribe-<call_id>-<sha256>-...`,
    the key flows/score.py gives the transcribe task);
  - any redacted audio copy (`<out>/redacted-audio/<call_id>.*`, or the record's `audio.redacted_path`
    when it lies under the output folder).
The review decisions on it are kept (store and journal) as the audit trail, and the journal gets
a `call_deleted` line: "call deleted on DATE by WHO". The original recording is not touched: it
belongs to the recording system, which has its own retention.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select

from callqa.store import journal as journals
from callqa.store.db import Store
from callqa.store.models import Call

REDACTED_AUDIO_DIR = "redacted-audio"
RESULTS_DIR = "results"
_AGE = re.compile(r"^\s*(\d+)\s*([dw])\s*$")


class RetentionError(ValueError):
    """A bad --older-than value."""


def parse_age(text: str) -> timedelta:
    """`90d` or `12w`."""
    match = _AGE.match(text.lower())
    if not match:
        raise RetentionError(f"--older-than is a number of days or weeks, e.g. 90d or 12w, not {text!r}")
    n = int(match.group(1))
    return timedelta(days=n * (7 if match.group(2) == "w" else 1))


@dataclass
class Forgotten:
    call_id: str
    removed: list[str] = field(default_factory=list)  # what was deleted, for the report
    store_rows: bool = False


def _records(out: Path) -> Path:
    return out / "records"


def _read(path: Path) -> dict | None:
    # Plain JSON, not CallRecord: forgetting a call must work on a record of an older schema or
    # one damaged by hand, which the typed contract would refuse.
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def record_file(out: Path, call_id: str) -> Path | None:
    direct = _records(out) / f"{call_id}.json"
    if direct.is_file():
        return direct
    for path in _records(out).glob("*.json"):  # a record renamed by hand
        if (_read(path) or {}).get("call_id") == call_id:
            return path
    return None


def forget(call_id: str, out: Path, store: Store | None, work_dir: Path | None, by: str, reason: str = "forget") -> Forgotten:
    result = Forgotten(call_id)
    out = Path(out)
    record_path = record_file(out, call_id)
    record = _read(record_path) if record_path else None
    # The deletion goes into the audit trail first: if anything below fails, it says so.
    journals.append(journals.journal_path(out), journals.deletion_entry(call_id, by, reason))
    redacted = [p for p in (out / REDACTED_AUDIO_DIR).glob(f"{glob_escape(call_id)}.*") if p.is_file()]
    given = ((record or {}).get("audio") or {}).get("redacted_path")
    if given and Path(given).resolve().is_relative_to(out.resolve()) and Path(given).is_file():
        redacted.append(Path(given))
    for path in redacted:
        path.unlink(missing_ok=True)
        result.removed.append(str(path))
    if work_dir is not None:
        results = Path(work_dir) / RESULTS_DIR
        cached = re.compile(rf"^transcribe-{re.escape(call_id)}-[0-9a-f]{{64}}-")
        if results.is_dir():
            for path in results.iterdir():
                if cached.match(path.name) and path.is_file():
                    path.unlink()
                    result.removed.append(str(path))
    if store is not None:
        from callqa.store.write import _delete_call_rows

        with store.session() as session:
            pk = session.scalar(select(Call.id).where(Call.call_id == call_id))
            if pk is not None:
                _delete_call_rows(session, pk)
                session.commit()
                result.store_rows = True
    if record_path is not None:
        record_path.unlink()
        result.removed.append(str(record_path))
    return result


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def call_day(record: dict, path: Path) -> date:
    """The call's date: metadata.date, else the day the record file was last written (UTC)."""
    value = (record.get("metadata") or {}).get("date")
    if value:
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            pass
    return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).date()


def expired(out: Path, store: Store | None, older_than: timedelta, today: date | None = None) -> list[str]:
    """Call ids whose call date is before today minus `older_than`: from the records, and
    from the store for calls that have no record any more."""
    cutoff = (today or datetime.now(timezone.utc).date()) - older_than
    found: dict[str, bool] = {}
    for path in sorted(_records(out).glob("*.json")):
        record = _read(path)
        if record and isinstance(record.get("call_id"), str):
            found[record["call_id"]] = call_day(record, path) < cutoff
    if store is not None:
        with store.session() as session:
            for call_id, day in session.execute(select(Call.call_id, Call.call_date)):
                if call_id not in found and day is not None:
                    found[call_id] = day < cutoff
    return sorted(c for c, old in found.items() if old)
