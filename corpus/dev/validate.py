#!/usr/bin/env python3
"""Consistency check of the development corpus labels (corpus/dev/{audio,text}/*.labels.json).

Usage: python corpus/dev/validate.py [--summary]

Re-derives what it can from the labels themselves and from the script tags, independently of
render.py, and reports every disagreement (exit 1 if any):
- each script has exactly one labels file (audio/ for the calls in audio_ids.txt, text/ else);
- codes, need labels, sentiment labels, kinds, responses and disclosure statuses are valid;
- every evidence points at an existing segment, with that segment's speaker and times, and its
  quote is part of the segment's text; segment times are ordered and do not overlap;
- rendered calls: the audio file exists and its sha256 matches;
- closing_attempts.total is the sum of the offers' closing attempts, at most one per turn, and
  after_decline counts the closes that come after the offer's first decline (script tags);
- customer_response is the customer's last accept/decline; disclosure statuses agree with the
  position of the first accept;
- flags: CONTINUED_AFTER_DECLINE iff after_decline > 0; EXCESSIVE_CLOSING_ATTEMPTS iff the
  call has more than 2 closing attempts; OFFER_WITHOUT_NEED iff an offer has need_fit false;
  MISSING_* / DISCLOSURE_AFTER_CONSENT / NO_COST_RECAP only from accepted offers (and always
  when an accepted offer calls for them); OFFER_TO_UPSET_CUSTOMER iff the customer's last turn
  before an offer is tagged `upset`.
--summary prints the counts tables used in README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

import yaml

from nlp import vocabulary

HERE = Path(__file__).resolve().parent
MAX_CLOSES = 2
FLAGS = vocabulary.FLAG_CODES
MISSING = vocabulary.MISSING_FLAG
ITEMS = vocabulary.DISCLOSURE_ITEMS
STATUSES = set(vocabulary.DISCLOSURE_STATUSES)
NEEDS = set(vocabulary.DEFAULT_NEEDS)
INDUSTRIES = ("telecom", "banking", "internet_tv", "ecommerce", "insurance", "utilities")
SENTIMENTS = set(vocabulary.SENTIMENT_LABELS)


def script_tags(path: Path) -> list[tuple[int, str, str, str | None]]:
    """(turn id, speaker, tag kind, offer id) for every tag of the script."""
    out = []
    for i, turn in enumerate(yaml.safe_load(path.read_text())["turns"]):
        for tag in turn.get("tags") or []:
            if isinstance(tag, str):
                out.append((i, turn["speaker"], tag, None))
                continue
            kind = next(k for k in tag if k != "quote")
            value = tag[kind]
            out.append((i, turn["speaker"], kind, value["offer"] if kind == "disclose" else value))
    return out


def check_call(lab: dict, where: Path, script: Path) -> list[str]:
    errs: list[str] = []
    err = errs.append
    cid = lab["call_id"]
    segs = {s["id"]: s for s in lab["transcript"]}
    prev_end = 0.0
    for s in lab["transcript"]:
        if not (s["end"] > s["start"] >= prev_end):
            err(f"segment {s['id']} times {s['start']}-{s['end']} overlap or are out of order")
        prev_end = s["end"]
    if lab["audio"]["duration_s"] < prev_end:
        err("audio shorter than the last segment")

    def ev(e: dict | None, what: str) -> None:
        if e is None:
            return
        s = segs.get(e["segment_id"])
        if s is None:
            err(f"{what}: segment {e['segment_id']} does not exist")
        elif (e["speaker"], e["start"], e["end"]) != (s["speaker"], s["start"], s["end"]) or e["quote"] not in s["text"]:
            err(f"{what}: evidence does not match segment {s['id']}")

    # rendered audio
    path = lab["audio"]["path"]
    if where.name == "audio":
        f = where / (path or "")
        if not path or not f.exists():
            err("rendered call without its audio file")
        elif hashlib.sha256(f.read_bytes()).hexdigest() != lab["audio"]["sha256"]:
            err("audio sha256 mismatch")
    elif path is not None or lab["sample"].get("timing") != "estimated":
        err("text-only labels must have audio.path null and sample.timing 'estimated'")

    # labels vocabulary
    if lab["need"]["label"] not in NEEDS:
        err(f"need {lab['need']['label']!r}")
    ev(lab["need"]["evidence"], "need")
    if lab["sample"]["industry"] not in INDUSTRIES:
        err(f"industry {lab['sample']['industry']!r}")
    for role in ("agent", "customer"):
        if {lab["sentiment"][role]["start"], lab["sentiment"][role]["end"]} - SENTIMENTS:
            err(f"sentiment {role}")
    if bad := set(lab["flags"]) - set(FLAGS):
        err(f"unknown flag codes {sorted(bad)}")
    if len(set(lab["flags"])) != len(lab["flags"]):
        err("duplicate flags")

    tags = script_tags(script)

    def by(kind: str, oid: str | None = None) -> list[int]:
        return [t for t, _, k, o in tags if k == kind and (oid is None or o == oid)]

    expected: set[str] = set()
    total = after = 0
    for o in lab["offers"]:
        oid = o["id"]
        if o["kind"] not in ("upsell", "cross_sell", "retention"):
            err(f"{oid}: kind {o['kind']!r}")
        ev(o["evidence"], f"{oid} evidence")
        if o["start"] != segs[o["evidence"]["segment_id"]]["start"]:
            err(f"{oid}: start is not the pitch turn's start")
        closes = [e["segment_id"] for e in o["closing_attempts"]]
        for i, e in enumerate(o["closing_attempts"]):
            ev(e, f"{oid} close {i}")
            if e["speaker"] != "agent":
                err(f"{oid}: closing attempt by {e['speaker']}")
        if len(set(closes)) != len(closes):
            err(f"{oid}: two closing attempts in one turn")
        if closes != by("close", oid):
            err(f"{oid}: closing attempts {closes} != script close tags {by('close', oid)}")
        accepts, declines = by("accept", oid), by("decline", oid)
        answers = sorted([(t, "accepted") for t in accepts] + [(t, "declined") for t in declines])
        response = answers[-1][1] if answers else "undecided"
        if o["customer_response"] != response:
            err(f"{oid}: customer_response {o['customer_response']} but last answer says {response}")
        late = [c for c in closes if declines and c > declines[0]]
        total += len(closes)
        after += len(late)
        consent = accepts[0] if accepts else None
        for item in ITEMS:
            d = o["disclosures"][item]
            if d["status"] not in STATUSES:
                err(f"{oid} {item}: status {d['status']!r}")
                continue
            ev(d["evidence"], f"{oid} {item}")
            if d["status"] in ("missing", "not_applicable"):
                if d["evidence"] is not None:
                    err(f"{oid} {item}: {d['status']} with evidence")
                continue
            seg = d["evidence"]["segment_id"] if d["evidence"] else None
            if seg is None:
                err(f"{oid} {item}: disclosed without evidence")
            elif d["status"] == "disclosed_after_consent" and (consent is None or seg < consent):
                err(f"{oid} {item}: after consent, but consent at {consent}, evidence at {seg}")
            elif d["status"] == "disclosed_before_consent" and consent is not None and seg >= consent:
                err(f"{oid} {item}: before consent, but evidence at {seg} >= consent {consent}")
        if not o["need_fit"]:
            expected.add("OFFER_WITHOUT_NEED")
        if late:
            expected.add("CONTINUED_AFTER_DECLINE")
        pitch = o["evidence"]["segment_id"]
        before = [t for t in lab["transcript"] if t["speaker"] == "customer" and t["id"] < pitch]
        if before and before[-1]["id"] in by("upset"):
            expected.add("OFFER_TO_UPSET_CUSTOMER")
        if response == "accepted":
            st = {i: o["disclosures"][i]["status"] for i in ITEMS}
            expected |= {MISSING[i] for i in MISSING if st[i] == "missing"}
            if "disclosed_after_consent" in st.values():
                expected.add("DISCLOSURE_AFTER_CONSENT")
            recaps = [t for t, _, k, r in tags if k == "recap" and r in (None, oid) and t > consent]
            if not recaps:
                expected.add("NO_COST_RECAP")
    if lab["closing_attempts"] != {"total": total, "after_decline": after}:
        err(f"closing_attempts {lab['closing_attempts']} != total {total}, after_decline {after}")
    if total > MAX_CLOSES:
        expected.add("EXCESSIVE_CLOSING_ATTEMPTS")
    if set(lab["flags"]) != expected:
        err(f"flags {sorted(lab['flags'])} != derived {sorted(expected)}")
    return [f"{cid}: {e}" for e in errs]


def load() -> tuple[list[tuple[dict, Path]], list[str]]:
    errs: list[str] = []
    audio_ids = {line.strip() for line in (HERE / "audio_ids.txt").read_text().splitlines()
                 if line.strip() and not line.startswith("#")}
    scripts = {p.stem: p for p in sorted((HERE / "scripts").glob("*.yaml"))}
    calls = []
    seen: Counter[str] = Counter()
    for where in (HERE / "audio", HERE / "text"):
        for p in sorted(where.glob("*.labels.json")):
            lab = json.loads(p.read_text())
            cid = lab["call_id"]
            seen[cid] += 1
            if p.name != f"{cid}.labels.json":
                errs.append(f"{p}: file name does not match call_id {cid}")
            if cid not in scripts:
                errs.append(f"{cid}: labels without a script")
                continue
            if (where.name == "audio") != (cid in audio_ids):
                errs.append(f"{cid}: in {where.name}/ but audio_ids.txt says otherwise")
            calls.append((lab, where))
            errs += check_call(lab, where, scripts[cid])
    for cid in scripts:
        if seen[cid] != 1:
            errs.append(f"{cid}: {seen[cid]} labels files (want 1)")
    if len(scripts) < 44:
        errs.append(f"only {len(scripts)} scripts (want at least 44)")
    n_rendered = sum(1 for _, w in calls if w.name == "audio")
    if n_rendered != 12:
        errs.append(f"{n_rendered} rendered calls (want 12)")
    ind = Counter(lab["sample"]["industry"] for lab, _ in calls)
    if low := [i for i in INDUSTRIES if ind[i] < 6]:
        errs.append(f"fewer than 6 calls for {low}")
    return calls, errs


def summary(calls: list[tuple[dict, Path]]) -> str:
    def table(title: str, counter: Counter, keys) -> str:
        rows = "\n".join(f"| `{k}` | {counter[k]} |" for k in keys)
        return f"| {title} | calls |\n|---|---|\n{rows}\n"

    labs = [lab for lab, _ in calls]
    ind = Counter(lab["sample"]["industry"] for lab in labs)
    need = Counter(lab["need"]["label"] for lab in labs)
    flags = Counter(f for lab in labs for f in lab["flags"])
    resp = Counter(o["customer_response"] for lab in labs for o in lab["offers"])
    layout = Counter(lab["sample"]["layout"] for lab in labs)
    rendered = Counter("rendered (audio)" if w.name == "audio" else "text-only" for _, w in calls)
    n_off = Counter(len(lab["offers"]) for lab in labs)
    out = [table("industry", ind, INDUSTRIES), table("need", need, sorted(NEEDS)),
           table("flag", flags, FLAGS) + f"| (no flag) | {sum(1 for lab in labs if not lab['flags'])} |\n",
           table("form", rendered, ("rendered (audio)", "text-only")),
           table("layout", layout, ("stereo_agent_left", "stereo_agent_right", "mono")),
           table("offers per call", n_off, sorted(n_off)),
           "| offer response | offers |\n|---|---|\n"
           + "\n".join(f"| `{k}` | {resp[k]} |" for k in ("accepted", "declined", "undecided")) + "\n",
           (f"Closing attempts: {sum(lab['closing_attempts']['total'] for lab in labs)} in all, "
           f"{sum(lab['closing_attempts']['after_decline'] for lab in labs)} after a decline.\n")]
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--summary", action="store_true", help="print the counts tables (markdown)")
    args = ap.parse_args()
    calls, errs = load()
    for e in errs:
        print("ERROR", e)
    if args.summary:
        print(summary(calls))
    print(f"{len(calls)} calls checked ({sum(1 for _, w in calls if w.name == 'audio')} rendered), "
          f"{len(errs)} problem(s)", file=sys.stderr)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
