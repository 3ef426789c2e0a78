"""The flow on a 2-worker Dask LocalCluster, reporting to a real Prefect server: every call's
record is written exactly once, and a rerun writes none again."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from conftest import labelled_samples

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory):
    """`prefect server start` in a subprocess with its own home (SQLite), torn down after."""
    home = tmp_path_factory.mktemp("prefect-server")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_SERVER_UI_ENABLED": "false"}
    log = (home / "server.log").open("w")
    proc = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"prefect server exited: {(home / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("prefect server did not answer /api/health within 120 s")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _score(folder: Path, out: Path, api_url: str, work_dir: Path, client_home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {
        "PREFECT_API_URL": api_url,
        "PREFECT_HOME": str(client_home),
        "PREFECT_TASKS_REFRESH_CACHE": "true",  # transcribe on the workers, not from an earlier run's cache
    }
    return subprocess.run(
        [str(BIN / "callqa"), "score", str(folder), "--local-cluster", "2", "--out", str(out),
         "--work-dir", str(work_dir), "--no-progress"],
        env=env, capture_output=True, text=True, timeout=600,
    )


def _task_run_names(api_url: str) -> Counter:
    runs = httpx.post(f"{api_url}/task_runs/filter", json={"limit": 200}, timeout=30).json()
    assert all(r["state_type"] == "COMPLETED" for r in runs), [(r["name"], r["state_type"]) for r in runs]
    return Counter(r["name"] for r in runs)


def test_local_cluster_writes_every_record_once(tmp_path: Path, work_dir: Path, prefect_server: str) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    shortest = sorted(labelled_samples(), key=lambda s: s[1]["audio"]["duration_s"])
    chosen = [audio for audio, data in shortest if data["audio"]["channels"] == 2][:2]
    chosen += [audio for audio, data in shortest if data["audio"]["channels"] == 1][:1]
    for audio in chosen:
        shutil.copy(audio, folder / audio.name)
    (folder / "empty.wav").write_bytes(b"")
    expected = {a.stem for a in chosen} | {"empty"}
    out = tmp_path / "out"

    first = _score(folder, out, prefect_server, work_dir, tmp_path / "client")
    assert first.returncode == 1, first.stdout + first.stderr  # the empty file failed, the batch went on
    assert "4 calls: 3 scored, 1 failed" in first.stdout, first.stdout + first.stderr
    records = {p.stem: json.loads(p.read_text()) for p in (out / "records").glob("*.json")}
    assert set(records) == expected
    assert {k for k, r in records.items() if r["status"] == "scored"} == expected - {"empty"}
    assert records["empty"]["error"]["code"] == "empty_file"
    assert not list((out / "records").glob(".*.tmp"))

    # The server saw each call scored and written exactly once, by tasks that ran on Dask.
    names = _task_run_names(prefect_server)
    assert {n: c for n, c in names.items() if n.startswith("write-")} == {f"write-{c}": 1 for c in expected}
    assert {n: c for n, c in names.items() if n.startswith("score-")} == {f"score-{c}": 1 for c in expected}
    assert {n for n in names if n.startswith("transcribe-")} == {f"transcribe-{c}" for c in expected}

    # A rerun finds everything done and writes nothing.
    before = {p.name: p.read_bytes() for p in (out / "records").glob("*.json")}
    second = _score(folder, out, prefect_server, work_dir, tmp_path / "client")
    assert "4 already done" in second.stdout, second.stdout + second.stderr
    assert {p.name: p.read_bytes() for p in (out / "records").glob("*.json")} == before
    rerun = _task_run_names(prefect_server)
    assert {n: c for n, c in rerun.items() if n.startswith("write-")} == {f"write-{c}": 1 for c in expected}
