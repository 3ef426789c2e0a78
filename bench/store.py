"""Store read speed: the review app's queries on a 5,000-call synthetic store.

Generates the records (tests/store_data.synthetic_records: agents, dates, needs, scores, offers,
disclosures, flags, 20-60 segments a call), writes them with save_record, then times each
read-API call the list, call and agent pages make (median of several runs). The baseline, measured in the same run, is the same
queries after dropping the store's secondary indexes: the ratio is what the indexes buy.
Target: every list page under 300 ms.

    .venv/bin/python bench/store.py [--db URL] [--calls 5000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from sqlalchemy import inspect, text  # noqa: E402

from callqa.store import CallFilter, agent_summary, disclosure_rows, get_call, list_calls, open_store, save_record  # noqa: E402
from store_data import as_record, synthetic_records  # noqa: E402

TARGET_MS = 300.0
RUNS = 7
def timed(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def queries(session) -> dict[str, Callable[[], object]]:  # noqa: ANN001
    june = CallFilter(date_from=date(2026, 6, 1), date_to=date(2026, 6, 30))
    return {
        "list newest": lambda: list_calls(session),
        "list flag by score": lambda: list_calls(session, CallFilter(flag="CONTINUED_AFTER_DECLINE"), sort="score"),
        "list agent + month": lambda: list_calls(session, CallFilter(agent="Agent 07", date_from=june.date_from, date_to=june.date_to)),
        "list band + need": lambda: list_calls(session, CallFilter(score_min=0, score_max=40, need="billing"), sort="-flags"),
        "list page 80": lambda: list_calls(session, sort="-score", page=80),
        "call page": lambda: get_call(session, "call-02500"),
        "agent summary month": lambda: agent_summary(session, june),
        "disclosure export flag": lambda: disclosure_rows(session, CallFilter(flag="MISSING_PRICE_DISCLOSURE")),
    }


def drop_secondary_indexes(store) -> int:  # noqa: ANN001
    names = [(table, ix["name"]) for table in inspect(store.engine).get_table_names() for ix in inspect(store.engine).get_indexes(table)
             if not ix.get("unique") and table != "alembic_version"]
    with store.engine.begin() as conn:
        for table, name in names:
            conn.execute(text(f'DROP INDEX "{name}"'))
    return len(names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="store URL (default: a SQLite file in a temp dir); the database should be empty")
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(args.db or f"sqlite:///{tmp}/bench.db")
        records = list(synthetic_records(args.calls))
        started = time.perf_counter()
        with store.session() as s:
            for r in records:
                save_record(s, as_record(r))
        write_s = time.perf_counter() - started
        with store.engine.begin() as conn:
            conn.execute(text("ANALYZE"))  # planner statistics, as autovacuum (PostgreSQL) keeps them in use
        print(f"{store.engine.dialect.name}: {args.calls} calls written in {write_s:.1f} s ({args.calls / write_s:.0f} calls/s)")
        with store.session() as s:
            indexed = {name: timed(fn) for name, fn in queries(s).items()}
        dropped = drop_secondary_indexes(store)
        with store.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        with store.session() as s:
            bare = {name: timed(fn) for name, fn in queries(s).items()}
        print(f"median of {RUNS} runs, ms (baseline: the same store with its {dropped} secondary indexes dropped)")
        print(f"{'query':<24}{'indexed':>10}{'no index':>10}{'ratio':>8}")
        for name in indexed:
            print(f"{name:<24}{indexed[name]:>10.1f}{bare[name]:>10.1f}{bare[name] / indexed[name]:>8.1f}")
        store.close()
    lists = [v for k, v in indexed.items() if k.startswith("list")]
    worst = max(lists)
    print(
        f"RESULT backend={store.engine.dialect.name} calls={args.calls} worst_list_page_ms={worst:.1f} target_ms={TARGET_MS:.0f} "
        f"headroom={TARGET_MS / worst:.1f} call_page_ms={indexed['call page']:.1f} agent_summary_ms={indexed['agent summary month']:.1f} "
        f"index_speedup_worst_list={max(bare[k] for k in indexed if k.startswith('list')) / worst:.1f} write_calls_per_s={args.calls / write_s:.0f}"
    )


if __name__ == "__main__":
    main()
