"""Call metadata: manifests (CSV, JSON) keyed by call_id or file name, errors that name the
line, and metadata from the file name by a settings pattern."""

from __future__ import annotations

import json
import re
from datetime import date, time
from pathlib import Path

import pytest

from callqa.metadata import CallMetadata, MetadataError, compile_pattern, from_filename, load_manifest, resolve
from callqa.settings import Settings, SettingsError, load_settings
from conftest import SAMPLES


def test_bundled_manifest_covers_every_sample() -> None:
    manifest = load_manifest(SAMPLES / "metadata.csv")
    audio = [p for p in SAMPLES.iterdir() if p.suffix in (".wav", ".mp3", ".ogg", ".flac")]
    assert len(audio) == 12
    found = {p.stem: manifest.lookup(p.stem, p) for p in audio}
    assert all(m is not None and m.agent and m.team and m.queue and m.date and m.customer_account for m in found.values())
    assert len({m.agent for m in found.values()}) >= 3  # several calls per agent: the summaries have something to show


def test_csv_manifest_by_call_id_and_file(tmp_path: Path) -> None:
    path = tmp_path / "meta.csv"
    path.write_text(
        "call_id,file,agent,team,queue,date,time,account\n"
        "c1,,Ann,Sales,billing,2026-11-02,09:15,ACC-1\n"
        ",rec_0002.wav,Bob,,,20261103,,\n"
        "c3,,Cat,,,2026-11-04T16:30:00,,\n"
    )
    manifest = load_manifest(path)
    assert manifest.lookup("c1") == CallMetadata("Ann", "Sales", "billing", date(2026, 11, 2), time(9, 15), "ACC-1")
    assert manifest.lookup("rec_0002", "/calls/rec_0002.wav").agent == "Bob"
    assert manifest.lookup("rec_0002", "/calls/rec_0002.wav").date == date(2026, 11, 3)
    assert manifest.lookup("c3").started_at.isoformat() == "2026-11-04T16:30:00"
    assert manifest.lookup("unknown", "/calls/other.wav") is None


def test_json_manifest_list_or_mapping(tmp_path: Path) -> None:
    as_list = tmp_path / "a.json"
    as_list.write_text(json.dumps([{"file": "x.mp3", "agent": "Ann", "date": "2026-11-02"}]))
    as_map = tmp_path / "b.json"
    as_map.write_text(json.dumps({"c1": {"agent": "Bob", "customer_account": "ACC-9"}}))
    assert load_manifest(as_list).lookup("x", "x.mp3").agent == "Ann"
    assert load_manifest(as_map).lookup("c1").customer_account == "ACC-9"


@pytest.mark.parametrize(
    "name, text, where, what",
    [
        ("m.csv", "call_id,agent,date\nc1,Ann,2026-11-02\nc2,Bob,2026-13-45\n", "line 3", "date '2026-13-45'"),
        ("m.csv", "call_id,agent,shoe_size\nc1,Ann,42\n", "line 2", "unknown field(s) shoe_size"),
        ("m.csv", "agent,date\nAnn,2026-11-02\n", "line 1", "call_id or file column"),
        ("m.csv", "call_id,agent\nc1,Ann\nc1,Bob\n", "line 3", "appears twice"),
        ("m.csv", "call_id,agent\nc1,Ann,extra\n", "line 2", "more cells"),
        ("m.csv", "call_id,agent,time\nc1,Ann,25:99\n", "line 2", "time '25:99'"),
        ("m.csv", "call_id,file,agent\n,,Ann\n", "line 2", "no call_id or file"),
        ("m.csv", "call_id,agent\n  ,Ann\n", "line 2", "no call_id or file"),
        ("m.json", '[{"call_id": "c1"},\n {"call_id": "c2", "agent": ', "line 2", "not valid JSON"),
        ("m.json", '[{"call_id": "c1"}, 7]', "entry 2", "not an object"),
        ("m.json", '"c1"', "m.json", "a list of objects"),
    ],
)
def test_manifest_errors_name_the_place(tmp_path: Path, name: str, text: str, where: str, what: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(MetadataError) as caught:
        load_manifest(path)
    assert where in str(caught.value) and what in str(caught.value) and str(path) in str(caught.value)


def test_missing_manifest_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MetadataError, match="cannot read metadata manifest"):
        load_manifest(tmp_path / "nope.csv")


def test_metadata_from_the_file_name() -> None:
    pattern = compile_pattern(r"(?P<agent>[^_]+)_(?P<queue>[a-z]+)_(?P<date>\d{8})_(?P<time>\d{4})_.*")
    meta = from_filename(pattern, Path("/rec/jdoe_billing_20261102_0915_abc123.wav"))
    assert meta == CallMetadata(agent="jdoe", queue="billing", date=date(2026, 11, 2), time=time(9, 15))
    assert from_filename(pattern, Path("unrelated.wav")) is None
    with pytest.raises(MetadataError, match="date '20261399'"):
        from_filename(pattern, Path("jdoe_billing_20261399_0915_x.wav"))


def test_manifest_wins_over_the_file_name_which_wins_over_the_earlier_record(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("call_id,agent\nann_20261102_1,Manifest Ann\n")
    pattern = compile_pattern(r"(?P<agent>[^_]+)_(?P<date>\d{8})_.*")
    earlier = CallMetadata(agent="old", team="Care", customer_account="ACC-1")
    meta = resolve("ann_20261102_1", Path("ann_20261102_1.wav"), load_manifest(path), pattern, earlier)
    assert meta == CallMetadata(agent="Manifest Ann", team="Care", date=date(2026, 11, 2), customer_account="ACC-1")
    assert resolve("x", Path("x.wav"), None, None, earlier) == earlier


@pytest.mark.parametrize(
    "pattern, message",
    [("(?P<agent>[^_]+", "not a valid regex"), (r"(?P<shoe>\d+)", "unknown group(s) shoe"), (r"\d+_.*", "no named groups")],
)
def test_bad_filename_pattern_is_a_settings_error(pattern: str, message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings(metadata_pattern=pattern)


def test_filename_pattern_from_a_settings_file_does_not_change_the_transcription_key(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text("metadata_pattern: '(?P<agent>[^_]+)_.*'\n")
    settings = load_settings(path)
    assert settings.metadata_pattern == "(?P<agent>[^_]+)_.*"
    assert settings.transcription_key() == Settings().transcription_key()  # no re-transcription for a metadata change
