"""Hand-made schema-v1 records for the store tests and the store benchmarks: every field the
store reads, with values chosen by the test so the expected figures are known."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from datetime import date, timedelta

from callqa.record import CallRecord
from nlp.vocabulary import DISCLOSURE_ITEMS, DISCLOSURE_STATUSES

SCORE_ITEMS = {  # scorecard item -> the flags that fail it (as nlp/policy/default.yaml)
    "need_before_offer": ("OFFER_WITHOUT_NEED",),
    "closing_attempts_within_limit": ("EXCESSIVE_CLOSING_ATTEMPTS",),
    "respects_decline": ("CONTINUED_AFTER_DECLINE",),
    "no_selling_to_upset_customer": ("OFFER_TO_UPSET_CUSTOMER",),
}


def evidence(call_id: str, seg: int, quote: str, rule: str, speaker: str = "agent") -> dict:
    return {"segment_id": f"{call_id}-left-{seg:04d}", "speaker": speaker, "start": seg * 5.0 + 0.5, "end": seg * 5.0 + 4.0, "quote": quote, "rule": rule}


def offer(
    offer_id: str = "offer-1",
    product: str = "Premium plan",
    response: str = "accepted",
    need_fit: bool = True,
    closes: int = 1,
    after_decline: int = 0,
    disclosures: dict[str, str] | None = None,  # item -> status; items not given are not_applicable
    seg: int = 2,
) -> dict:
    """An offer spec; `record` fills in the evidence with its call_id."""
    return {
        "id": offer_id, "product": product, "kind": "upsell", "need_fit": need_fit, "customer_response": response,
        "closes": closes, "after_decline": after_decline, "disclosures": disclosures or {}, "seg": seg,
    }


def record(
    call_id: str,
    agent: str | None = None,
    day: str | None = None,
    need: str = "billing",
    score: float | None = 80.0,
    offers: tuple[dict, ...] = (),
    flags: tuple[tuple[str, str | None], ...] = (),  # (code, offer_id)
    segments: int = 8,
    status: str = "scored",
    team: str | None = None,
) -> dict:
    transcript = [
        {
            "id": f"{call_id}-{'left' if i % 2 == 0 else 'right'}-{i:04d}",
            "speaker": "agent" if i % 2 == 0 else "customer",
            "start": i * 5.0, "end": i * 5.0 + 4.5, "text": f"segment {i} of {call_id}", "confidence": 0.9,
            "words": [{"text": "segment", "start": i * 5.0, "end": i * 5.0 + 0.5, "prob": 0.9}],
        }
        for i in range(segments)
    ]
    offer_rows = []
    for o in offers:
        seg = o["seg"]
        consent = seg * 5.0 + 10 if o["customer_response"] == "accepted" else None
        offer_rows.append({
            "id": o["id"], "product": o["product"], "kind": o["kind"], "need_fit": o["need_fit"], "need_fit_rule": "test",
            "customer_response": o["customer_response"],
            "response_evidence": evidence(call_id, seg + 1, "okay", "test-response", "customer"),
            "consent_time": consent, "start": seg * 5.0,
            "evidence": evidence(call_id, seg, f"would you like {o['product']}", "test-offer"),
            "closing_attempts": [evidence(call_id, seg + 2 * n, f"shall I add it ({n + 1})", "test-close") for n in range(o["closes"])],
            "closing_attempts_after_decline": o["after_decline"],
            "disclosures": {
                item: {
                    "status": (status_ := o["disclosures"].get(item, "not_applicable")),
                    "evidence": evidence(call_id, seg, f"{item} is stated", f"test-{item}") if status_.startswith("disclosed") else None,
                }
                for item in DISCLOSURE_ITEMS
            },
            "cost_recap": None,
        })
    flag_rows = [
        {"code": code, "severity": "high", "message": f"{code} raised", "offer_id": offer_id,
         "evidence": [evidence(call_id, 3, f"evidence of {code}", f"test-{code}")]}
        for code, offer_id in flags
    ]
    codes = {code for code, _ in flags}
    items = [
        {"id": item, "question": f"{item}?", "result": "fail" if codes & set(fails) else "pass", "weight": 1.0, "auto_fail": False,
         "evidence": [{"flag": f["code"], **f["evidence"][0]} for f in flag_rows if f["code"] in fails]}
        for item, fails in SCORE_ITEMS.items()
    ]
    scored = status == "scored"
    return {
        "schema_version": "1",
        "call_id": call_id,
        "status": status,
        "error": None if scored else {"code": "decode_error", "message": "corrupt body"},
        "audio": {"path": f"/recordings/{call_id}.wav", "sha256": "0" * 64, "duration_s": segments * 5.0, "sample_rate": 8000, "channels": 2},
        "speakers": {"method": "channel", "agent_channel": "left", "confidence": 1.0},
        "transcript": transcript if scored else [],
        "need": {"label": need, "confidence": 0.9, "evidence": evidence(call_id, 1, "I need help", "test-need", "customer")} if scored else None,
        "offers": offer_rows if scored else [],
        "closing_attempts": {"total": sum(o["closes"] for o in offers), "after_decline": sum(o["after_decline"] for o in offers)} if scored else None,
        "sentiment": {
            "agent": {"start": None, "end": None, "min": None, "at_first_offer": None,
                      "segments": [{"segment_id": s["id"], "label": "neutral", "score": 0.0, "rule": "test"} for s in transcript if s["speaker"] == "agent"]},
            "customer": {"start": {"score": -0.1, "label": "neutral", "segment_id": transcript[1]["id"], "segment_ids": []},
                         "end": {"score": 0.2, "label": "positive", "segment_id": transcript[-1]["id"], "segment_ids": []},
                         "min": {"score": -0.3, "label": "negative", "segment_id": transcript[1]["id"], "segment_ids": []},
                         "at_first_offer": None,
                         "segments": [{"segment_id": s["id"], "label": "negative", "score": -0.3, "rule": "test"} for s in transcript if s["speaker"] == "customer"]},
            "model": "test",
        } if scored and segments > 1 else None,
        "flags": flag_rows if scored else [],
        "score": {"value": score, "items": items} if scored else None,
        "warnings": [],
        "versions": {"callqa": "test", "schema": "1", "asr_backend": "faster-whisper", "asr_model": "tiny.en"},
        "processing": {"finished_at": "2026-11-23T10:00:00+00:00"},
        "metadata": {"agent": agent, "team": team, "queue": None, "date": day, "time": None, "customer_account": None},
    }


SYNTHETIC_AGENTS = tuple(f"Agent {i:02d}" for i in range(40))
SYNTHETIC_NEEDS = ("billing", "technical_support", "cancel_service", "new_purchase", "upgrade_plan", "account_change", "complaint", "general_inquiry")
SYNTHETIC_FLAGS = ("OFFER_WITHOUT_NEED", "EXCESSIVE_CLOSING_ATTEMPTS", "CONTINUED_AFTER_DECLINE", "MISSING_PRICE_DISCLOSURE",
                   "DISCLOSURE_AFTER_CONSENT", "OFFER_TO_UPSET_CUSTOMER", "NO_COST_RECAP")
STATUSES = DISCLOSURE_STATUSES


def synthetic_records(n: int, seed: int = 7) -> Iterator[dict]:
    """A contact centre's worth of varied records for the store benchmarks: call-00000.., agents
    "Agent 00".."Agent 39" over 330 days of 2026, 0-2 offers, a few flags, 2% failed calls."""
    rng = random.Random(seed)
    for i in range(n):
        offers = tuple(
            offer(
                f"offer-{k + 1}", rng.choice(["Premium plan", "device protection", "fibre upgrade", "travel insurance"]),
                rng.choice(["accepted", "declined", "undecided"]), rng.random() < 0.8, closes=rng.randint(1, 4),
                after_decline=rng.choice([0, 0, 0, 1]), disclosures={item: rng.choice(STATUSES) for item in DISCLOSURE_ITEMS}, seg=2 + 6 * k,
            )
            for k in range(rng.choice([0, 0, 1, 1, 1, 2]))
        )
        flags = tuple((code, offers[0]["id"] if offers else None) for code in rng.sample(SYNTHETIC_FLAGS, rng.choice([0, 0, 1, 1, 2, 3])))
        yield record(
            f"call-{i:05d}", agent=rng.choice(SYNTHETIC_AGENTS), day=(date(2026, 1, 1) + timedelta(days=rng.randrange(330))).isoformat(),
            need=rng.choice(SYNTHETIC_NEEDS), score=round(rng.uniform(0, 100), 1), offers=offers, flags=flags,
            segments=rng.randint(20, 60), status="failed" if rng.random() < 0.02 else "scored", team=f"Team {i % 5}",
        )


def as_record(data: dict) -> CallRecord:
    """A hand-made record dict as the typed record, with the fields a test left out filled in
    (speaker cues, versions, processing, sentiment states...): tests write only what they check."""
    d = copy.deepcopy(data)
    d.setdefault("asr", None)
    d.setdefault("warnings", [])
    d.setdefault("processing", {"finished_at": "2026-11-23T10:00:00+00:00"})
    if d.get("speakers") is not None:
        d["speakers"] = {"reason": "test", "evidence": []} | d["speakers"]
    d["versions"] = {"callqa": "test", "schema": "1", "asr_backend": None, "asr_model": None, "nlp_models": {},
                     "policy": None, "policy_hash": None, "rules_hash": None} | d.get("versions", {})
    d["metadata"] = {"agent": None, "team": None, "queue": None, "date": None, "time": None, "customer_account": None} | d.get("metadata", {})
    for seg in d.get("transcript") or []:
        seg["id"] = str(seg["id"])
        seg.setdefault("channel", "left" if seg["speaker"] == "agent" else "right")
    for o in d.get("offers") or []:
        o.setdefault("need_fit_rule", None)
        o.setdefault("response_evidence", None)
        o.setdefault("cost_recap", None)
    if d.get("sentiment") is not None:
        for role in ("agent", "customer"):
            part = {"start": None, "end": None, "min": None, "at_first_offer": None, "segments": []} | d["sentiment"].get(role, {})
            part["segments"] = [{"rule": "test"} | s for s in part["segments"]]
            d["sentiment"][role] = part
        d["sentiment"].setdefault("model", "test")
    if d.get("score") is not None:
        for item in d["score"]["items"]:
            item["evidence"] = [{"flag": ""} | e for e in item["evidence"]]
    return CallRecord.from_dict(d)
