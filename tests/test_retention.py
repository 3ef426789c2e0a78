"""Issue 10: the decisions journal beside the records (a rebuilt store keeps the audit trail),
`callqa forget` / `callqa purge`, and owner-only files."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from callqa.cli import app as cli
from callqa.store.db import default_url
from callqa.store.journal import journal_path, read
from callqa.web.app import ServeConfig, create_app
from store_data import as_record
from test_web import BASE, FLAG_KEY, make_record


@pytest.fixture()
def out(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    (out / "records").mkdir(parents=True)
    audio = tmp_path / "rec" / "a.wav"
    audio.parent.mkdir()
    sf.write(audio, np.zeros(800, dtype=np.float32), 8000)
    for call_id, day in [("old", "2026-01-05"), ("new", "2026-11-30"), ("nodate", None)]:
        record = make_record(call_id, audio, "Ann", day or "2026-11-30")
        if day is None:
            record["metadata"].pop("date")
        (out / "records" / f"{call_id}.json").write_text(json.dumps(as_record(record).to_dict()))
    result = CliRunner().invoke(cli, ["ingest", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _decisions(db: Path) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT call_id, target_key, decision, reviewer, note, machine_verdict, created_at FROM review_decisions ORDER BY id").fetchall()
    finally:
        con.close()


def test_decisions_survive_a_rebuilt_store(out: Path) -> None:
    journal = journal_path(out)
    assert journal == out / "records" / "decisions.jsonl"
    client = TestClient(create_app(ServeConfig(default_url(out), journal=journal)), base_url=BASE)
    for call_id, decision, note in [("old", "confirm", "clear push after a no"), ("new", "overturn", "she asked twice")]:
        r = client.post(f"/calls/{call_id}/decisions", data={"target_kind": "flag", "target_key": FLAG_KEY, "decision": decision, "note": note, "reviewer": "rita"}, follow_redirects=False)
        assert r.status_code == 303
    client.close()
    before = _decisions(out / "callqa.db")
    assert len(before) == 2
    assert [e["note"] for e in read(journal)] == ["clear push after a no", "she asked twice"]
    for suffix in ("", "-wal", "-shm"):
        Path(f"{out / 'callqa.db'}{suffix}").unlink(missing_ok=True)
    result = CliRunner().invoke(cli, ["ingest", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 restored" in result.output
    assert _decisions(out / "callqa.db") == before
    # A second ingest adds nothing twice.
    CliRunner().invoke(cli, ["ingest", str(out)])
    assert _decisions(out / "callqa.db") == before


SHA = "ab" * 32


def _setup_caches(out: Path, work: Path) -> None:
    (work / "results").mkdir(parents=True)
    for call_id in ["old", "new", "nodate", "old-x"]:
        (work / "results" / f"transcribe-{call_id}-{SHA}-settings").write_text("cached transcript")
    (out / "redacted-audio").mkdir()
    for call_id in ["old", "new", "nodate"]:
        (out / "redacted-audio" / f"{call_id}.wav").write_bytes(b"RIFF")


def _calls(db: Path) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return [r[0] for r in con.execute("SELECT call_id FROM calls ORDER BY call_id")]
    finally:
        con.close()


def test_forget_removes_everything_but_the_audit_trail(out: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    _setup_caches(out, work)
    client = TestClient(create_app(ServeConfig(default_url(out), journal=journal_path(out))), base_url=BASE)
    client.post("/calls/old/decisions", data={"target_kind": "flag", "target_key": FLAG_KEY, "decision": "confirm", "note": "n", "reviewer": "rita"})
    client.close()
    result = CliRunner().invoke(cli, ["forget", "old", "--out", str(out), "--work-dir", str(work), "--by", "dpo"])
    assert result.exit_code == 0, result.output
    assert not (out / "records" / "old.json").exists()
    assert _calls(out / "callqa.db") == ["new", "nodate"]
    assert sorted(p.name for p in (work / "results").iterdir()) == [f"transcribe-{c}-{SHA}-settings" for c in ["new", "nodate", "old-x"]]
    assert sorted(p.name for p in (out / "redacted-audio").iterdir()) == ["new.wav", "nodate.wav"]
    # The decision stays, in the store and the journal, with the deletion beside it.
    assert [d[0] for d in _decisions(out / "callqa.db")] == ["old"]
    entries = list(read(journal_path(out)))
    assert [e["kind"] for e in entries] == ["decision", "call_deleted"]
    assert entries[1]["call_id"] == "old" and entries[1]["deleted_by"] == "dpo" and entries[1]["deleted_at"]
    # A rebuilt store does not bring the call back.
    (out / "callqa.db").unlink()
    assert CliRunner().invoke(cli, ["ingest", str(out)]).exit_code == 0
    assert _calls(out / "callqa.db") == ["new", "nodate"]
    unknown = CliRunner().invoke(cli, ["forget", "nope", "--out", str(out), "--work-dir", str(work)])
    assert unknown.exit_code == 1


def test_purge_by_call_date_else_file_time(out: Path, tmp_path: Path) -> None:
    import time

    work = tmp_path / "work"
    _setup_caches(out, work)
    long_ago = time.time() - 200 * 86400
    os.utime(out / "records" / "nodate.json", (long_ago, long_ago))
    dry = CliRunner().invoke(cli, ["purge", "--older-than", "90d", "--out", str(out), "--work-dir", str(work), "--dry-run"])
    assert dry.exit_code == 0 and "2 call(s)" in dry.output and _calls(out / "callqa.db") == ["new", "nodate", "old"]
    result = CliRunner().invoke(cli, ["purge", "--older-than", "90d", "--out", str(out), "--work-dir", str(work), "--by", "cron"])
    assert result.exit_code == 0, result.output
    assert _calls(out / "callqa.db") == ["new"]
    assert sorted(p.name for p in (out / "records").glob("*.json")) == ["new.json"]
    assert [e["reason"] for e in read(journal_path(out))] == ["purge older than 90d"] * 2
    assert CliRunner().invoke(cli, ["purge", "--older-than", "ninety", "--out", str(out)]).exit_code == 2


def test_files_are_created_owner_only(tmp_path: Path) -> None:
    """Through the real entry point, from a shell whose umask would let anyone read them."""
    import subprocess
    import sys

    out = tmp_path / "out"
    (out / "records").mkdir(parents=True)
    audio = tmp_path / "a.wav"
    sf.write(audio, np.zeros(800, dtype=np.float32), 8000)
    (out / "records" / "c.json").write_text(json.dumps(as_record(make_record("c", audio, "Ann", "2026-11-30")).to_dict()))
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    code = "import os, sys; os.umask(0o022); from callqa.cli import app; sys.argv = ['callqa', 'ingest', %r]; app()" % str(out)
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    db = out / "callqa.db"
    assert db.stat().st_mode & 0o077 == 0, oct(db.stat().st_mode)
    assert (out / "callqa.db.lock").stat().st_mode & 0o077 == 0
    code = ("import os, sys; os.umask(0o022); from callqa.cli import app; "
            "sys.argv = ['callqa', 'forget', 'c', '--out', %r, '--work-dir', %r, '--by', 'x']; app()") % (str(out), str(tmp_path / "w"))
    subprocess.run([sys.executable, "-c", code], env=env, capture_output=True)
    assert journal_path(out).stat().st_mode & 0o077 == 0
