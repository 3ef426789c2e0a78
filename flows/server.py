"""A real Prefect server on this machine, for the Dask mode's tests and benchmarks.

`prefect server start` in a subprocess with its own home (SQLite in it), waited on until
/api/health answers, and stopped afterwards. In production the server is started once by
hand (README, "Running on many machines"); this is the same command.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

STARTUP_TIMEOUT_S = 120.0


class ServerError(RuntimeError):
    """The server exited or did not answer in time; the message holds the end of its log."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _without_prefect_settings() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}


def client_env(api_url: str, home: Path) -> dict[str, str]:
    """This process's environment for a client of the server at api_url (no other PREFECT_ setting)."""
    return _without_prefect_settings() | {"PREFECT_API_URL": api_url, "PREFECT_HOME": str(home)}


@contextmanager
def local_prefect_server(home: Path) -> Iterator[str]:
    """Start a server with its home in `home`; yields its API URL (http://127.0.0.1:<port>/api)."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = _without_prefect_settings() | {
        "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_SERVER_UI_ENABLED": "false",
    }
    log_path = home / "server.log"
    url = f"http://127.0.0.1:{port}/api"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            _wait_healthy(proc, url, log_path)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_healthy(proc: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            raise ServerError(f"prefect server exited with {proc.returncode}: {log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise ServerError(f"prefect server did not answer {url}/health within {STARTUP_TIMEOUT_S:.0f} s")
        time.sleep(0.5)
