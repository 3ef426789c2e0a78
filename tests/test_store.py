"""The store on SQLite and on a real PostgreSQL server: migrations, idempotent per-call writes,
review decisions that survive reruns, the read API's filters, paging and per-agent figures."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from callqa.metadata import CallMetadata
from callqa.store import (
    CallFilter,
    DecisionError,
    QueryError,
    add_decision,
    agent_summary,
    disclosure_rows,
    filter_options,
    get_call,
    ingest_records,
    list_calls,
    open_store,
    sales,
    save_record,
)
from callqa.store.db import alembic_config
from callqa.store.models import Base, Call, Disclosure, Evidence, Flag, Offer, ReviewDecision, ScoreItem, Segment
from store_data import as_record, offer, record

TABLES = (Call, Segment, Offer, Disclosure, Flag, ScoreItem, Evidence)


def _counts(session) -> dict[str, int]:
    return {m.__tablename__: session.scalar(select(func.count()).select_from(m)) for m in TABLES}


def test_migrations_apply_on_an_empty_database_and_match_the_models(store) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() == head
        assert compare_metadata(context, Base.metadata) == []  # the migration builds exactly the models' schema
    open_store(store.url).close()  # reopening an up-to-date store is a no-op


def test_rerun_replaces_a_calls_rows_and_keeps_review_decisions(store) -> None:
    first = record(
        "c1", agent="ann", day="2026-11-02", score=40.0,
        offers=(offer(response="declined", closes=3, after_decline=2),),
        flags=(("EXCESSIVE_CLOSING_ATTEMPTS", "offer-1"), ("CONTINUED_AFTER_DECLINE", "offer-1")),
    )
    with store.session() as s:
        assert save_record(s, as_record(first)) is True
        assert save_record(s, as_record(record("c2", agent="bob"))) is True
        before = _counts(s)
        assert before["calls"] == 2 and before["flags"] == 2 and before["segments"] == 16
        assert save_record(s, as_record(first)) is False  # same record: nothing written
        assert _counts(s) == before
        confirmed = add_decision(s, "c1", "flag", "CONTINUED_AFTER_DECLINE:offer-1", "confirm", "qa.lead", "heard it: pushed twice after no")
        add_decision(s, "c1", "score_item", "respects_decline", "overturn", "coach")
        add_decision(s, "c1", "flag", "EXCESSIVE_CLOSING_ATTEMPTS:offer-1", "overturn", "coach", "two of these were one question")

    rerun = copy.deepcopy(first)  # e.g. a new policy: one flag fewer, a different score
    rerun["flags"] = [f for f in rerun["flags"] if f["code"] != "EXCESSIVE_CLOSING_ATTEMPTS"]
    rerun["score"]["value"] = 55.0
    with store.session() as s:
        assert save_record(s, as_record(rerun)) is True
        after = _counts(s)
        assert after == before | {"flags": 1, "evidence": before["evidence"] - 1}
        assert s.scalar(select(func.count()).select_from(ReviewDecision)) == 3  # never touched by a write
        detail = get_call(s, "c1")
    assert detail.call.score_value == 55.0 and [f.key for f in detail.call.flags] == ["CONTINUED_AFTER_DECLINE:offer-1"]
    kept = detail.latest_decision("flag", "CONTINUED_AFTER_DECLINE:offer-1")
    assert kept is not None and (kept.id, kept.decision, kept.reviewer, kept.machine_verdict) == (confirmed.id, "confirm", "qa.lead", "CONTINUED_AFTER_DECLINE")
    assert detail.latest_decision("score_item", "respects_decline").machine_verdict == "fail"
    # The decision on the flag the rerun dropped stays in the audit trail.
    assert detail.decisions_for("flag", "EXCESSIVE_CLOSING_ATTEMPTS:offer-1")[0].note == "two of these were one question"


def _broken(data: dict, segment: int):
    """A record the contract would refuse to load (a segment without a start), to make the
    database fail mid-write; only a test builds one, by going around the frozen dataclass."""
    rec = as_record(data)
    object.__setattr__(rec.transcript[segment], "start", None)
    return rec


def test_a_failed_write_leaves_the_calls_earlier_rows(store) -> None:
    good = record("c1", agent="ann", offers=(offer(),), flags=(("NO_COST_RECAP", "offer-1"),))
    broken = _broken(record("c1", agent="bob"), 3)  # NOT NULL: fails at insert, after the old rows were deleted
    with store.session() as s:
        save_record(s, as_record(good))
        before = _counts(s)
        with pytest.raises(IntegrityError):
            save_record(s, broken)
        assert _counts(s) == before
        assert s.scalar(select(Call.agent).where(Call.call_id == "c1")) == "ann"


def test_get_call_returns_every_part_of_the_record(store) -> None:
    rec = record(
        "c1", agent="ann", day="2026-11-03", team="sales",
        offers=(offer(closes=2, disclosures={"price": "disclosed_before_consent", "cancellation_terms": "missing"}),),
        flags=(("MISSING_CANCELLATION_DISCLOSURE", "offer-1"), ("NO_COST_RECAP", "offer-1"), ("NO_COST_RECAP", "offer-1")),
    )
    with store.session() as s:
        save_record(s, as_record(rec), record_path="/out/records/c1.json")
        detail = get_call(s, "c1")
        assert get_call(s, "nope") is None
    call = detail.call
    assert (call.agent, call.team, call.call_date, call.stereo, call.speaker_method, call.record_path) == ("ann", "sales", date(2026, 11, 3), True, "channel", "/out/records/c1.json")
    assert [seg.segment_id for seg in call.segments] == [t["id"] for t in rec["transcript"]]
    assert [seg.sentiment_label for seg in call.segments[:2]] == ["neutral", "negative"]
    (o,) = call.offers
    assert [e.role for e in o.evidence] == ["offer", "closing_attempt", "closing_attempt", "response"]
    assert [e.position for e in o.evidence if e.role == "closing_attempt"] == [0, 1]
    by_item = {d.item: d for d in o.disclosures}
    assert by_item["price"].status == "disclosed_before_consent" and by_item["price"].evidence[0].quote == "price is stated"
    assert by_item["cancellation_terms"].evidence == []
    # Repeated flags get distinct, stable keys.
    assert [f.key for f in call.flags] == ["MISSING_CANCELLATION_DISCLOSURE:offer-1", "NO_COST_RECAP:offer-1", "NO_COST_RECAP:offer-1#2"]
    assert all(f.evidence and f.evidence[0].start == 15.5 for f in call.flags)
    items = {i.item_id: i for i in call.score_items}
    assert items["need_before_offer"].result == "pass" and items["need_before_offer"].evidence == []
    assert detail.need_evidence.quote == "I need help" and detail.need_evidence.speaker == "customer"


def _population() -> list[dict]:
    """30 scored calls with known agents, dates, needs, scores and flags, and one failed call."""
    records = []
    for i in range(30):
        flags = []
        if i % 5 == 0:
            flags.append(("NO_COST_RECAP", None))
        if i % 7 == 0:
            flags.append(("OFFER_WITHOUT_NEED", "offer-1"))
        records.append(record(
            f"call-{i:02d}", agent=("ann", "bob", "cat")[i % 3], day=f"2026-11-{i + 1:02d}",
            need=("billing", "cancel_service")[i % 2], score=float(i * 3), flags=tuple(flags), segments=3,
        ))
    records.append(record("z-failed", status="failed"))
    return records


@pytest.fixture
def population(store):
    with store.session() as s:
        for r in _population():
            save_record(s, as_record(r))
    return store


def _ids(page) -> list[str]:
    return [r.call_id for r in page.rows]


def test_list_filters_sorts_and_counts(population) -> None:
    specs = _population()[:30]
    with population.session() as s:
        everything = list_calls(s, page_size=100)
        assert everything.total == 31 and everything.status_counts == {"scored": 30, "failed": 1}
        assert everything.flag_counts == {"NO_COST_RECAP": 6, "OFFER_WITHOUT_NEED": 5}
        assert _ids(everything)[:3] == ["call-29", "call-28", "call-27"] and _ids(everything)[-1] == "z-failed"  # newest first, undated last

        flagged = list_calls(s, CallFilter(flag="OFFER_WITHOUT_NEED"), sort="score")
        assert _ids(flagged) == ["call-00", "call-07", "call-14", "call-21", "call-28"]
        assert flagged.rows[0].flag_codes == ("NO_COST_RECAP", "OFFER_WITHOUT_NEED")
        assert flagged.flag_counts == everything.flag_counts  # facets ignore the flag filter itself

        ann_band = list_calls(s, CallFilter(agent="ann", score_min=30, score_max=60, need="billing"), sort="-score")
        expected = [r["call_id"] for r in specs if r["metadata"]["agent"] == "ann" and 30 <= r["score"]["value"] <= 60 and r["need"]["label"] == "billing"]
        assert _ids(ann_band) == sorted(expected, reverse=True) and ann_band.total == len(expected) > 0
        assert ann_band.flag_counts == {}  # call-12 and call-18 carry no flag
        assert list_calls(s, CallFilter(agent="ann")).flag_counts == {"NO_COST_RECAP": 2, "OFFER_WITHOUT_NEED": 2}  # calls 0, 15 and 0, 21
        week = list_calls(s, CallFilter(date_from=date(2026, 11, 5), date_to=date(2026, 11, 11)), sort="date")
        assert _ids(week) == [f"call-{i:02d}" for i in range(4, 11)]
        assert list_calls(s, CallFilter(status="failed")).rows[0].call_id == "z-failed"
        assert _ids(list_calls(s, sort="-flags", page_size=2)) == ["call-00", "call-05"]  # two flags, then ties by call_id


def test_paging_covers_every_call_once(population) -> None:
    with population.session() as s:
        seen = []
        page = list_calls(s, sort="score", page=1, page_size=7)
        assert page.pages == 5
        for n in range(1, page.pages + 1):
            seen += _ids(list_calls(s, sort="score", page=n, page_size=7))
        assert len(seen) == 31 and len(set(seen)) == 31
        assert seen[-1] == "z-failed"  # calls without a score sort last either way
        assert list_calls(s, page=99, page_size=7).rows == []


@pytest.mark.parametrize(
    "make",
    [
        lambda s: list_calls(s, sort="loudness"),
        lambda s: list_calls(s, page=0),
        lambda s: list_calls(s, page_size=0),
        lambda s: list_calls(s, page_size=10_000),
        lambda s: list_calls(s, CallFilter(score_min=101)),
        lambda s: list_calls(s, CallFilter(score_min=50, score_max=10)),
        lambda s: list_calls(s, CallFilter(status="maybe")),
        lambda s: list_calls(s, CallFilter(date_from=date(2026, 12, 1), date_to=date(2026, 11, 1))),
    ],
    ids=["sort", "page", "page_size_0", "page_size_big", "score_range", "score_band", "status", "dates"],
)
def test_bad_list_parameters_are_query_errors(population, make) -> None:
    with population.session() as s, pytest.raises(QueryError):
        make(s)


def _agents_set() -> list[dict]:
    return [
        record(
            "a1", agent="ann", day="2026-11-02", score=100.0,
            offers=(offer(closes=1, disclosures={"price": "disclosed_before_consent", "recurring_charge": "disclosed_before_consent", "cancellation_terms": "missing"}),),
            flags=(("MISSING_CANCELLATION_DISCLOSURE", "offer-1"),),
        ),
        record(
            "a2", agent="ann", day="2026-11-05", score=50.0,
            offers=(
                offer("offer-1", "Protection", response="declined", need_fit=False, closes=3, after_decline=2, disclosures={"price": "missing"}),
                offer("offer-2", "Router", response="accepted", closes=1, disclosures={"price": "disclosed_after_consent"}, seg=4),
            ),
            flags=(("EXCESSIVE_CLOSING_ATTEMPTS", "offer-1"), ("CONTINUED_AFTER_DECLINE", "offer-1"),
                   ("OFFER_TO_UPSET_CUSTOMER", "offer-2"), ("DISCLOSURE_AFTER_CONSENT", "offer-2")),
        ),
        record("a3", agent="ann", day="2026-11-06", status="failed"),
        record("b1", agent="bob", day="2026-11-03", score=70.0),
        record("b2", agent="bob", day="2026-11-04", score=None),
        record("b3", agent="bob", day="2026-12-01", score=10.0),
        record("n1", day="2026-11-04", score=90.0),
    ]


def test_agent_summary_figures(store) -> None:
    with store.session() as s:
        for r in _agents_set():
            save_record(s, as_record(r))
        november = {a.agent: a for a in agent_summary(s, CallFilter(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30)))}
        everything = {a.agent: a for a in agent_summary(s)}
    ann, bob = november["ann"], november["bob"]
    assert (ann.calls, ann.failed_calls, ann.offers, ann.offers_per_call) == (2, 1, 3, 1.5)
    assert ann.need_fit_rate == pytest.approx(2 / 3) and ann.closing_attempts_per_offer == pytest.approx(5 / 3)
    assert (ann.calls_over_max, ann.attempts_after_decline, ann.sales, ann.sales_to_upset) == (1, 2, 2, 1)
    assert ann.average_score == 75.0
    # accepted offers only, applicable items only: price said before consent on a1, after on a2
    assert ann.disclosure_compliance == {"cancellation_terms": 0.0, "price": 0.5, "recurring_charge": 1.0}
    assert (bob.calls, bob.offers, bob.offers_per_call, bob.need_fit_rate, bob.closing_attempts_per_offer, bob.average_score) == (2, 0, 0.0, None, None, 70.0)
    assert bob.disclosure_compliance == {}
    assert (everything["bob"].calls, everything["bob"].average_score) == (3, 40.0)
    assert list(november) == ["ann", "bob", None]  # calls without an agent come last


def test_disclosure_rows_for_auditors(store) -> None:
    with store.session() as s:
        for r in _agents_set():
            save_record(s, as_record(r))
        add_decision(s, "a1", "flag", "MISSING_CANCELLATION_DISCLOSURE:offer-1", "confirm", "auditor", "never said")
        rows = disclosure_rows(s, CallFilter(agent="ann"))
        flagged = disclosure_rows(s, CallFilter(flag="DISCLOSURE_AFTER_CONSENT"))
    assert len(rows) == 3 * 5  # three offers, five items each
    a1 = {r.item: r for r in rows if r.call_id == "a1"}
    assert a1["price"].before_consent is True and a1["price"].quote == "price is stated" and a1["price"].start == 10.5
    missing = a1["cancellation_terms"]
    assert (missing.status, missing.before_consent, missing.quote, missing.start) == ("missing", None, None, None)
    assert missing.decisions and missing.decisions[0].startswith("confirm MISSING_CANCELLATION_DISCLOSURE:offer-1 by auditor")
    after = next(r for r in flagged if r.offer_id == "offer-2" and r.item == "price")
    assert after.before_consent is False and {r.call_id for r in flagged} == {"a2"}


def test_filter_options_and_sales(store) -> None:
    with store.session() as s:
        for r in _agents_set():
            save_record(s, as_record(r), CallMetadata.from_dict(r["metadata"] | {"customer_account": f"ACC-{r['call_id']}"}))
        options = filter_options(s)
        sold = sales(s, CallFilter(agent="ann"))
    assert (options.agents, options.needs) == (["ann", "bob"], ["billing"])
    assert options.flag_codes == sorted(["MISSING_CANCELLATION_DISCLOSURE", "EXCESSIVE_CLOSING_ATTEMPTS", "CONTINUED_AFTER_DECLINE", "OFFER_TO_UPSET_CUSTOMER", "DISCLOSURE_AFTER_CONSENT"])
    assert (options.first_date, options.last_date) == (date(2026, 11, 2), date(2026, 12, 1))
    assert [(r.call_id, r.offer_id, r.product, r.customer_account) for r in sold] == [("a1", "offer-1", "Premium plan", "ACC-a1"), ("a2", "offer-2", "Router", "ACC-a2")]


@pytest.mark.parametrize(
    "args, message",
    [
        (("nope", "flag", "NO_COST_RECAP", "confirm", "qa"), "no call"),
        (("a1", "flag", "NO_SUCH_FLAG", "confirm", "qa"), "no flag"),
        (("a1", "score_item", "no_such_item", "confirm", "qa"), "no score item"),
        (("a1", "offer", "offer-1", "confirm", "qa"), "target_kind"),
        (("a1", "flag", "MISSING_CANCELLATION_DISCLOSURE:offer-1", "maybe", "qa"), "decision"),
        (("a1", "flag", "MISSING_CANCELLATION_DISCLOSURE:offer-1", "confirm", "  "), "reviewer"),
    ],
)
def test_bad_decisions_are_refused(store, args, message) -> None:
    with store.session() as s:
        save_record(s, as_record(_agents_set()[0]))
        with pytest.raises(DecisionError, match=message):
            add_decision(s, *args)
        assert s.scalar(select(func.count()).select_from(ReviewDecision)) == 0


def test_ingest_loads_records_and_reports_bad_files(store, tmp_path: Path) -> None:
    from callqa.metadata import Manifest

    folder = tmp_path / "records"
    folder.mkdir()
    for r in _agents_set():
        (folder / f"{r['call_id']}.json").write_text(json.dumps(as_record(r).to_dict()))
    (folder / "broken.json").write_text("{not json")
    (folder / "old.json").write_text(json.dumps({"schema_version": "0", "call_id": "old", "status": "scored"}))
    manifest = Manifest({"n1": CallMetadata(agent="nina", team="care")}, {})
    paths = sorted(folder.glob("*.json"))
    with store.session() as s:
        first = ingest_records(s, paths, manifest)
        again = ingest_records(s, paths, manifest)
        agent = s.scalar(select(Call.agent).where(Call.call_id == "n1"))
        b1_path = s.scalar(select(Call.record_path).where(Call.call_id == "b1"))
    assert (first.written, first.unchanged) == (7, 0) and (again.written, again.unchanged) == (0, 7)
    assert set(first.errors) == {str(folder / "broken.json"), str(folder / "old.json")}
    assert "schema_version" in first.errors[str(folder / "old.json")]
    assert agent == "nina" and b1_path == str((folder / "b1.json").resolve())


def test_ingest_command(store_url: str, tmp_path: Path) -> None:
    from callqa.cli import app

    out = tmp_path / "out"
    (out / "records").mkdir(parents=True)
    for r in _agents_set():
        (out / "records" / f"{r['call_id']}.json").write_text(json.dumps(as_record(r).to_dict()))
    manifest = tmp_path / "meta.csv"
    manifest.write_text("call_id,agent,team\nn1,nina,care\n")
    result = CliRunner().invoke(app, ["ingest", str(out), "--db", store_url, "--metadata", str(manifest)])
    assert result.exit_code == 0, result.output
    assert "7 records written, 0 unchanged, 0 skipped" in result.output
    store = open_store(store_url)
    with store.session() as s:
        assert list_calls(s, CallFilter(agent="nina")).total == 1
    store.close()
    bad = CliRunner().invoke(app, ["ingest", str(out), "--db", "nosuchdb://x"])
    assert bad.exit_code == 2 and "store error" in bad.output


def test_store_failure_for_one_call_is_reported_and_the_record_kept(store, tmp_path: Path) -> None:
    from callqa.record import write_record
    from flows.score import _store

    write_record(tmp_path, as_record(record("c1")))
    failed = _store(_broken(record("c1"), 0), tmp_path, store)
    assert failed is not None and "IntegrityError" in failed
    assert _store(as_record(record("c2")), tmp_path, store) is None
    assert (tmp_path / "records" / "c1.json").is_file()


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    from callqa.store import StoreError

    with pytest.raises(StoreError, match="cannot open database postgresql"):
        open_store("postgresql://nobody:secret@127.0.0.1:1/none")
    with pytest.raises(StoreError, match="not a database URL"):
        open_store("not a url")
    try:
        open_store("postgresql://nobody:secret@127.0.0.1:1/none")
    except StoreError as exc:
        assert "secret" not in str(exc)


def test_store_from_an_unknown_schema_revision_is_a_clear_error(tmp_path: Path) -> None:
    from sqlalchemy import text

    from callqa.store import StoreError, default_url

    url = default_url(tmp_path)
    store = open_store(url)
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'from_a_newer_callqa'"))
    store.close()
    with pytest.raises(StoreError, match="cannot open database sqlite.*from_a_newer_callqa"):
        open_store(url)


def test_processes_opening_a_new_store_at_once_migrate_it_once(store_url: str) -> None:
    import subprocess
    import sys

    code = f"from callqa.store import open_store; open_store({store_url!r}).close()"
    procs = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True) for _ in range(3)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 3, errors
    store = open_store(store_url)
    with store.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
    store.close()


# --- confidence and abstention (migration 0002, needs_review filter) ---------------------------

def test_migration_0002_keeps_old_flags_raised_and_the_models_match(store_url: str) -> None:
    from sqlalchemy import create_engine, text

    from callqa.store.db import migrate

    engine = create_engine(store_url)
    try:
        migrate(engine, "0001")
        with engine.begin() as conn:  # a call and a flag written by a callqa before 0002
            conn.execute(text(
                "INSERT INTO calls (call_id, status, flag_count, offer_count, closing_attempts, closing_attempts_after_decline, warnings, record_hash, stored_at) "
                "VALUES ('old', 'scored', 1, 1, 0, 0, '[]', 'h', CURRENT_TIMESTAMP)"
            ))
            pk = conn.execute(text("SELECT id FROM calls WHERE call_id = 'old'")).scalar_one()
            conn.execute(text("INSERT INTO flags (call_pk, position, key, code, severity, message) VALUES (:pk, 0, 'NO_COST_RECAP', 'NO_COST_RECAP', 'low', 'm')"), {"pk": pk})
        migrate(engine, "head")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT status, confidence FROM flags")).one() == ("raised", None)
            assert tuple(conn.execute(text("SELECT review_count, needs_review FROM calls")).one()) == (0, False)
            context = MigrationContext.configure(conn)
            assert context.get_current_revision() == "0002"
            assert compare_metadata(context, Base.metadata) == []
        store = open_store(store_url)
        with store.session() as s:
            assert [r.call_id for r in list_calls(s, CallFilter(flag="NO_COST_RECAP")).rows] == ["old"]
            assert list_calls(s, CallFilter(needs_review=True)).total == 0
        store.close()
    finally:
        engine.dispose()


def test_needs_review_flags_are_stored_apart_and_filter_the_calls_list(store) -> None:
    unsure = record("c-unsure", agent="ann", flags=(("OFFER_WITHOUT_NEED", "offer-1"), ("NO_COST_RECAP", "offer-1")))
    unsure["flags"][0] |= {"status": "needs_review", "confidence": 0.55}
    unsure["flags"][1] |= {"status": "raised", "confidence": 0.95}
    poor = record("c-poor-audio", agent="bob")
    poor["warnings"] = [{"code": "LOW_TRANSCRIPT_QUALITY", "message": "mean word probability 0.52"}]
    sure = record("c-sure", agent="ann", flags=(("OFFER_WITHOUT_NEED", "offer-1"),))
    with store.session() as s:
        for data in (unsure, poor, sure):
            save_record(s, as_record(data))
        review = list_calls(s, CallFilter(needs_review=True), sort="call_id")
        assert [r.call_id for r in review.rows] == ["c-poor-audio", "c-unsure"]
        assert [r.call_id for r in list_calls(s, CallFilter(needs_review=False)).rows] == ["c-sure"]
        row = next(r for r in review.rows if r.call_id == "c-unsure")
        assert (row.flag_count, row.review_count, row.flag_codes) == (1, 1, ("NO_COST_RECAP",))
        # the unsure OFFER_WITHOUT_NEED is not a verdict: the flag filter and counts see only c-sure's
        assert [r.call_id for r in list_calls(s, CallFilter(flag="OFFER_WITHOUT_NEED")).rows] == ["c-sure"]
        assert review.flag_counts.get("OFFER_WITHOUT_NEED") is None
        detail = get_call(s, "c-unsure")
        assert [(f.code, f.status, f.confidence) for f in detail.call.flags] == [("OFFER_WITHOUT_NEED", "needs_review", 0.55), ("NO_COST_RECAP", "raised", 0.95)]
