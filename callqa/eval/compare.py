"""`callqa eval`: measure the analysis against labelled calls, field by field.

Labels are JSON files in the record's shape (`<call_id>.labels.json`, as audio_samples/ and
the development corpus hold them). Predictions come from records written by `callqa score`
(audio end to end), or from running the analysis on the labelled transcript itself (text only,
which isolates the NLP from ASR errors). Offers are matched to gold offers by time.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from callqa.record import CallRecord, read_record
from nlp.findings import CallAnalysis, ClosingAttempts, OfferPart
from nlp.vocabulary import DISCLOSURE_ITEMS, FLAG_CODES
from nlp.transcript import Segment, Transcript

OFFER_MATCH_TOLERANCE_S = 8.0  # a predicted offer within this of a gold offer's turn is the same offer


def load_labels(labels_dir: Path) -> list[dict]:
    files = sorted(labels_dir.rglob("*.labels.json"))
    if not files:
        raise FileNotFoundError(f"no *.labels.json files under {labels_dir}")
    return [json.loads(f.read_text()) | {"_path": str(f)} for f in files]


def transcript_from_labels(labels: dict) -> Transcript:
    """The scripted transcript as a callqa Transcript (segment times from the labels)."""
    call_id = labels["call_id"]
    segments = [
        Segment(
            id=f"{call_id}-{turn['speaker']}-{i:04d}",
            speaker=turn["speaker"],
            channel="left" if turn["speaker"] == "agent" else "right",
            start=float(turn["start"]),
            end=float(turn["end"]),
            text=turn["text"],
            confidence=1.0,
        )
        for i, turn in enumerate(labels["transcript"])
    ]
    return Transcript.merged(call_id, segments)


@dataclass
class Tally:
    right: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.right += int(ok)
        self.total += 1

    @property
    def accuracy(self) -> float | None:
        return self.right / self.total if self.total else None


@dataclass
class Report:
    calls: int = 0
    fields: dict[str, Tally] = field(default_factory=dict)
    closes_abs_error: list[int] = field(default_factory=list)
    after_decline_abs_error: list[int] = field(default_factory=list)
    offers_tp: int = 0
    offers_fp: int = 0
    offers_fn: int = 0
    flags: dict[str, Counter] = field(default_factory=lambda: {code: Counter() for code in FLAG_CODES})
    review: Counter = field(default_factory=Counter)  # needs_review flags: true (in the labels) / false
    failed: list[str] = field(default_factory=list)

    def tally(self, name: str, ok: bool) -> None:
        self.fields.setdefault(name, Tally()).add(ok)

    def flag_prf(self, code: str | None = None) -> tuple[float, float, float, int]:
        counts = self.flags[code] if code else sum(self.flags.values(), Counter())
        tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f1, tp + fn

    def offer_prf(self) -> tuple[float, float, float]:
        p = self.offers_tp / (self.offers_tp + self.offers_fp) if self.offers_tp + self.offers_fp else 1.0
        r = self.offers_tp / (self.offers_tp + self.offers_fn) if self.offers_tp + self.offers_fn else 1.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    def summary(self) -> dict:
        p, r, f1 = self.offer_prf()
        fp, fr, ff1, _ = self.flag_prf()
        return {
            "calls": self.calls,
            "failed": self.failed,
            "fields": {k: {"accuracy": v.accuracy, "n": v.total} for k, v in sorted(self.fields.items())},
            "offer_detection": {"precision": p, "recall": r, "f1": f1},
            "closing_attempts_mae": _mean(self.closes_abs_error),
            "after_decline_mae": _mean(self.after_decline_abs_error),
            "flags": {code: dict(zip(("precision", "recall", "f1", "support"), self.flag_prf(code), strict=True)) for code in FLAG_CODES},
            "flags_micro": {"precision": fp, "recall": fr, "f1": ff1},
            "needs_review": {"flags": self.review["true"] + self.review["false"], "in_labels": self.review["true"]},
        }


def _mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def match_offers(gold: list[dict], predicted: tuple[OfferPart, ...]) -> list[tuple[dict, OfferPart]]:
    """Greedy one-to-one matching by time: a predicted offer belongs to the gold offer whose
    pitch turn it falls in (give or take the tolerance)."""
    pairs, used = [], set()
    for g in sorted(gold, key=lambda o: o["start"]):
        turn_start = g["evidence"]["start"] if g.get("evidence") else g["start"]
        turn_end = g["evidence"]["end"] if g.get("evidence") else g["start"]
        candidates = [
            (abs(p.start - g["start"]), i)
            for i, p in enumerate(predicted)
            if i not in used and turn_start - OFFER_MATCH_TOLERANCE_S <= p.start <= turn_end + OFFER_MATCH_TOLERANCE_S
        ]
        if candidates:
            _, best = min(candidates)
            used.add(best)
            pairs.append((g, predicted[best]))
    return pairs


def compare(report: Report, gold: dict, predicted: CallAnalysis | CallRecord | None) -> None:
    """Add one call's comparison to the report; `predicted` is None for a failed or missing record."""
    report.calls += 1
    if predicted is None:
        report.failed.append(gold["call_id"])
        for code in gold.get("flags", []):
            report.flags[code]["fn"] += 1
        return
    report.tally("need", predicted.need is not None and predicted.need.label == gold["need"]["label"])

    gold_offers = gold.get("offers", [])
    pairs = match_offers(gold_offers, predicted.offers)
    report.offers_tp += len(pairs)
    report.offers_fp += len(predicted.offers) - len(pairs)
    report.offers_fn += len(gold_offers) - len(pairs)
    for g, p in pairs:
        report.tally("offer.kind", p.kind == g["kind"])
        report.tally("offer.need_fit", p.need_fit == g["need_fit"])
        report.tally("offer.customer_response", p.customer_response == g["customer_response"])
        for item in DISCLOSURE_ITEMS:
            report.tally(f"disclosure.{item}", p.disclosures[item].status == g["disclosures"][item]["status"])

    gold_closes = gold["closing_attempts"]
    pred_closes = predicted.closing_attempts or ClosingAttempts(0, 0)
    report.tally("closing_attempts.total (exact)", pred_closes.total == gold_closes["total"])
    report.tally("closing_attempts.after_decline (exact)", pred_closes.after_decline == gold_closes["after_decline"])
    report.closes_abs_error.append(abs(pred_closes.total - gold_closes["total"]))
    report.after_decline_abs_error.append(abs(pred_closes.after_decline - gold_closes["after_decline"]))

    gold_sentiment = (gold.get("sentiment") or {}).get("customer") or {}
    customer = predicted.sentiment.customer if predicted.sentiment else None
    for point in ("start", "end"):
        if gold_sentiment.get(point):
            state = getattr(customer, point) if customer else None
            report.tally(f"sentiment.customer.{point}", (state.label if state else None) == gold_sentiment[point])

    gold_flags = set(gold.get("flags", []))
    # Only raised flags are verdicts; needs_review flags go to a reviewer (counted apart: a review
    # flag the labels hold is a catch the reviewer can confirm, one they do not is work spared).
    pred_flags = {f.code for f in predicted.flags if f.status == "raised"}
    for f in predicted.flags:
        if f.status == "needs_review" and f.code not in pred_flags:
            report.review["true" if f.code in gold_flags else "false"] += 1
    for code in FLAG_CODES:
        if code in gold_flags and code in pred_flags:
            report.flags[code]["tp"] += 1
        elif code in pred_flags:
            report.flags[code]["fp"] += 1
        elif code in gold_flags:
            report.flags[code]["fn"] += 1


def evaluate_records(labels: list[dict], records_dir: Path) -> Report:
    """Compare labels with records written by `callqa score` (audio end to end)."""
    report = Report()
    for gold in labels:
        path = records_dir / "records" / f"{gold['call_id']}.json"
        if not path.exists():
            path = records_dir / f"{gold['call_id']}.json"
        record = read_record(path) if path.exists() else None
        compare(report, gold, record if record is not None and record.status == "scored" else None)
    return report


def evaluate_text(labels: list[dict], policy_path: Path | None = None) -> Report:
    """Run the analysis on each labelled transcript itself (no ASR) and compare."""
    from nlp.analyse import AnalysisSettings, analyse
    from nlp.policy import cached_policy

    settings = AnalysisSettings(cached_policy(str(policy_path) if policy_path else None))
    report = Report()
    for gold in labels:
        compare(report, gold, analyse(transcript_from_labels(gold), settings))
    return report


def audio_inputs(labels: list[dict]) -> list[Path]:
    """The recording next to each label file (labels without audio are text-only)."""
    found = []
    for gold in labels:
        folder = Path(gold["_path"]).parent
        audio = sorted(p for p in folder.glob(f"{gold['call_id']}.*") if p.suffix.lower() in (".wav", ".flac", ".mp3", ".ogg"))
        if audio:
            found.append(audio[0])
    return found
