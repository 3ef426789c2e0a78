"""Accuracy per writing style, with how sure we are: `callqa eval --styles`.

Each style of the corpus (corpus/styles/<style>/, each written by its own author, plus the
development corpus and bundled samples as the style "dev") is scored on its own, so a figure
says how the reading does on wording it was not written against. A reader is any function from
a transcript to the analysis: today's rules, or learned models trained without the held-out
style (leave-one-style-out; the turn-act model without the style's group, `held_out_groups`).
Every figure comes with the number of calls it rests on and a 95 %
interval: Wilson's for proportions, a seeded bootstrap over calls for F1.

No-sale calls (no gold offer) measure false alarms: the share of them on which an offer was
found, and on which any flag was raised. A flag counts as found when it is raised (a verdict in
the score); flags sent to review (`needs_review`) are counted apart, with how many of them the
labels hold, since a reviewer reads them but the score does not. The real bank calls in ../shared/data/real_calls
(human transcripts, no sale in any) are controls of the same kind.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from callqa.eval.compare import OFFER_MATCH_TOLERANCE_S, match_offers, load_labels, transcript_from_labels
from nlp.acts import BROAD_STYLES, STYLES, TurnActs, wilson as acts_wilson
from nlp.findings import CallAnalysis
from nlp.transcript import Segment, Transcript
from nlp.vocabulary import DISCLOSURE_ITEMS

Reader = Callable[[Transcript], CallAnalysis]
BOOTSTRAP_ROUNDS = 1000
Z95 = 1.959964


def wilson(successes: int, n: int) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion (0, 1 when n is 0)."""
    return (0.0, 1.0) if n == 0 else acts_wilson(successes, n, Z95)


@dataclass(frozen=True)
class CallScore:
    """One call's comparison, in counts that add up over calls."""

    call_id: str
    need_right: bool
    gold_offers: int
    found_offers: int
    matched_offers: int
    closes_exact: bool
    flags_tp: int
    flags_fp: int
    flags_fn: int
    no_sale: bool  # no gold offer
    any_flag: bool
    # disclosure items (price, recurring charge, ...) of offers matched to a gold offer, and how
    # many of them got the gold status (disclosed before/after consent, missing, not applicable)
    disclosures_right: int = 0
    disclosures_total: int = 0
    need_gold: str = ""
    need_found: str = ""  # "" when no need was read
    gold_flags: tuple[str, ...] = ()
    found_flags: tuple[str, ...] = ()  # raised
    review_flags: tuple[str, ...] = ()  # sent to review and not raised


def _matched(gold: list[dict], found: Sequence) -> int:
    used: set[int] = set()
    for g in sorted(gold, key=lambda o: o["start"]):
        ev = g.get("evidence") or {}
        lo, hi = ev.get("start", g["start"]) - OFFER_MATCH_TOLERANCE_S, ev.get("end", g["start"]) + OFFER_MATCH_TOLERANCE_S
        options = [(abs(p.start - g["start"]), i) for i, p in enumerate(found) if i not in used and lo <= p.start <= hi]
        if options:
            used.add(min(options)[1])
    return len(used)


def score_call(gold: dict, found: CallAnalysis) -> CallScore:
    gold_flags = set(gold.get("flags", []))
    found_flags = {f.code for f in found.flags if f.status == "raised"}
    review_flags = {f.code for f in found.flags if f.status != "raised"} - found_flags
    closes = found.closing_attempts.total if found.closing_attempts else 0
    pairs = match_offers(gold.get("offers", []), found.offers)
    statuses = [p.disclosures[item].status == g["disclosures"][item]["status"] for g, p in pairs for item in DISCLOSURE_ITEMS]
    return CallScore(
        call_id=gold["call_id"],
        need_right=found.need is not None and found.need.label == gold["need"]["label"],
        gold_offers=len(gold.get("offers", [])),
        found_offers=len(found.offers),
        matched_offers=_matched(gold.get("offers", []), found.offers),
        closes_exact=closes == gold["closing_attempts"]["total"],
        flags_tp=len(gold_flags & found_flags),
        flags_fp=len(found_flags - gold_flags),
        flags_fn=len(gold_flags - found_flags),
        no_sale=not gold.get("offers"),
        any_flag=bool(found_flags),
        disclosures_right=sum(statuses),
        disclosures_total=len(statuses),
        need_gold=gold["need"]["label"],
        need_found=found.need.label if found.need is not None else "",
        gold_flags=tuple(sorted(gold_flags)),
        found_flags=tuple(sorted(found_flags)),
        review_flags=tuple(sorted(review_flags)),
    )


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else (1.0 if not fp and not fn else 0.0)


def _bootstrap_f1(calls: Sequence[CallScore], seed: int = 7) -> tuple[float, float]:
    if not calls:
        return 0.0, 1.0
    rng = random.Random(seed)
    values = []
    for _ in range(BOOTSTRAP_ROUNDS):
        sample = [calls[rng.randrange(len(calls))] for _ in calls]
        values.append(_f1(sum(c.flags_tp for c in sample), sum(c.flags_fp for c in sample), sum(c.flags_fn for c in sample)))
    values.sort()
    return values[int(0.025 * len(values))], values[int(0.975 * len(values)) - 1]


@dataclass(frozen=True)
class Figure:
    value: float | None
    n: int
    low: float
    high: float

    def text(self) -> str:
        if self.value is None:
            return f"- (n={self.n})"
        return f"{self.value:.2f} [{self.low:.2f}-{self.high:.2f}] n={self.n}"


def _proportion(successes: int, n: int) -> Figure:
    low, high = wilson(successes, n)
    return Figure(successes / n if n else None, n, low, high)


@dataclass(frozen=True)
class StyleResult:
    style: str
    calls: int
    need: Figure
    offer_precision: Figure
    offer_recall: Figure
    closes_exact: Figure
    disclosures: Figure  # disclosure items of matched offers with the gold status
    flags_precision: Figure
    flags_recall: Figure
    flags_f1: Figure
    no_sale_offer: Figure  # share of no-sale calls with an offer found (lower is better)
    no_sale_flag: Figure  # share of no-sale calls with a flag raised (lower is better)
    to_review: int = 0  # flags sent to review, not raised (per call and code)
    to_review_in_labels: int = 0  # of them, flags the labels hold
    # gold need -> found need -> calls: where need errors go (in the JSON, not the table)
    need_confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    # flag code -> {"tp", "fp", "fn"}: which flags are missed or raised wrongly (JSON only)
    flag_counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {k: (v.__dict__ if isinstance(v, Figure) else v) for k, v in self.__dict__.items()}


def summarise(style: str, calls: Sequence[CallScore]) -> StyleResult:
    tp, fp, fn = sum(c.flags_tp for c in calls), sum(c.flags_fp for c in calls), sum(c.flags_fn for c in calls)
    low, high = _bootstrap_f1(calls)
    no_sale = [c for c in calls if c.no_sale]
    return StyleResult(
        style=style,
        calls=len(calls),
        need=_proportion(sum(c.need_right for c in calls), len(calls)),
        offer_precision=_proportion(sum(c.matched_offers for c in calls), sum(c.found_offers for c in calls)),
        offer_recall=_proportion(sum(c.matched_offers for c in calls), sum(c.gold_offers for c in calls)),
        closes_exact=_proportion(sum(c.closes_exact for c in calls), len(calls)),
        disclosures=_proportion(sum(c.disclosures_right for c in calls), sum(c.disclosures_total for c in calls)),
        flags_precision=_proportion(tp, tp + fp),
        flags_recall=_proportion(tp, tp + fn),
        flags_f1=Figure(_f1(tp, fp, fn), len(calls), low, high),
        no_sale_offer=_proportion(sum(c.found_offers > 0 for c in no_sale), len(no_sale)),
        no_sale_flag=_proportion(sum(c.any_flag for c in no_sale), len(no_sale)),
        to_review=sum(len(c.review_flags) for c in calls),
        to_review_in_labels=sum(len(set(c.review_flags) & set(c.gold_flags)) for c in calls),
        need_confusion=_confusion(calls),
        flag_counts=_flag_counts(calls),
    )


def _flag_counts(calls: Sequence[CallScore]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for c in calls:
        gold, found = set(c.gold_flags), set(c.found_flags)
        for code in gold | found:
            row = out.setdefault(code, {"tp": 0, "fp": 0, "fn": 0})
            row["tp" if code in gold and code in found else "fp" if code in found else "fn"] += 1
    return dict(sorted(out.items()))


def _confusion(calls: Sequence[CallScore]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for c in calls:
        row = out.setdefault(c.need_gold, {})
        row[c.need_found] = row.get(c.need_found, 0) + 1
    return out


def style_labels(corpus: Path, samples: Path | None = None) -> dict[str, list[dict]]:
    """Labels per style: corpus/styles/<style>/text, and "dev" (corpus/dev plus the bundled samples)."""
    # The training styles first, in their order, then any other style folder of this corpus: the
    # models never train on those, so they are scored by models trained on every training style.
    found = {d.name for d in (corpus / "styles").iterdir() if any((d / "text").glob("*.labels.json"))}
    order = [s for s in STYLES if s in found] + sorted(found - set(STYLES))
    styles = {s: load_labels(corpus / "styles" / s / "text") for s in order}
    dev = load_labels(corpus / "dev") + (load_labels(samples) if samples else [])
    return styles | {"dev": dev}


def real_call_controls(real_calls: Path) -> list[Transcript]:
    """The Harper Valley bank calls' human transcripts as timed transcripts (no sale in any)."""
    out = []
    for path in sorted((real_calls / "hvb_src").glob("*.transcript_human.json")):
        call_id = path.name.split(".")[0]
        data = json.loads(path.read_text())
        rows = data if isinstance(data, list) else data.get("segments") or data.get("transcript") or []
        segments = []
        for i, row in enumerate(sorted(rows, key=lambda r: r["offset_ms"])):
            text = (row.get("human_transcript") or "").strip()
            if not text:
                continue
            speaker = "agent" if row.get("speaker_role") == "agent" else "customer"
            start = row["offset_ms"] / 1000
            segments.append(Segment(f"{call_id}-{speaker}-{i:04d}", speaker, "left" if speaker == "agent" else "right",
                                    start, start + row.get("duration_ms", 1000) / 1000, text, 1.0))
        out.append(Transcript.merged(call_id, segments))
    return out


def evaluate_styles(reader_for: Callable[[str], Reader], labels: dict[str, list[dict]], pooled: bool = False) -> list[StyleResult]:
    """Each style scored with the reader `reader_for(style)` gives for it (for a learned reader:
    one trained without that style); with `pooled`, one more row over all their calls."""
    results, every = [], []
    for style, calls in labels.items():
        reader = reader_for(style)
        rows = [score_call(gold, reader(transcript_from_labels(gold))) for gold in calls]
        every += rows
        results.append(summarise(style, rows))
    if pooled and len(labels) > 1:
        results.append(summarise("pooled", every))
    return results


def markdown(title: str, results: Sequence[StyleResult], controls: tuple[int, int, int] | None = None) -> str:
    head = ("| style | calls | need | offers P | offers R | closes exact | disclosure status | flags P | flags R | flags F1 | no-sale: offer found "
            "| no-sale: flag raised | flags to review (in labels) |")
    lines = [f"**{title}**", "", head, "|" + "---|" * 13]
    for r in results:
        cells = [r.need, r.offer_precision, r.offer_recall, r.closes_exact, r.disclosures, r.flags_precision, r.flags_recall, r.flags_f1, r.no_sale_offer, r.no_sale_flag]
        lines.append(f"| {r.style} | {r.calls} | " + " | ".join(c.text() for c in cells) + f" | {r.to_review} ({r.to_review_in_labels}) |")
    if controls is not None:
        n, offers, flags = controls
        lines += ["", f"Real bank calls (human transcripts, no sale): offer found on {_proportion(offers, n).text()}, "
                      f"flag raised on {_proportion(flags, n).text()}."]
    return "\n".join(lines) + "\n"


READINGS = ("rules", "combined")
# The styles the shipped turn-act model has read are scored by its two halves trained without
# them, held out in groups of at most this many: a broad half takes 10-20 minutes to train on these
# two cores, one per style would take a day for the ninety-odd styles.
HELD_OUT_GROUP = 20


def held_out_groups(styles: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Style -> the styles held out with it from the turn-act model: those of `styles` it has read,
    dealt into the fewest groups of at most HELD_OUT_GROUP (every n-th style, so each group mixes
    old and new). A style it has never read needs no group: the shipped model reads it."""
    read = [s for s in styles if s in BROAD_STYLES]
    n = -(-len(read) // HELD_OUT_GROUP)
    return {s: tuple(read[k::n]) for k in range(n) for s in read[k::n]}


def _reader_for(reading: str, policy, styles: Sequence[str]) -> Callable[[str], Reader]:
    """The analysis that scores a held-out style: the rules alone, or the rules with the turn-act
    model trained without the style's group (held_out_groups) and the need, need-fit and upset
    models trained without the style."""
    from nlp.acts import train_held_out
    from nlp.analyse import AnalysisSettings, analyse
    from nlp.need_fit_model import train as train_need_fit
    from nlp.need_model import train as train_need
    from nlp.upset_model import train as train_upset

    groups = held_out_groups(styles)
    trained: dict[tuple[str, ...], TurnActs] = {}

    def turn_acts(style: str) -> TurnActs | str:
        group = groups.get(style)
        if group is None:
            return "shipped"
        if group not in trained:
            trained[group] = train_held_out(group)
        return trained[group]

    def reader_for(style: str) -> Reader:
        if reading == "combined":
            settings = AnalysisSettings(policy, turn_acts=turn_acts(style), need_model=train_need(style)[0],
                                        need_fit_model=train_need_fit(style)[0], upset_model=train_upset(style)[0])
        else:
            settings = AnalysisSettings(policy, turn_acts=None, need_model=None, need_fit_model=None, upset_model=None)
        return lambda transcript: analyse(transcript, settings)

    return reader_for


def control_counts(reading: str, policy, controls: Sequence[Transcript]) -> tuple[int, int, int] | None:
    """(calls, calls with an offer, calls with a flag) on the no-sale controls. They belong to no
    style the models were trained on, so the shipped models read them."""
    if not controls:
        return None
    from nlp.analyse import AnalysisSettings, analyse

    shipped = "shipped" if reading == "combined" else None
    found = [analyse(t, AnalysisSettings(policy, turn_acts=shipped, need_model=shipped, need_fit_model=shipped)) for t in controls]
    return len(found), sum(bool(a.offers) for a in found), sum(bool(a.flags) for a in found)


def run_styles(policy, labels: dict[str, list[dict]], controls: Sequence[Transcript], readings: Sequence[str] = READINGS,
               on_result: Callable[[str, str], None] | None = None, pooled: bool = False) -> dict[str, dict]:
    """Every reading over every style, in one run so the figures compare; `on_result(reading,
    markdown)` sees each reading's table as soon as it is done (the whole run takes minutes)."""
    figures = {}
    for reading in readings:
        if reading not in READINGS:
            raise ValueError(f"unknown reading {reading!r}: one of {', '.join(READINGS)}")
        results = evaluate_styles(_reader_for(reading, policy, list(labels)), labels, pooled)
        counts = control_counts(reading, policy, controls)
        if on_result is not None:
            on_result(reading, markdown(f"{reading} reading", results, counts))
        figures[reading] = {"styles": [r.to_dict() for r in results], "real_calls": counts}
    return figures
