"""The review decisions' journal: the audit trail kept beside the JSON records, so it is part
of the record of truth and a store rebuilt with `callqa ingest` gets it back.

`<out>/records/decisions.jsonl` (or `<out>/decisions.jsonl` when there is no records folder):
one JSON object a line, appended under an flock and fsynced before the decision is stored.
Lines are either a decision (`"kind": "decision"`, with call id, target, verdict, reviewer,
time, note and the machine's verdict) or an event such as a call deleted by `callqa forget` /
`callqa purge` (`"kind": "call_deleted"`, with who and when): the decisions on a deleted
call stay in the journal and the store, with the deletion beside them.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from callqa.store.models import ReviewDecision

JOURNAL_FILE = "decisions.jsonl"


def journal_path(out_or_records: Path) -> Path:
    """Where the journal of a `callqa score --out DIR` folder (or of its records folder) lives."""
    folder = Path(out_or_records)
    if folder.name != "records" and (folder / "records").is_dir():
        folder = folder / "records"
    return folder / JOURNAL_FILE


@contextmanager
def locked(path: Path) -> Iterator[int]:
    """The journal opened for appending, under an exclusive flock. A decision is journalled
    and committed to the store under this lock, and `replay` holds it too: replay never sees a
    journalled decision that a running server is about to commit (and so never doubles it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    is_new = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # writers in several processes: whole lines, never interleaved
        if is_new:
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        yield fd
    finally:
        os.close(fd)  # releases the flock


def write_line(fd: int, entry: dict) -> None:
    """Append one line to a journal opened by `locked`, and fsync it."""
    os.write(fd, (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode())
    os.fsync(fd)


def append(path: Path, entry: dict) -> None:
    with locked(path) as fd:
        write_line(fd, entry)


def decision_entry(row: ReviewDecision) -> dict:
    return {
        "kind": "decision", "call_id": row.call_id, "target_kind": row.target_kind, "target_key": row.target_key,
        "decision": row.decision, "note": row.note, "reviewer": row.reviewer, "machine_verdict": row.machine_verdict,
        "created_at": _utc(row.created_at).isoformat(),
    }


def deletion_entry(call_id: str, by: str, reason: str, when: datetime | None = None) -> dict:
    return {"kind": "call_deleted", "call_id": call_id, "deleted_by": by, "reason": reason,
            "deleted_at": (when or datetime.now(timezone.utc)).isoformat()}


def read(path: Path) -> Iterator[dict]:
    """The journal's entries; a torn last line (a crash mid-write) is skipped."""
    if not path.is_file():
        return
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                yield entry


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _key(call_id: str, kind: str, key: str, decision: str, reviewer: str, at: datetime) -> tuple:
    return (call_id, kind, key, decision, reviewer, _utc(at).replace(microsecond=_utc(at).microsecond // 1000 * 1000).isoformat())


@dataclass
class ReplayResult:
    restored: int = 0
    present: int = 0


def replay(session: Session, path: Path) -> ReplayResult:
    """Put back into the store every journalled decision it lacks (committed here)."""
    if not path.is_file():
        return ReplayResult()
    with locked(path):
        return _replay(session, path)


def _replay(session: Session, path: Path) -> ReplayResult:
    result = ReplayResult()
    session.rollback()  # read the store as it is now, under the lock
    have = {
        _key(r.call_id, r.target_kind, r.target_key, r.decision, r.reviewer, r.created_at)
        for r in session.scalars(select(ReviewDecision))
    }
    for entry in read(path):
        if entry.get("kind") != "decision":
            continue
        at = datetime.fromisoformat(entry["created_at"])
        key = _key(entry["call_id"], entry["target_kind"], entry["target_key"], entry["decision"], entry["reviewer"], at)
        if key in have:
            result.present += 1
            continue
        session.add(ReviewDecision(
            call_id=entry["call_id"], target_kind=entry["target_kind"], target_key=entry["target_key"], decision=entry["decision"],
            note=entry.get("note", ""), reviewer=entry["reviewer"], machine_verdict=entry.get("machine_verdict", ""), created_at=at,
        ))
        have.add(key)
        result.restored += 1
    session.commit()
    return result
