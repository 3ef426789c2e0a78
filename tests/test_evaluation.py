"""callqa eval's arithmetic: offers matched by time, per-flag precision/recall, missing records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callqa.eval.compare import Report, compare, evaluate_records, transcript_from_labels
from callqa.record import CallRecord
from store_data import as_record

ITEMS = ("price", "recurring_charge", "cancellation_terms", "contract_term", "restrictions")


def _offer(start: float, response: str = "accepted", kind: str = "upsell", fit: bool = True, status: str = "disclosed_before_consent") -> dict:
    return {
        "start": start,
        "evidence": {"start": start, "end": start + 4.0},
        "kind": kind,
        "need_fit": fit,
        "customer_response": response,
        "disclosures": {item: {"status": status} for item in ITEMS},
    }


def _gold(call_id: str, offers: list[dict], flags: list[str], closes: int = 1) -> dict:
    return {
        "call_id": call_id,
        "need": {"label": "billing"},
        "offers": offers,
        "closing_attempts": {"total": closes, "after_decline": 0},
        "sentiment": {"customer": {"start": "negative", "end": "neutral"}},
        "flags": flags,
        "transcript": [{"speaker": "agent", "start": 0.0, "end": 2.0, "text": "Thank you for calling."}],
    }


def _ev(start: float) -> dict:
    return {"segment_id": "s", "speaker": "agent", "start": start, "end": start + 4.0, "quote": "q", "rule": "r"}


def _record(offers: list[dict], flags: list[str], closes: int = 1, need: str = "billing") -> CallRecord:
    """A scored record holding just what the comparison reads."""
    def state(label: str, score: float) -> dict:
        return {"label": label, "score": score, "segment_id": "s", "segment_ids": ["s"]}

    return as_record({
        "schema_version": "1", "call_id": "x", "status": "scored", "error": None,
        "audio": {"path": None, "sha256": None}, "speakers": None, "transcript": [],
        "need": {"label": need, "confidence": 1.0, "evidence": None},
        "offers": [{"id": f"o{i}", "product": "p", "closing_attempts": [], **o, "evidence": _ev(o["start"]),
                    "disclosures": {k: {"status": v["status"], "evidence": None} for k, v in o["disclosures"].items()}}
                   for i, o in enumerate(offers)],
        "closing_attempts": {"total": closes, "after_decline": 0},
        "sentiment": {"customer": {"start": state("negative", -0.5), "end": state("positive", 0.4)}, "agent": {}},
        "flags": [{"code": c, "severity": "high", "message": c, "offer_id": None, "evidence": []} for c in flags],
        "score": None,
        "versions": {"callqa": "test"},
    })


def test_offers_match_by_time_and_fields_are_tallied() -> None:
    report = Report()
    gold = _gold("a", [_offer(30.0), _offer(90.0, response="declined")], ["NO_COST_RECAP"])
    record = _record([_offer(32.0), _offer(200.0)], ["NO_COST_RECAP", "OFFER_WITHOUT_NEED"], closes=3)
    compare(report, gold, record)
    assert (report.offers_tp, report.offers_fp, report.offers_fn) == (1, 1, 1)
    assert report.fields["offer.kind"].accuracy == 1.0
    assert report.fields["closing_attempts.total (exact)"].accuracy == 0.0 and report.closes_abs_error == [2]
    assert report.fields["sentiment.customer.start"].accuracy == 1.0
    assert report.fields["sentiment.customer.end"].accuracy == 0.0
    p, r, f1, support = report.flag_prf("NO_COST_RECAP")
    assert (p, r, support) == (1.0, 1.0, 1)
    p, r, f1, _ = report.flag_prf()
    assert p == 0.5 and r == 1.0 and f1 == pytest.approx(2 / 3)


def test_failed_or_missing_records_count_as_misses(tmp_path: Path) -> None:
    gold = _gold("b", [_offer(10.0)], ["CONTINUED_AFTER_DECLINE"])
    report = evaluate_records([gold], tmp_path)  # no record written for "b"
    assert report.failed == ["b"] and report.flags["CONTINUED_AFTER_DECLINE"]["fn"] == 1
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "b.json").write_text(json.dumps(_record([_offer(11.0)], ["CONTINUED_AFTER_DECLINE"]).to_dict()))
    report = evaluate_records([gold], tmp_path)
    assert report.failed == [] and report.flag_prf()[2] == 1.0


def test_labels_become_a_transcript() -> None:
    transcript = transcript_from_labels(_gold("c", [], []))
    [segment] = transcript.segments
    assert segment.id == "c-agent-0000" and segment.speaker == "agent" and segment.channel == "left"
