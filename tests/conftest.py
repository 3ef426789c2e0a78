"""Shared fixtures: one work dir and one loaded model per test session."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from callqa.env import configure_offline
from callqa.settings import default_work_dir

# The test session is an entry point: the offline environment is set before any test imports
# Prefect or the models (which read it when first imported).
configure_offline(default_work_dir())

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "audio_samples"
SHARED_AUDIO = ROOT.parent / "shared" / "data" / "audio"


@pytest.fixture(scope="session")
def work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The repo's own work dir keeps joined/converted models between runs; tests never write
    # anything else there.
    path = Path(os.environ.get("CALLQA_TEST_HOME", ROOT / ".callqa"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def settings(work_dir: Path):
    from callqa.settings import Settings

    return Settings(work_dir=work_dir)


def write_tone_noise(path: Path, seconds: float, rate: int, channels: int = 1, level_db: float = -60.0, seed: int = 0) -> Path:
    """Low-level noise: the 'silent' recording of a real line (never digital zero)."""
    rng = np.random.default_rng(seed)
    amp = 10 ** (level_db / 20)
    data = (rng.standard_normal((int(seconds * rate), channels)) * amp).astype(np.float32)
    sf.write(path, data if channels > 1 else data[:, 0], rate)
    return path


def sample(call_id: str) -> Path:
    matches = sorted(p for p in SAMPLES.glob(f"{call_id}.*") if p.suffix in (".wav", ".flac", ".mp3", ".ogg"))
    if not matches:
        pytest.skip(f"bundled sample {call_id} is missing")
    return matches[0]


def labelled_samples() -> list[tuple[Path, dict]]:
    import json

    found = []
    for labels in sorted(SAMPLES.glob("*.labels.json")):
        data = json.loads(labels.read_text())
        audio = next((p for p in SAMPLES.glob(f"{data['call_id']}.*") if p.suffix in (".wav", ".flac", ".mp3", ".ogg")), None)
        if audio is not None:
            found.append((audio, data))
    return found


def sample_where(predicate, what: str) -> tuple[Path, dict]:
    """The shortest bundled sample whose labels satisfy predicate (short keeps tests fast)."""
    matches = [(a, d) for a, d in labelled_samples() if predicate(d)]
    if not matches:
        pytest.skip(f"no bundled sample that is {what}")
    return min(matches, key=lambda m: m[1]["audio"]["duration_s"])


def stereo_agent_right() -> tuple[Path, dict]:
    return sample_where(lambda d: (d.get("speakers") or {}).get("agent_channel") == "right", "stereo with the agent on the right")


def stereo_agent_left() -> tuple[Path, dict]:
    return sample_where(lambda d: (d.get("speakers") or {}).get("agent_channel") == "left", "stereo with the agent on the left")


def mono_call() -> tuple[Path, dict]:
    return sample_where(lambda d: (d.get("speakers") or {}).get("method") == "text", "mono")


@pytest.fixture(scope="session")
def prefect_harness():
    """One throwaway Prefect API (SQLite) for every flow test of the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


# --- the store: every store test runs on SQLite and on a real PostgreSQL server ---------------
PG_URL_ENV = "CALLQA_TEST_PG_URL"  # set by .ci/run (bash .ci/postgres start DIR prints one)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh, empty database per test: a SQLite file, or a new database on the server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'callqa.db'}"
        return
    base = os.environ.get(PG_URL_ENV)
    if not base:
        pytest.skip(f"{PG_URL_ENV} is not set: no PostgreSQL server (CI starts one; locally: export {PG_URL_ENV}=$(bash .ci/postgres start DIR))")
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(base)
    name = f"callqa_t_{uuid.uuid4().hex[:12]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def store(store_url: str):
    from callqa.store import open_store

    opened = open_store(store_url)
    yield opened
    opened.close()
