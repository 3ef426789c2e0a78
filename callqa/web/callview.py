"""What the call page shows, built from the store's CallDetail: transcript segments with the
findings that rest on them marked inline, closing attempts numbered in call order."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from callqa.store.models import Evidence
from callqa.store.queries import CallDetail
from callqa.web.params import DISCLOSURE_ITEMS
from nlp.evidence import LOW_WORD_PROB

RESPONSE_KIND = {"accepted": "consent", "declined": "decline", "undecided": "response"}
ITEM_NAMES = {item: item.replace("_", " ") for item in DISCLOSURE_ITEMS}


@dataclass(frozen=True)
class Mark:
    """A finding shown on a transcript segment; clicking it plays from `start`."""

    kind: str  # offer | close | decline | consent | response | disclosure | recap | dip | flag | need
    label: str
    start: float | None
    detail: str = ""


@dataclass
class SegmentView:
    segment_id: str
    speaker: str
    start: float
    end: float
    text: str
    sentiment_label: str | None
    sentiment_score: float | None
    marks: list[Mark] = field(default_factory=list)
    # The text in pieces, each (text, word probability or None): words under LOW_WORD_PROB get
    # the `low-conf` class. One piece with no probability when the words are unknown or do not
    # line up with the (redacted) text.
    pieces: list[tuple[str, float | None]] = field(default_factory=list)

    def low(self, prob: float | None) -> bool:
        return prob is not None and prob < LOW_WORD_PROB


def text_pieces(text: str, words: list) -> list[tuple[str, float | None]]:
    """The segment text split at its ASR words, each word with its probability."""
    pieces: list[tuple[str, float | None]] = []
    position = 0
    for word in words or []:
        wtext = str(word.get("text", "")) if isinstance(word, dict) else ""
        found = text.find(wtext, position) if wtext else -1
        if found < 0 or not isinstance(word.get("prob"), (int, float)):
            return [(text, None)]  # redacted or reworded text: no word marks
        if found > position:
            pieces.append((text[position:found], None))
        pieces.append((wtext, float(word["prob"])))
        position = found + len(wtext)
    if position < len(text):
        pieces.append((text[position:], None))
    return pieces or [(text, None)]


@dataclass(frozen=True)
class ClosingAttempt:
    number: int  # in call order, across offers
    product: str
    evidence: Evidence
    after_decline: bool


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(max(0.0, float(seconds)), 60)
    return f"{int(minutes):02d}:{secs:04.1f}"


def closing_attempts(detail: CallDetail) -> list[ClosingAttempt]:
    found = []
    for offer in detail.call.offers:
        attempts = [e for e in offer.evidence if e.role == "closing_attempt"]
        # The last `closing_attempts_after_decline` attempts of an offer came after its decline.
        first_after = len(attempts) - offer.closing_attempts_after_decline
        found += [(e, offer.product, i >= first_after) for i, e in enumerate(attempts)]
    found.sort(key=lambda f: (f[0].start if f[0].start is not None else float("inf")))
    return [ClosingAttempt(n, product, e, after) for n, (e, product, after) in enumerate(found, 1)]


def segment_views(detail: CallDetail) -> list[SegmentView]:
    """The transcript in time order, each segment with its marks."""
    call = detail.call
    marks: dict[str, list[Mark]] = defaultdict(list)

    def add(e: Evidence | None, mark: Mark) -> None:
        if e is not None and e.segment_id is not None:
            marks[e.segment_id].append(mark)

    add(detail.need_evidence, Mark("need", f"need: {(call.need_label or '?').replace('_', ' ')}", _start(detail.need_evidence)))
    for offer in call.offers:
        for e in offer.evidence:
            if e.role == "offer":
                add(e, Mark("offer", f"offer: {offer.product}", e.start, f"{offer.kind.replace('_', ' ')}, need fit {_yes_no(offer.need_fit)}"))
            elif e.role == "response":
                add(e, Mark(RESPONSE_KIND.get(offer.customer_response, "response"), f"{offer.customer_response}: {offer.product}", e.start))
            elif e.role == "cost_recap":
                add(e, Mark("recap", f"cost recap: {offer.product}", e.start))
        for d in offer.disclosures:
            for e in d.evidence:
                add(e, Mark("disclosure", f"{ITEM_NAMES.get(d.item, d.item)} ({d.status.replace('_', ' ')})", e.start, offer.product))
    for attempt in closing_attempts(detail):
        suffix = " after decline" if attempt.after_decline else ""
        add(attempt.evidence, Mark("close", f"close #{attempt.number}{suffix}", attempt.evidence.start, attempt.product))
    for flag in call.flags:
        for e in flag.evidence:
            if flag.code == "CONTINUED_AFTER_DECLINE" and e.speaker == "customer":
                add(e, Mark("decline", "decline", e.start, flag.message))
            if flag.status == "needs_review":
                add(e, Mark("review", f"review: {flag.code}", e.start, flag.message))
            else:
                add(e, Mark("flag", flag.code, e.start, flag.message))
    views = []
    for seg in sorted(call.segments, key=lambda s: (s.start, s.position)):
        seg_marks = marks.get(seg.segment_id, [])
        if seg.speaker == "customer" and seg.sentiment_label == "negative":
            score = f" {seg.sentiment_score:+.2f}" if seg.sentiment_score is not None else ""
            seg_marks = [*seg_marks, Mark("dip", f"sentiment dip{score}", seg.start)]
        views.append(
            SegmentView(seg.segment_id, seg.speaker, seg.start, seg.end, seg.text, seg.sentiment_label, seg.sentiment_score,
                        sorted(seg_marks, key=lambda m: m.start if m.start is not None else seg.start),
                        text_pieces(seg.text, seg.words))
        )
    return views


def _start(e: Evidence | None) -> float | None:
    return e.start if e is not None else None


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else "yes" if value else "no"
