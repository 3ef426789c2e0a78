"""Policy flags: what QA must catch, each with the evidence that raised it."""

from __future__ import annotations

from dataclasses import dataclass

from nlp.confidence import UPSET_MARGIN, Confidence, assess, margin_confidence, need_fit_confidence, surest, unpriced
from nlp.disclosures import Disclosure
from nlp.evidence import Evidence
from nlp.policy import Policy
from nlp.sales import Offer
from nlp.sentiment import is_upset
from nlp.upset_model import upset_confidence
from nlp.vocabulary import MISSING_FLAG, SEVERITY



@dataclass(frozen=True)
class Flag:
    code: str
    severity: str
    message: str
    evidence: tuple[Evidence, ...]
    offer_id: str | None = None
    status: str = "raised"  # raised | needs_review (nlp.confidence)
    confidence: float = 1.0
    basis: str = ""  # what lowered the confidence

    @property
    def counts(self) -> bool:
        """Whether the flag counts in the score (a needs_review flag waits for a reviewer)."""
        return self.status == "raised"

    def to_dict(self) -> dict:
        out = {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "offer_id": self.offer_id,
            "evidence": [e.to_dict() for e in self.evidence],
            "status": self.status,
            "confidence": self.confidence,
        }
        if self.basis:
            out["confidence_basis"] = self.basis
        return out


@dataclass(frozen=True)
class UpsetAtOffer:
    """The customer's state when an offer was made, from the sentiment stage."""

    offer_id: str
    score: float
    evidence: Evidence | None
    # the turn-act model's reading of the customer's last turn before the offer: its complaint
    # sentence (an angry or complaining one), as evidence with the model's score; None when it read none
    complaint: Evidence | None = None
    # the upset model's P(upset) of the customer's last turn before the offer and its line, when
    # that model reads the call: it then decides alone, with the turn as `evidence` when above the line
    learned: float | None = None
    learned_line: float = 0.0


# Flags whose evidence shows a sale under way whether or not a price was said: the agent's own
# words booking it, asking again after the customer's no or past the policy's maximum (an
# unpriced "offer" the reading mistook is not pressed for three times), and pitching to a customer
# the upset reading found upset (a pitch over a complaint is the fault, priced or not: over 3,179
# read held-out calls 2 true flags more, no false one). OFFER_WITHOUT_NEED stays capped: uncapped
# it raised 13 true and 7 false, 3 more of them on the 1,409 calls that sold nothing.
PRICE_BLIND = frozenset({"SALE_WITHOUT_CONSENT", "CONTINUED_AFTER_DECLINE", "EXCESSIVE_CLOSING_ATTEMPTS", "OFFER_TO_UPSET_CUSTOMER"})


def raise_flags(
    offers: list[Offer],
    disclosures: dict[str, dict[str, Disclosure]],
    recaps: dict[str, Evidence | None],
    upset: list[UpsetAtOffer],
    policy: Policy,
    min_similarity: float = 0.0,
    price_talked_down: dict[str, Evidence | None] | None = None,
) -> list[Flag]:
    """The call's flags, each with its confidence and status (nlp.confidence has the table).
    `price_talked_down`: per offer with no price stated, the agent's words playing its price down
    ("just a small amount"), if any: such an offer is a sale hiding its price, not a misreading."""
    flags: list[Flag] = []
    talked_down = price_talked_down or {}
    unpriced_offers = {o.id for o in offers if disclosures[o.id]["price"].status == "missing" and talked_down.get(o.id) is None}

    def add(code: str, message: str, evidence: list[Evidence | None], offer_id: str | None = None, sure: Confidence | None = None) -> None:
        sure = sure or assess(1.0, evidence)
        if offer_id in unpriced_offers and code not in PRICE_BLIND:
            sure = unpriced(sure)
        status = "needs_review" if sure.needs_review(policy.review_threshold, policy.asr_review_prob) else "raised"
        kept = tuple(e for e in evidence if e is not None)
        flags.append(Flag(code, SEVERITY[code], message, kept, offer_id, status, sure.value, sure.basis))

    for offer in offers:
        if offer.unconsented:
            booking = offer.unconsented[0]
            add("SALE_WITHOUT_CONSENT", f"{offer.product} was booked without the customer's yes", [offer.evidence, *offer.unconsented], offer.id,
                assess(booking.model_score if booking.model_score is not None else 1.0, [offer.evidence, booking]))
        if not offer.need_fit:
            fit, why = need_fit_confidence(offer.need_fit_rule, min_similarity)
            add(
                "OFFER_WITHOUT_NEED",
                f"{offer.product} was offered without a stated need it serves ({offer.need_fit_rule})",
                [offer.evidence],
                offer.id,
                assess(fit, [offer.evidence], why),
            )
        after, declined = offer.closes_after_decline, offer.pressed_no
        if after and declined is not None:
            add(
                "CONTINUED_AFTER_DECLINE",
                f"{len(after)} closing attempt(s) on {offer.product} after the customer declined",
                [declined.evidence, *after],
                offer.id,
                assess(1.0, [declined.evidence, *surest(after)]),  # one close after the no is enough
            )
        if offer.customer_response == "accepted":
            items = disclosures[offer.id]
            consent = next(r for r in offer.responses if r.kind == "accepted")
            for item, code in MISSING_FLAG.items():
                if item in policy.required_disclosures and items[item].status == "missing":
                    instead = talked_down.get(offer.id) if item == "price" else None
                    add(
                        code,
                        f"{item.replace('_', ' ')} of {offer.product} was never stated before the customer agreed"
                        + (f' (only "{instead.quote}")' if instead is not None else ""),
                        [offer.evidence, instead],
                        offer.id,
                        assess(1.0, [offer.evidence, consent.evidence]),
                    )
            late = [d for d in items.values() if d.status == "disclosed_after_consent"]
            if late:
                names = ", ".join(d.item.replace("_", " ") for d in late)
                late_evidence = [d.evidence for d in late if d.evidence is not None]
                add(
                    "DISCLOSURE_AFTER_CONSENT",
                    f"{names} of {offer.product} stated only after the customer agreed",
                    [consent.evidence, *late_evidence],
                    offer.id,
                    assess(1.0, [consent.evidence, *surest(late_evidence)]),
                )
            if recaps.get(offer.id) is None:
                add("NO_COST_RECAP", f"the cost of {offer.product} was not recapped after the customer agreed", [consent.evidence], offer.id)

    closes = [c for o in offers for c in o.closes]
    if len(closes) > policy.max_closing_attempts:
        needed = surest(closes, policy.max_closing_attempts + 1)  # the verdict holds if these are real
        add(
            "EXCESSIVE_CLOSING_ATTEMPTS",
            f"{len(closes)} closing attempts, more than the maximum of {policy.max_closing_attempts}",
            closes,
            None,
            assess(1.0, needed),
        )
    for state in upset:
        offer = next(o for o in offers if o.id == state.offer_id)
        if state.learned is not None and state.evidence is not None:
            # the upset model read the customer's last turn before the pitch; where it did not read
            # upset, only a complaint sold over (below) still raises the flag
            add(
                "OFFER_TO_UPSET_CUSTOMER",
                f"{offer.product} was offered while the customer was upset (upset model {state.learned:.2f})",
                [state.evidence, offer.evidence],
                offer.id,
                assess(upset_confidence(state.learned, state.learned_line), [state.evidence, offer.evidence],
                       f"upset model P(upset) {state.learned:.2f} vs {state.learned_line:.2f}"),
            )
        elif state.learned is None and is_upset(state.score, policy.upset_threshold):
            margin = margin_confidence(policy.upset_threshold - state.score, UPSET_MARGIN)
            add(
                "OFFER_TO_UPSET_CUSTOMER",
                f"{offer.product} was offered while the customer was upset (sentiment {state.score:.2f})",
                [state.evidence, offer.evidence],
                offer.id,
                assess(margin, [state.evidence, offer.evidence], f"sentiment {state.score:.2f} vs upset threshold {policy.upset_threshold:.2f}"),
            )
        elif state.complaint is not None:
            add(
                "OFFER_TO_UPSET_CUSTOMER",
                f"{offer.product} was offered right after the customer complained or was angry",
                [state.complaint, offer.evidence],
                offer.id,
                assess(state.complaint.model_score or 1.0, [state.complaint, offer.evidence], "the turn-act model read a complaint"),
            )
    return flags
