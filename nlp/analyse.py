"""All analysis stages over one parse of a call, in order, into the record's analysis fields.

need -> offers, closing attempts, responses -> need fit -> disclosures and recap ->
sentiment -> flags -> score. Each stage reads the parsed call and earlier findings; none
changes the transcript.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from models.embeddings import model_name as embedding_model_name
from nlp.disclosures import Disclosure, cost_recap, disclosures_for
from nlp.evidence import Evidence
from nlp.flags import Flag, UpsetAtOffer, raise_flags
from nlp.need import as_complaint_when_upset, classify_need
from nlp.need_fit import judge_need_fit
from nlp.parse import SPACY_MODEL, ParsedCall, parse
from nlp.phrases import rules_hash
from nlp.policy import Policy
from nlp.sales import Offer, apply_need, find_offers
from nlp.scorecard import score_call
from nlp.sentiment import SentimentConfig, score_sentiment
from nlp.transcript import Transcript

UPSET_LOOKBACK_SEGMENTS = 2  # the customer's last turns before the pitch


@dataclass(frozen=True)
class AnalysisSettings:
    policy: Policy
    sentiment_model_dir: Path | None = None


def _offer_dict(offer: Offer, disclosures: dict[str, Disclosure], recap: Evidence | None) -> dict:
    response = offer.responses[-1].evidence.to_dict() if offer.responses else None
    return {
        "id": offer.id,
        "product": offer.product,
        "kind": offer.kind,
        "need_fit": offer.need_fit,
        "need_fit_rule": offer.need_fit_rule,
        "customer_response": offer.customer_response,
        "response_evidence": response,
        "consent_time": offer.consent_time,
        "start": offer.start,
        "evidence": offer.evidence.to_dict(),
        "closing_attempts": [c.to_dict() for c in offer.closes],
        "closing_attempts_after_decline": len(offer.closes_after_decline),
        "disclosures": {item: d.to_dict() for item, d in disclosures.items()},
        "cost_recap": recap.to_dict() if recap else None,
    }


def _upset_at_offers(parsed: ParsedCall, offers: list[Offer], sentiment: dict, complaint_call: bool) -> list[UpsetAtOffer]:
    """The customer's lowest state in their last turns before each offer; on a complaint call,
    anywhere before it, since selling on an unresolved complaint is selling to an upset customer."""
    scores = {s["segment_id"]: s["score"] for s in sentiment["customer"]["segments"]}
    states = []
    for offer in offers:
        before = [(i, s) for i, s in enumerate(parsed.segments) if s.speaker == "customer" and s.start < offer.start and s.id in scores]
        recent = before if complaint_call else before[-UPSET_LOOKBACK_SEGMENTS:]
        if not recent:
            continue
        index, segment = min(recent, key=lambda pair: scores[pair[1].id])
        states.append(UpsetAtOffer(offer.id, scores[segment.id], parsed.whole(index, f"sentiment:{sentiment.get('model', '')}")))
    return states


def _segment_index(parsed: ParsedCall, segment_id: str) -> int:
    return next(i for i, s in enumerate(parsed.segments) if s.id == segment_id)


def analyse(transcript: Transcript, settings: AnalysisSettings) -> dict:
    """The record's analysis fields for one call."""
    started = time.perf_counter()
    policy = settings.policy
    parsed = parse(transcript)
    offers = find_offers(parsed, policy)
    first_offer = min((o.start for o in offers), default=None)
    sentiment = score_sentiment(parsed, first_offer, SentimentConfig(model_dir=settings.sentiment_model_dir)).to_dict()
    # The need is what the customer said before the first pitch: after it, their questions are about the offer.
    need = classify_need(parsed, policy, until=first_offer)
    opening = sentiment["customer"]["start"]
    need = as_complaint_when_upset(
        need,
        opening["score"] if opening else None,
        parsed.whole(_segment_index(parsed, opening["segment_id"]), "sentiment") if opening else None,
        policy.upset_threshold,
    )
    apply_need(offers, need.label)
    judge_need_fit(parsed, offers, need.label, policy)
    disclosures = {o.id: disclosures_for(parsed, o, offers, policy.required_disclosures) for o in offers}
    recaps = {o.id: cost_recap(parsed, o, offers) for o in offers}
    flags: list[Flag] = raise_flags(offers, disclosures, recaps, _upset_at_offers(parsed, offers, sentiment, need.label == "complaint"), policy)
    score = score_call(flags, bool(offers), any(o.customer_response == "accepted" for o in offers), policy)
    return {
        "need": need.to_dict(),
        "offers": [_offer_dict(o, disclosures[o.id], recaps[o.id]) for o in offers],
        "closing_attempts": {
            "total": sum(len(o.closes) for o in offers),
            "after_decline": sum(len(o.closes_after_decline) for o in offers),
        },
        "sentiment": sentiment,
        "flags": [f.to_dict() for f in flags],
        "score": score.to_dict(),
        "analysis": {
            "policy": policy.name,
            "policy_hash": policy.source_hash,
            "rules_hash": rules_hash(),
            "nlp_models": {"spacy": SPACY_MODEL, "embeddings": embedding_model_name(), "sentiment": sentiment.get("model")},
            "seconds": round(time.perf_counter() - started, 3),
        },
    }
