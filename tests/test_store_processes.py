"""The SQLite store under several real processes at once: the review server posting decisions
while `callqa ingest` and another writer use the same file. Nothing may be lost and the
database must stay intact (issue 10, item 1: a lock must never be taken on callqa.db itself,
since closing any second handle on it drops every POSIX lock SQLite holds in that process)."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import soundfile as sf

from store_data import as_record
from test_web import FLAG_KEY, make_record

ROOT = Path(__file__).resolve().parents[1]


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_decisions_survive_concurrent_ingest_and_writers(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "records").mkdir(parents=True)
    audio = tmp_path / "a.wav"
    sf.write(audio, np.zeros(8000, dtype=np.float32), 8000)
    for i in range(6):
        (out / "records" / f"c{i}.json").write_text(json.dumps(as_record(make_record(f"c{i}", audio, "Ann", "2026-11-02")).to_dict()))
    cli = [sys.executable, "-m", "callqa.cli"]
    subprocess.run([*cli, "ingest", str(out)], env=_env(), check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen([*cli, "serve", "--out", str(out), "--port", str(port)], env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(base + "/calls", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        posted: list[int] = []
        stop = threading.Event()

        def post() -> None:
            with httpx.Client(base_url=base, timeout=30) as client:
                n = 0
                while not stop.is_set() or n < 20:
                    n += 1
                    time.sleep(0.02)
                    r = client.post("/calls/c0/decisions", data={"target_kind": "flag", "target_key": FLAG_KEY, "decision": "confirm", "note": f"web {n}", "reviewer": "web"})
                    posted.append(r.status_code)

        writer_code = (
            "from callqa.store import open_store, add_decision\n"
            f"from callqa.store.db import default_url\n"
            "import sys\n"
            "for n in range(20):\n"
            f"    store = open_store(default_url({str(out)!r}))\n"
            "    with store.session() as s:\n"
            f"        add_decision(s, 'c1', 'flag', {FLAG_KEY!r}, 'overturn', 'writer', f'writer {{n}}')\n"
            "    store.close()\n"
        )
        thread = threading.Thread(target=post)
        thread.start()
        writer = subprocess.Popen([sys.executable, "-c", writer_code], env=_env(), stderr=subprocess.PIPE, text=True)
        ingests = 0
        while ingests < 4 or writer.poll() is None:
            # Each ingest opens the store (migrating: the lock), reads, and closes its last connection.
            rec = out / "records" / f"c{2 + ingests % 4}.json"
            data = json.loads(rec.read_text())
            data["score"]["value"] = float(ingests % 90)
            rec.write_text(json.dumps(data))
            subprocess.run([*cli, "ingest", str(out)], env=_env(), capture_output=True)
            ingests += 1
        stop.set()
        thread.join()
        assert writer.wait() == 0, writer.stderr.read()
        assert set(posted) == {303}
    finally:
        server.terminate()
        server.wait(timeout=30)
    db = sqlite3.connect(out / "callqa.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        web = db.execute("SELECT count(*) FROM review_decisions WHERE reviewer = 'web'").fetchone()[0]
        other = db.execute("SELECT count(*) FROM review_decisions WHERE reviewer = 'writer'").fetchone()[0]
    finally:
        db.close()
    assert (web, other) == (len(posted), 20)
