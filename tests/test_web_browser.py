"""The review app in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright;
no browser download) against `callqa serve` on a free port, over a store filled with records
the real pipeline wrote for three bundled calls.

Skipped only when Chromium is missing and CALLQA_REQUIRE_BROWSER is unset (.ci/run sets it,
so CI fails rather than skips). Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLES

pytestmark = pytest.mark.slow

CHROMIUM = Path(os.environ.get("CALLQA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--mute-audio", "--autoplay-policy=no-user-gesture-required",
]
ARTIFACTS = Path(os.environ.get("CALLQA_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"
CALLS = ["telecom_protection_after_no.mp3", "insurance_sale_no_recap.mp3", "banking_declined_handled_well.ogg"]
PUSHY = "telecom_protection_after_no"


def _need_chromium() -> None:
    if CHROMIUM.is_file():
        return
    if os.environ.get("CALLQA_REQUIRE_BROWSER"):
        pytest.fail(f"CALLQA_REQUIRE_BROWSER is set but {CHROMIUM} is missing (apt-get install chromium)")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); set CALLQA_REQUIRE_BROWSER to make this an error")


@pytest.fixture(scope="module")
def scored_out(tmp_path_factory: pytest.TempPathFactory, settings, prefect_harness) -> Path:
    """Three bundled calls through the real flow, which writes the store with the samples' metadata."""
    _need_chromium()
    from flows.score import score_calls

    base = tmp_path_factory.mktemp("review")
    calls = base / "calls"
    calls.mkdir()
    for name in CALLS:
        shutil.copy(SAMPLES / name, calls / name)
    out = base / "out"
    summary = score_calls([calls], out, settings, metadata_file=SAMPLES / "metadata.csv")
    assert summary.scored == len(CALLS), summary.line()
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(scored_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    command = [sys.executable, "-m", "callqa.cli", "serve", "--out", str(scored_out), "--port", str(port),
               "--users", str(log.parent / "no-users.json")]
    with log.open("w") as fh:
        process = subprocess.Popen(command, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/calls", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"callqa serve did not start: {log.read_text()}")
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
            headless=True, accept_downloads=True, viewport={"width": 1400, "height": 1000},
        )
        yield context
        context.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_review_a_flagged_call_in_chromium(server: str, browser, tmp_path: Path) -> None:
    page = browser.new_page()
    page.goto(f"{server}/calls")
    assert page.locator("tr[data-call]").count() == len(CALLS)
    _shot(page, "calls-list")

    # Filter by a flag through the form, as a coach would.
    page.select_option("select[name=flag]", "CONTINUED_AFTER_DECLINE")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**flag=CONTINUED_AFTER_DECLINE**")
    rows = page.locator("tr[data-call]")
    assert rows.count() >= 1
    assert PUSHY in [rows.nth(i).get_attribute("data-call") for i in range(rows.count())]
    for i in range(rows.count()):
        assert "CONTINUED_AFTER_DECLINE" in rows.nth(i).inner_text()

    page.click(f"tr[data-call={PUSHY}] a")
    page.wait_for_url(f"**/calls/{PUSHY}")
    assert "Sarah Chen" in page.locator("#call-header").inner_text()
    page.wait_for_function("document.getElementById('call-audio').readyState >= 1", timeout=15000)
    _shot(page, "call-page")

    # Clicking a piece of evidence plays the recording from its start.
    card = page.locator("[data-flag^='CONTINUED_AFTER_DECLINE']").first
    evidence = card.locator("button.seek").nth(1)
    start = float(evidence.get_attribute("data-seek"))
    assert start > 5
    evidence.click()
    page.wait_for_function(
        "t => { const a = document.getElementById('call-audio'); return a.currentTime >= t - 0.25 && a.currentTime <= t + 2; }",
        arg=start, timeout=10000,
    )
    assert page.evaluate("document.getElementById('call-audio').error") is None
    # ...and so does a transcript line.
    line = page.locator(".seg.customer").first
    line_start = float(line.get_attribute("data-start"))
    line.locator(".text").click()
    page.wait_for_function(
        "t => { const a = document.getElementById('call-audio'); return a.currentTime >= t - 0.25 && a.currentTime <= t + 2; }",
        arg=line_start, timeout=10000,
    )

    # A review decision is stored and shown after a reload.
    card.locator("input[name=reviewer]").fill("Coach Kim")
    card.locator("input[name=note]").fill("heard the no at the evidence, then the push")
    card.locator("button[value=confirm]").click()
    page.wait_for_url(f"**/calls/{PUSHY}#decisions")
    page.reload()
    decisions = page.locator("tr.decision-row")
    assert decisions.count() == 1
    text = decisions.first.inner_text()
    assert "Coach Kim" in text and "confirm" in text and "heard the no" in text
    assert "confirmed by Coach Kim" in page.locator("[data-flag^='CONTINUED_AFTER_DECLINE'] .decision").first.inner_text()

    # The auditors' export for this agent's calls downloads with the quotes and the decision.
    page.goto(f"{server}/disclosures?agent=Sarah%20Chen")
    assert page.locator(".audit-offer").count() >= 1
    with page.expect_download() as download_info:
        page.click("#export-csv")
    saved = tmp_path / "disclosures.csv"
    download_info.value.save_as(saved)
    exported = saved.read_text()
    assert exported.startswith("call_id,agent,call_date")
    assert PUSHY in exported and "confirm CONTINUED_AFTER_DECLINE" in exported and "Coach Kim" in exported

    page.goto(f"{server}/agents")
    assert page.locator("tr[data-agent]").count() == 3
    assert page.locator("svg.chart").count() >= 5
    _shot(page, "agents")
    page.close()
