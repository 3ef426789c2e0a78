"""The real flow into the store: `callqa score --metadata` fills <out>/callqa.db and publishes
the Prefect summary artifact; its records load into SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from callqa.cli import app
from callqa.store import CallFilter, default_url, get_call, ingest_records, list_calls, open_store
from conftest import SAMPLES, mono_call, stereo_agent_left

pytestmark = pytest.mark.slow
runner = CliRunner()


@pytest.fixture(scope="module")
def scored_out(tmp_path_factory: pytest.TempPathFactory, work_dir: Path, prefect_harness) -> tuple[Path, str]:
    """Two bundled calls (stereo and mono) scored once with the bundled metadata manifest."""
    out = tmp_path_factory.mktemp("scored") / "out"
    calls = [stereo_agent_left()[0], mono_call()[0]]
    args = ["score", *map(str, calls), "--out", str(out), "--work-dir", str(work_dir), "--no-progress", "--metadata", str(SAMPLES / "metadata.csv")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return out, result.output


def _rows(url: str) -> list[tuple]:
    store = open_store(url)
    with store.session() as s:
        rows = [(r.call_id, r.agent, r.team, r.call_date, r.need_label, r.score_value, r.flag_codes, r.stereo) for r in list_calls(s, sort="call_id").rows]
    store.close()
    return rows


def test_score_fills_the_store_with_metadata(scored_out: tuple[Path, str], work_dir: Path) -> None:
    out, output = scored_out
    assert f"store: {default_url(out)} (2 calls written or up to date)" in " ".join(output.split())  # rich wraps lines
    records = {p.stem: json.loads(p.read_text()) for p in (out / "records").glob("*.json")}
    store = open_store(default_url(out))
    with store.session() as s:
        page = list_calls(s, sort="call_id")
        assert page.total == 2
        for row in page.rows:
            rec = records[row.call_id]
            assert row.agent and row.agent == rec["metadata"]["agent"] and row.call_date.isoformat() == rec["metadata"]["date"]
            assert (row.need_label, row.score_value) == (rec["need"]["label"], rec["score"]["value"])
            assert row.flag_codes == tuple(f["code"] for f in rec["flags"])
            assert row.stereo == (rec["speakers"]["method"] == "channel")
            detail = get_call(s, row.call_id)
            assert [seg.text for seg in detail.call.segments] == [t["text"] for t in rec["transcript"]]
            assert detail.call.audio_path == rec["audio"]["path"] and Path(detail.call.audio_path).is_file()
        assert {r.stereo for r in page.rows} == {True, False}
        stored_at = {r.call_id: get_call(s, r.call_id).call.stored_at for r in page.rows}
    store.close()

    # A rerun redoes nothing and rewrites no rows.
    calls = [stereo_agent_left()[0], mono_call()[0]]
    again = runner.invoke(app, ["score", *map(str, calls), "--out", str(out), "--work-dir", str(work_dir), "--no-progress"])
    assert again.exit_code == 0 and "2 already done" in " ".join(again.output.split())
    store = open_store(default_url(out))
    with store.session() as s:
        assert {r.call_id: get_call(s, r.call_id).call.stored_at for r in list_calls(s).rows} == stored_at
        assert list_calls(s, CallFilter(agent=page.rows[0].agent)).total >= 1  # metadata kept without --metadata
    store.close()


def test_batch_publishes_a_prefect_summary_artifact(scored_out: tuple[Path, str]) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.artifact import SUMMARY_KEY, WORST_KEY

    from prefect.client.schemas.sorting import ArtifactSort

    def newest(key: str):  # other flow tests of the session publish under the same keys
        with get_client(sync_client=True) as client:
            found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])), sort=ArtifactSort.CREATED_DESC, limit=1)
        assert found, f"no artifact {key}"
        return found[0].data

    text = newest(SUMMARY_KEY)
    # The module's last batch: its two calls, scored (first run) or already done (the rerun), all stored.
    assert re.search(r"^\| 2 \| (2 \| 0 \| 0|0 \| 0 \| 2) \| 2 \| 0 \|$", text, re.M) and "Flags by code" in text
    worst = newest(WORST_KEY)
    rows = json.loads(worst) if isinstance(worst, str) else worst
    assert {r["call"] for r in rows} == {stereo_agent_left()[0].stem, mono_call()[0].stem}


def test_real_records_ingest_into_each_backend(scored_out: tuple[Path, str], store_url: str) -> None:
    out, _ = scored_out
    store = open_store(store_url)
    with store.session() as s:
        result = ingest_records(s, sorted((out / "records").glob("*.json")))
    store.close()
    assert (result.written, result.errors) == (2, {})
    assert _rows(store_url) == _rows(default_url(out))
