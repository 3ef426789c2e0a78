"""The flow on a 2-worker Dask LocalCluster, reporting to a real Prefect server: every call's
record is written exactly once, and a rerun writes none again."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest

from conftest import labelled_samples

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory):
    """`prefect server start` in a subprocess with its own home (SQLite), torn down after."""
    from flows.server import local_prefect_server

    with local_prefect_server(tmp_path_factory.mktemp("prefect-server")) as url:
        yield url


def _score(folder: Path, out: Path, api_url: str, work_dir: Path, client_home: Path) -> subprocess.CompletedProcess:
    from flows.server import client_env

    # Transcribe on the workers, not from an earlier run's cache.
    env = client_env(api_url, client_home) | {"PREFECT_TASKS_REFRESH_CACHE": "true"}
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
