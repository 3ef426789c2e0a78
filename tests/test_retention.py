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
        (out / "records" / f"{call_id}.json").write_text(json.dumps(record))
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
