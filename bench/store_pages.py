"""Review-app page times on a 5,000-call synthetic store (a benchmark, not a test).

Records are generated here (the store tests' record builder, with random agents, dates,
needs, scores, offers and flags), written through the real store (SQLite under a temp dir),
then each list/filter page is requested through the real app (FastAPI TestClient: routing,
validation, queries, template rendering; no network) several times. The baseline is the
plain unfiltered first page measured in the same run; the target is 300 ms per page.

    .venv/bin/python bench/store_pages.py [--calls 5000] [--repeat 7] [--db URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # store_data: the record builder the store tests use

from fastapi.testclient import TestClient  # noqa: E402
from store_data import as_record, synthetic_records  # noqa: E402

from callqa.store.db import open_store  # noqa: E402
from callqa.store.write import save_record  # noqa: E402
from callqa.web.app import ServeConfig, create_app  # noqa: E402

TARGET_MS = 300.0
PAGES = [
    ("list, newest first", "/calls"),
    ("list, page 50", "/calls?page=50"),
    ("filter by flag", "/calls?flag=CONTINUED_AFTER_DECLINE"),
    ("filter by agent", "/calls?agent=Agent%2007"),
    ("filter by date range", "/calls?date_from=2026-06-01&date_to=2026-06-30"),
    ("filter by need", "/calls?need=cancel_service"),
    ("score band, worst first", "/calls?score_min=0&score_max=60&sort=score"),
    ("sort by flag count", "/calls?sort=-flags"),
    ("flag + agent + dates", "/calls?flag=OFFER_WITHOUT_NEED&agent=Agent%2003&date_from=2026-03-01&date_to=2026-09-30"),
    ("200 per page", "/calls?per_page=200&sort=score"),
    ("disclosure audit, one agent", "/disclosures?agent=Agent%2011"),
    ("disclosure audit, all calls", "/disclosures"),
    ("agent summary, one quarter", "/agents?date_from=2026-04-01&date_to=2026-06-30"),
    ("agent summary, all calls", "/agents"),
    ("call page", "/calls/call-02500"),
    ("export CSV, all calls", "/disclosures.csv"),  # a download, not a page: shown, not held to the target
]
NOT_PAGES = ("export CSV, all calls",)


def build(url: str, calls: int) -> float:
    store = open_store(url)
    started = time.perf_counter()
    with store.session() as session:
        for record in synthetic_records(calls):
            save_record(session, as_record(record))
    store.close()
    return time.perf_counter() - started


def time_page(client: TestClient, path: str, repeat: int) -> tuple[float, int]:
    first = client.get(path)
    if first.status_code != 200:
        raise SystemExit(f"{path}: HTTP {first.status_code}: {first.text[:300]}")
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), len(first.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--db", help="an empty database URL (default: SQLite in a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="callqa-bench-") as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'callqa.db'}"
        build_s = build(url, args.calls)
        print(f"built a {args.calls}-call store in {build_s:.0f} s ({args.calls / build_s:.0f} calls/s)")
        client = TestClient(create_app(ServeConfig(url, (Path(tmp),))), base_url="http://127.0.0.1")
        results = [(name, *time_page(client, path, args.repeat)) for name, path in PAGES]
    baseline = results[0][1]
    print(f"\n{'page':32} {'median ms':>10} {'x baseline':>11} {'KB':>7}")
    for name, ms, size in results:
        print(f"{name:32} {ms:10.1f} {ms / baseline:11.2f} {size / 1024:7.0f}")
    list_pages = [ms for name, ms, _ in results if name not in NOT_PAGES]
    worst = max(list_pages)
    print(
        f"RESULT calls={args.calls} pages={len(list_pages)} baseline_ms={baseline:.1f} median_ms={statistics.median(list_pages):.1f} "
        f"worst_ms={worst:.1f} worst_x_baseline={worst / baseline:.2f} target_ms={TARGET_MS:.0f} under_target={'yes' if worst < TARGET_MS else 'no'}"
    )


if __name__ == "__main__":
    main()
