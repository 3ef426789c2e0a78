"""The review app through FastAPI's TestClient over a real SQLite store: audio range requests,
recordings-root safety, authentication, malformed filters, review decisions, exports."""

from __future__ import annotations

import base64
import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from callqa.store.db import default_url, open_store
from callqa.store.write import save_record
from store_data import as_record
from callqa.web.app import ServeConfig, create_app
from callqa.web.cancellations import Cancellation, load_cancellations, quick_cancels, rates_by_agent
from callqa.web.users import add_user, load_users, verify_password

FLAG_KEY = "CONTINUED_AFTER_DECLINE:offer-1"
BASE = "http://127.0.0.1"  # a loopback Host: any other name is refused (DNS rebinding)


def _ev(seg: str, speaker: str, start: float, end: float, quote: str, rule: str) -> dict:
    return {"segment_id": seg, "speaker": speaker, "start": start, "end": end, "quote": quote, "rule": rule}


def make_record(call_id: str, audio: Path, agent: str, day: str, *, account: str = "ACC-1", pushy: bool = True, score: float = 40.0) -> dict:
    """A schema v1 record in the pipeline's shape: one sale, and (pushy) a close after a decline."""
    seg = [
        (f"{call_id}-a1", "agent", 0.5, 2.0, "Thank you for calling, how can I help?"),
        (f"{call_id}-c1", "customer", 2.2, 4.0, "My phone broke and I need a new one."),
        (f"{call_id}-a2", "agent", 4.5, 6.0, "Would you like device protection for $9 a month?"),
        (f"{call_id}-c2", "customer", 6.2, 7.0, "No, I'm fine."),
        (f"{call_id}-a3", "agent", 7.4, 9.0, "Are you sure? A screen costs $300."),
        (f"{call_id}-c3", "customer", 9.1, 9.8, "Okay, fine."),
    ]
    transcript = [{"id": i, "speaker": s, "start": a, "end": b, "text": t, "confidence": 0.9, "words": []} for i, s, a, b, t in seg]
    pitch = _ev(seg[2][0], "agent", 4.5, 6.0, seg[2][4], "OFFER-OUR-PRODUCT")
    decline = _ev(seg[3][0], "customer", 6.2, 7.0, seg[3][4], "DECLINE-NO-START")
    again = _ev(seg[4][0], "agent", 7.4, 9.0, seg[4][4], "CLOSE-PRESSURE")
    disclosures = {
        "price": {"status": "disclosed_before_consent", "evidence": {**pitch, "rule": "DISC-PRICE-AMOUNT"}},
        "recurring_charge": {"status": "disclosed_before_consent", "evidence": {**pitch, "rule": "DISC-RECURRING-PERIOD"}},
        "cancellation_terms": {"status": "missing", "evidence": None},
        "contract_term": {"status": "not_applicable", "evidence": None},
        "restrictions": {"status": "missing", "evidence": None},
    }
    offer = {
        "id": "offer-1", "product": "device protection", "kind": "cross_sell", "need_fit": True, "customer_response": "accepted",
        "response_evidence": _ev(seg[5][0], "customer", 9.1, 9.8, seg[5][4], "ACCEPT-YES"), "consent_time": 9.1, "start": 4.5,
        "evidence": pitch, "closing_attempts": [pitch, again] if pushy else [pitch], "closing_attempts_after_decline": 1 if pushy else 0,
        "disclosures": disclosures,
    }
    flags = [{"code": "CONTINUED_AFTER_DECLINE", "severity": "high", "message": "1 closing attempt after the customer declined",
              "offer_id": "offer-1", "evidence": [decline, again]}] if pushy else []
    sentiment_segments = [{"segment_id": s[0], "label": "negative" if s[0].endswith("c1") else "neutral", "score": -0.4 if s[0].endswith("c1") else 0.0} for s in seg]
    return {
        "schema_version": "1", "call_id": call_id, "status": "scored", "error": None,
        "audio": {"path": str(audio), "sha256": "0" * 64, "duration_s": 10.0, "sample_rate": 8000, "channels": 2},
        "speakers": {"method": "channel", "agent_channel": "left", "confidence": 0.99},
        "transcript": transcript,
        "need": {"label": "new_purchase", "confidence": 0.9, "evidence": _ev(seg[1][0], "customer", 2.2, 4.0, seg[1][4], "NEED-EMB")},
        "offers": [offer],
        "closing_attempts": {"total": len(offer["closing_attempts"]), "after_decline": offer["closing_attempts_after_decline"]},
        "sentiment": {"customer": {"segments": [s for s in sentiment_segments if "-c" in s["segment_id"]]},
                      "agent": {"segments": [s for s in sentiment_segments if "-a" in s["segment_id"]]}},
        "flags": flags,
        "score": {"value": score, "items": [{"id": "stops_after_no", "question": "Stops selling after a clear no", "result": "fail" if pushy else "pass",
                                              "weight": 15.0, "auto_fail": True, "evidence": [decline, again] if pushy else []}]},
        "versions": {"callqa": "test"},
        "metadata": {"agent": agent, "date": day, "customer_account": account},
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("web")
    roots = base / "recordings"
    roots.mkdir()
    outside = base / "elsewhere"
    outside.mkdir()
    rng = np.random.default_rng(0)
    audio = roots / "alpha.wav"
    sf.write(audio, (rng.standard_normal((8000 * 10, 2)) * 0.05).astype(np.float32), 8000)
    secret = outside / "secret.wav"
    secret.write_bytes(audio.read_bytes())
    (roots / "link.wav").symlink_to(secret)
    store = open_store(default_url(base))
    records = [
        make_record("alpha", audio, "Ann", "2026-11-02", account="ACC-1"),
        make_record("beta", audio, "Bob", "2026-11-03", account="ACC-2", pushy=False, score=100.0),
        make_record("outside", secret, "Bob", "2026-11-04"),
        make_record("escape", roots / ".." / "elsewhere" / "secret.wav", "Bob", "2026-11-04"),
        make_record("symlink", roots / "link.wav", "Bob", "2026-11-04"),
        make_record("gone", roots / "missing.wav", "Bob", "2026-11-04"),
    ]
    with store.session() as session:
        for r in records:
            save_record(session, as_record(r))
    store.close()
    return {"base": base, "roots": roots, "audio": audio, "url": default_url(base)}


@pytest.fixture(scope="module")
def client(site: dict) -> TestClient:
    return TestClient(create_app(ServeConfig(site["url"], (site["roots"],))), base_url=BASE)


def test_audio_range_requests_seek(client: TestClient, site: dict) -> None:
    data = site["audio"].read_bytes()
    whole = client.get("/calls/alpha/audio")
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["accept-ranges"] == "bytes" and whole.headers["content-type"] == "audio/wav"
    first = client.get("/calls/alpha/audio", headers={"Range": "bytes=0-99"})
    assert first.status_code == 206
    assert first.headers["content-range"] == f"bytes 0-99/{len(data)}"
    assert first.content == data[:100]
    # A seek into the middle of the file asks for an open-ended range from there.
    middle = len(data) // 2
    seeked = client.get("/calls/alpha/audio", headers={"Range": f"bytes={middle}-"})
    assert seeked.status_code == 206
    assert seeked.headers["content-range"] == f"bytes {middle}-{len(data) - 1}/{len(data)}"
    assert seeked.content == data[middle:]
    assert client.get("/calls/alpha/audio", headers={"Range": f"bytes={len(data) + 10}-"}).status_code == 416


@pytest.mark.parametrize("call_id", ["outside", "escape", "symlink"])
def test_audio_outside_the_recordings_roots_is_refused(client: TestClient, call_id: str) -> None:
    response = client.get(f"/calls/{call_id}/audio")
    assert response.status_code == 403
    assert b"RIFF" not in response.content


@pytest.mark.parametrize("path", ["/calls/..%2F..%2Fetc%2Fpasswd/audio", "/calls/nope/audio", "/calls/gone/audio", "/static/..%2F..%2F..%2Fpyproject.toml", "/static/../app.py"])
def test_unknown_or_traversing_paths_are_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404, path
    assert b"[project]" not in response.content and b"create_app" not in response.content


def test_default_roots_are_the_folders_of_the_stored_audio(site: dict, tmp_path: Path) -> None:
    url = default_url(tmp_path)
    store = open_store(url)
    with store.session() as session:
        save_record(session, as_record(make_record("alpha", site["audio"], "Ann", "2026-11-02")))
    app = create_app(ServeConfig(url))
    assert app.state.callqa.roots == [site["roots"].resolve()]
    client = TestClient(app, base_url=BASE)
    assert client.get("/calls/alpha/audio", headers={"Range": "bytes=0-9"}).status_code == 206
    # A call stored after startup, from a new folder, is served too (the default roots follow the store).
    later = tmp_path / "later"
    later.mkdir()
    audio = later / "late.wav"
    audio.write_bytes(site["audio"].read_bytes())
    with store.session() as session:
        save_record(session, as_record(make_record("late", audio, "Cy", "2026-11-05")))
    store.close()
    assert client.get("/calls/late/audio", headers={"Range": "bytes=0-9"}).status_code == 206


BAD_FILTERS = [
    "date_from=2026-13-45", "date_from=yesterday", "score_min=-1", "score_max=101", "score_min=abc",
    "score_min=80&score_max=20", "date_from=2026-11-10&date_to=2026-11-01", "flag=not-a-code", "need=Bad%20Need", "status=maybe",
]
BAD_CASES = [(path, q) for path in ["/calls", "/disclosures", "/disclosures.csv", "/agents"] for q in BAD_FILTERS] + [
    ("/calls", q) for q in ["page=0", "page=x", "per_page=100000", "sort=drop%20table"]
] + [("/disclosures.json", q) for q in ["item=salary", "disclosure_status=maybe"]] + [("/disclosures", "page=0"), ("/disclosures", "per_page=9999")]


@pytest.mark.parametrize(("path", "query"), BAD_CASES)
def test_malformed_filters_are_422(client: TestClient, path: str, query: str) -> None:
    response = client.get(f"{path}?{query}", headers={"Accept": "text/html"})
    assert response.status_code == 422, (path, query, response.text[:300])
    assert "Invalid parameters" in response.text
    as_json = client.get(f"{path}?{query}")
    assert as_json.status_code == 422 and as_json.json()["detail"]


def test_calls_list_filters_sorts_and_counts(client: TestClient) -> None:
    page = client.get("/calls?flag=CONTINUED_AFTER_DECLINE&sort=-score").text
    assert 'data-call="alpha"' in page and 'data-call="beta"' not in page
    assert '<b id="total">5</b>' in page
    assert 'data-flag="CONTINUED_AFTER_DECLINE">CONTINUED_AFTER_DECLINE <b>5</b>' in page
    bob_high = client.get("/calls?agent=Bob&score_min=90").text
    assert '<option value="Ann" >Ann</option>' in bob_high and '<option value="Bob" selected>Bob</option>' in bob_high
    assert 'data-call="beta"' in bob_high and 'data-call="alpha"' not in bob_high
    dated = client.get("/calls?date_from=2026-11-03&date_to=2026-11-03&per_page=1").text
    assert 'data-call="beta"' in dated and "page 1 of 1" in dated
    paged = client.get("/calls?per_page=2&page=2&sort=call_id").text
    assert "page 2 of 3" in paged and 'data-call="beta"' not in paged and 'data-call="gone"' in paged


def test_call_page_shows_transcript_marks_and_evidence(client: TestClient) -> None:
    page = client.get("/calls/alpha").text
    assert 'src="/calls/alpha/audio"' in page
    assert "close #1" in page and "close #2 after decline" in page
    assert "decline" in page and "accepted: device protection" in page and "sentiment dip" in page
    assert 'data-seek="7.4"' in page  # the close after the decline plays from its start
    assert "never said" in page and "stereo" in page and "by channel" in page


def test_review_decision_is_stored_shown_and_exported(client: TestClient) -> None:
    missing_name = client.post("/calls/alpha/decisions", data={"target_kind": "flag", "target_key": FLAG_KEY, "decision": "confirm"})
    assert missing_name.status_code == 400
    unknown = client.post("/calls/alpha/decisions", data={"target_kind": "flag", "target_key": "NOPE", "decision": "confirm", "reviewer": "Coach"})
    assert unknown.status_code == 400
    bad = client.post("/calls/alpha/decisions", data={"target_kind": "flag", "target_key": FLAG_KEY, "decision": "delete", "reviewer": "Coach"})
    assert bad.status_code == 422
    done = client.post(
        "/calls/alpha/decisions",
        data={"target_kind": "flag", "target_key": FLAG_KEY, "decision": "overturn", "note": "customer asked for the price", "reviewer": "Coach"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/calls/alpha#decisions"
    page = client.get("/calls/alpha").text
    assert "overturned</b> by Coach" in page and "customer asked for the price" in page
    assert "machine: CONTINUED_AFTER_DECLINE" in page
    # The machine verdict stays: the flag is still on the call and counted in the list.
    assert 'data-flag="CONTINUED_AFTER_DECLINE:offer-1"' in page
    assert 'data-call="alpha"' in client.get("/calls?flag=CONTINUED_AFTER_DECLINE").text
    rows = client.get("/disclosures.json?agent=Ann").json()["rows"]
    assert any("overturn CONTINUED_AFTER_DECLINE:offer-1 by Coach" in d for r in rows for d in r["decisions"])


@pytest.mark.parametrize("headers", [{"Sec-Fetch-Site": "cross-site"}, {"Origin": "http://evil.example"}])
def test_cross_site_decision_posts_are_refused(client: TestClient, headers: dict) -> None:
    response = client.post("/calls/alpha/decisions", headers=headers,
                           data={"target_kind": "flag", "target_key": FLAG_KEY, "decision": "confirm", "reviewer": "x"})
    assert response.status_code == 403
    same_origin = client.post("/calls/alpha/decisions", headers={"Origin": BASE}, follow_redirects=False,
                              data={"target_kind": "flag", "target_key": FLAG_KEY, "decision": "confirm", "reviewer": "x"})
    assert same_origin.status_code == 303


def test_disclosure_exports_for_a_filter(client: TestClient) -> None:
    response = client.get("/disclosures.csv?agent=Ann")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["call_id"] for r in rows} == {"alpha"} and len(rows) == 5
    price = next(r for r in rows if r["item"] == "price")
    assert price["status"] == "disclosed_before_consent" and price["before_consent"] == "True"
    assert float(price["start"]) == 4.5 and "$9 a month" in price["quote"]
    never = next(r for r in rows if r["item"] == "cancellation_terms")
    assert never["status"] == "missing" and never["quote"] == "" and never["before_consent"] == ""
    missing_only = client.get("/disclosures.json?disclosure_status=missing&item=restrictions").json()
    assert missing_only["filters"] == {"item": "restrictions", "disclosure_status": "missing"}
    assert missing_only["count"] == 6 and all(r["status"] == "missing" for r in missing_only["rows"])
    paged = client.get("/disclosures?per_page=5&page=2&item=price").text
    assert '<b id="disclosure-total">6</b>' in paged and "page 2 of 2" in paged and paged.count('class="card audit-offer"') == 1
    page = client.get("/disclosures?agent=Ann").text
    assert "never said" in page and 'data-src="/calls/alpha/audio"' in page and "export CSV" in page


def test_agent_summary_links_down_to_the_calls(client: TestClient) -> None:
    page = client.get("/agents?date_from=2026-11-01&date_to=2026-11-30").text
    assert 'data-agent="Ann"' in page and 'data-agent="Bob"' in page
    assert "<svg" in page and "Average score" in page
    assert '<a href="/calls?flag=CONTINUED_AFTER_DECLINE&amp;agent=Bob&amp;date_from=2026-11-01&amp;date_to=2026-11-30">4</a>' in page


def test_quick_cancellations_join(tmp_path: Path, site: dict) -> None:
    csv_path = tmp_path / "cancellations.csv"
    csv_path.write_text("account,date,product\nACC-1,2026-11-09,Device Protection Plan\nACC-2,2026-12-30,device protection\nACC-9,2026-11-05,\n")
    cancellations = load_cancellations(csv_path)
    assert cancellations[0] == Cancellation("ACC-1", __import__("datetime").date(2026, 11, 9), "Device Protection Plan")
    app = create_app(ServeConfig(site["url"], (site["roots"],), cancellations=tuple(cancellations), cancel_window_days=14))
    client = TestClient(app, base_url=BASE)
    page = client.get("/cancellations").text
    assert 'href="/calls/alpha#offers"' in page and "beta" not in page.split("Sales cancelled")[1]
    agents = client.get("/agents").text
    assert "quick cancels (14 d)" in agents and "1/1 (100 %)" in agents
    bad = tmp_path / "bad.csv"
    bad.write_text("account,date\nACC-1,09/11/2026\n")
    with pytest.raises(ValueError, match="bad.csv:2"):
        load_cancellations(bad)


def test_quick_cancel_window_and_product_match() -> None:
    from datetime import date

    from callqa.store.queries import SaleRow

    sold = [SaleRow("c1", "Ann", date(2026, 11, 1), "A", "o1", "device protection", 30.0), SaleRow("c2", "Ann", date(2026, 11, 1), "B", "o1", "fibre upgrade", 30.0)]
    cancelled = [Cancellation("A", date(2026, 11, 20), "device protection"), Cancellation("B", date(2026, 11, 2), "streaming bundle")]
    assert [q.sale.call_id for q in quick_cancels(sold, cancelled, 30)] == ["c1"]
    assert quick_cancels(sold, cancelled, 10) == []
    rates = rates_by_agent(sold, quick_cancels(sold, cancelled, 30))
    assert [(r.agent, r.sales, r.quick_cancels, r.rate) for r in rates] == [("Ann", 2, 1, 0.5)]


def _basic(name: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


def test_every_request_needs_login_when_users_exist(tmp_path: Path, site: dict) -> None:
    users_file = tmp_path / "users.json"
    assert add_user(users_file, "auditor", "correct horse battery")
    assert (users_file.stat().st_mode & 0o777) == 0o600
    stored = json.loads(users_file.read_text())["users"]["auditor"]["hash"]
    assert stored.startswith("scrypt$") and "correct horse" not in users_file.read_text()
    assert verify_password("correct horse battery", stored) and not verify_password("wrong", stored)
    client = TestClient(create_app(ServeConfig(site["url"], (site["roots"],), users=load_users(users_file))), base_url=BASE)
    for path in ["/calls", "/calls/alpha", "/calls/alpha/audio", "/disclosures.csv", "/agents", "/static/app.css", "/nope"]:
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"].startswith("Basic")
    assert client.get("/calls", headers=_basic("auditor", "wrong password")).status_code == 401
    assert client.get("/calls", headers=_basic("nobody", "correct horse battery")).status_code == 401
    assert client.get("/calls", headers={"Authorization": "Basic !!!"}).status_code == 401
    assert client.post("/calls/alpha/decisions", data={"target_kind": "flag", "target_key": FLAG_KEY, "decision": "confirm", "reviewer": "x"}).status_code == 401
    ok = _basic("auditor", "correct horse battery")
    assert client.get("/calls", headers=ok).status_code == 200
    assert client.get("/calls/alpha/audio", headers={**ok, "Range": "bytes=0-9"}).status_code == 206
    # The reviewer is the logged-in user, whatever the form says.
    client.post("/calls/beta/decisions", headers=ok, data={"target_kind": "score_item", "target_key": "stops_after_no", "decision": "confirm", "reviewer": "someone else"})
    page = client.get("/calls/beta", headers=ok).text
    assert "confirmed</b> by auditor" in page and "someone else" not in page and "signed in as auditor" in page


def test_serve_refuses_other_interfaces_without_users(tmp_path: Path, site: dict) -> None:
    from callqa.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["serve", "--out", str(site["base"]), "--host", "0.0.0.0", "--users", str(tmp_path / "none.json")])
    assert result.exit_code == 2 and "without users" in result.output
    missing = runner.invoke(app, ["serve", "--out", str(tmp_path / "empty")])
    assert missing.exit_code == 2 and "no store" in missing.output
    added = runner.invoke(app, ["users", "add", "lead", "--users", str(tmp_path / "u.json"), "--password-stdin"], input="long enough pw\n")
    assert added.exit_code == 0, added.output
    assert load_users(tmp_path / "u.json").verify("lead", "long enough pw")
    # With users, another interface still needs explicit recordings roots.
    no_roots = runner.invoke(app, ["serve", "--out", str(site["base"]), "--host", "0.0.0.0", "--users", str(tmp_path / "u.json")])
    assert no_roots.exit_code == 2 and "without --recordings-root" in no_roots.output
    short = runner.invoke(app, ["users", "add", "lead", "--users", str(tmp_path / "u.json"), "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and "at least 8" in short.output


def test_needs_review_filter_and_call_page_show_unsure_flags_and_low_confidence_words(site: dict, tmp_path: Path) -> None:
    url = default_url(tmp_path)
    store = open_store(url)
    unsure = make_record("unsure", site["audio"], "Ann", "2026-11-02")
    unsure["flags"][0] |= {"status": "needs_review", "confidence": 0.31}
    pitch = unsure["transcript"][4]  # "Are you sure? A screen costs $300."
    pitch["words"] = [
        {"text": w, "start": 7.4 + i * 0.2, "end": 7.5 + i * 0.2, "prob": 0.31 if w == "$300." else 0.95}
        for i, w in enumerate(pitch["text"].split())
    ]
    sure = make_record("sure", site["audio"], "Bob", "2026-11-03")
    with store.session() as session:
        save_record(session, as_record(unsure))
        save_record(session, as_record(sure))
    store.close()
    client = TestClient(create_app(ServeConfig(url, (site["roots"],))), base_url=BASE)
    listed = client.get("/calls?needs_review=true").text
    assert 'data-call="unsure"' in listed and 'data-call="sure"' not in listed
    assert '<option value="true" selected>needs review</option>' in listed
    assert 'data-review="1">1 to review' in listed
    rest = client.get("/calls?needs_review=false").text
    assert 'data-call="sure"' in rest and 'data-call="unsure"' not in rest
    # the unsure flag is not a verdict: the flag filter finds only the sure call
    flagged = client.get("/calls?flag=CONTINUED_AFTER_DECLINE").text
    assert 'data-call="sure"' in flagged and 'data-call="unsure"' not in flagged
    page = client.get("/calls/unsure").text
    review = page.split('<h2 id="review">', 1)[1]
    assert 'data-status="needs_review"' in review and "confidence 0.31" in review and "CONTINUED_AFTER_DECLINE" in review
    assert 'class="card flag-card" data-flag' not in page.split('<h2 id="review">', 1)[0].split('<h2 id="flags">', 1)[1]  # not among the counted flags
    assert '<span class="low-conf" title="ASR word probability 0.31">$300.</span>' in page
    assert 'class="low-conf" title="ASR word probability 0.95"' not in page
