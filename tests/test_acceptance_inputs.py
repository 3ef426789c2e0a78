"""Acceptance batch for issues 10 and 11 through the real flow: odd inputs each get a record,
and no card number, SSN or email reaches a file under --out or the work dir, or the store."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SECRETS = ("4111 1111 1111 1111", "4111111111111111", "123-45-6789", "john.doe@example.com")


def _folder(root: Path) -> Path:
    root.mkdir()
    (root / "page.html").write_text("<html><body><script>alert(1)</script></body></html>")
    os.symlink("/etc/passwd", root / "passwd.wav")
    os.symlink(root / "loop.wav", root / "loop.wav")
    (root / ("n" * (245 - len(".wav")) + ".wav")).write_text("not audio either")
    (root / "empty.wav").write_bytes(b"")
    (root / "sale.transcript.json").write_text(json.dumps({"turns": [
        {"speaker": "agent", "text": "Thanks for calling Acme, how can I help?"},
        {"speaker": "customer", "text": "I want the premium plan."},
        # a pitch in so many words: the bare price after the request ("The premium plan is $19.99 a
        # month. Shall I add it?") sits at the turn-act model's implied-pitch line (0.49 against 0.5
        # since turn-acts-lr@6364728d), and this test is about the batch, not that line
        {"speaker": "agent", "text": "I can put you on the premium plan, it's $19.99 a month. Shall I add it?"},
        {"speaker": "customer", "text": "Yes. My card is 4111 1111 1111 1111, my SSN is 123-45-6789 and my email is john.doe@example.com"},
    ]}))
    return root


def _files_holding(folder: Path, needles: tuple[str, ...]) -> list[Path]:
    found = []
    for top, _, files in os.walk(folder):
        for name in files:
            path = Path(top) / name
            if path.is_symlink():
                continue
            data = path.read_bytes()
            if any(n.encode() in data for n in needles):
                found.append(path)
    return found


def test_acceptance_batch(tmp_path: Path, prefect_harness) -> None:
    from callqa.settings import Settings
    from flows.score import score_calls

    work = tmp_path / "work"
    settings = Settings(work_dir=work)
    folder, out = _folder(tmp_path / "calls"), tmp_path / "out"
    (out / "records").mkdir(parents=True)
    (out / "records" / "stray.json").write_text("[1, 2, 3]")  # stray files in records/: no crash
    (out / "records" / "page.json").write_bytes(b"\xff\xfe{not utf-8")
    (out / "records" / ".callqa-old.tmp").write_text("{")  # a killed batch's leftover
    os.utime(out / "records" / ".callqa-old.tmp", (0, 0))
    summary = score_calls([folder, folder / "loop.wav"], out, settings)
    records = {p.stem: json.loads(p.read_text()) for p in (out / "records").glob("*.json") if p.stem != "stray"}
    codes = {k: (r["error"] or {}).get("code") for k, r in records.items()}
    long_id = next(k for k in codes if k.startswith("nnnn"))
    assert codes == {"page": "not_audio", "passwd": "outside_input", "loop": "symlink_loop", long_id: "not_audio",
                     "empty": "empty_file", "sale": None}
    assert summary.total == 6 and summary.scored == 1
    sale = records["sale"]
    assert sale["source"] == "transcript" and {r["type"] for r in sale["redactions"]} == {"CARD", "SSN", "EMAIL"}
    assert sale["offers"] and sale["offers"][0]["disclosures"]["price"]["status"].startswith("disclosed")
    assert records["passwd"]["audio"]["sha256"] is None
    assert _files_holding(out, SECRETS) == [] and _files_holding(work, SECRETS) == []
    dump = "\n".join(sqlite3.connect(out / "callqa.db").iterdump())
    assert "sale" in dump and not any(s in dump for s in SECRETS)
    assert not list((out / "records").glob(".*.tmp"))


def test_a_full_disk_stops_the_batch_with_one_message(tmp_path: Path, prefect_harness, monkeypatch) -> None:
    from callqa.settings import Settings
    from flows import score as score_module

    folder = tmp_path / "calls"
    folder.mkdir()
    for i in range(12):
        (folder / f"c{i:02d}.vtt").write_text(f"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Agent>hello {i}\n")
    written: list[str] = []

    def full(out_dir, record):
        if len(written) >= 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(record.call_id)
        return score_module.write_record(out_dir, record)

    monkeypatch.setattr(score_module.write_task, "fn", full)
    settings = replace(Settings(work_dir=tmp_path / "work"), workers=1, threads=1)
    summary = score_module.score_calls([folder], tmp_path / "out", settings)
    assert summary.stopped and "disk is full" in summary.stopped
    assert summary.total == 12 and len(written) == 2
    not_run = [c for c, code in summary.failures.items() if code == "not_run"]
    assert not_run and summary.failures.get(not_run[0]) == "not_run"
    assert sum(code == "disk_full" for code in summary.failures.values()) <= 4  # the calls in flight, not all of them
