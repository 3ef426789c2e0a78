"""Policy flags: what QA must catch, each with the evidence that raised it."""

from __future__ import annotations

from dataclasses import dataclass

from nlp.disclosures import Disclosure
from nlp.evidence import Evidence
from nlp.policy import Policy
from nlp.sales import Offer
from nlp.sentiment import is_upset
from nlp.vocabulary import MISSING_FLAG, SEVERITY



@dataclass(frozen=True)
class Flag:
    code: str
    severity: str
    message: str
    evidence: tuple[Evidence, ...]
    offer_id: str | None = None

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "offer_id": self.offer_id,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class UpsetAtOffer:
    """The customer's state when an offer was made, from the sentiment stage."""

    offer_id: str
    score: float
    evidence: Evidence | None


def raise_flags(
    offers: list[Offer],
    disclosures: dict[str, dict[str, Disclosure]],
    recaps: dict[str, Evidence | None],
    upset: list[UpsetAtOffer],
    policy: Policy,
) -> list[Flag]:
    flags: list[Flag] = []

    def add(code: str, message: str, evidence: list[Evidence | None], offer_id: str | None = None) -> None:
        flags.append(Flag(code, SEVERITY[code], message, tuple(e for e in evidence if e is not None), offer_id))

    for offer in offers:
        if offer.unconsented:
            add("SALE_WITHOUT_CONSENT", f"{offer.product} was booked without the customer's yes", [offer.evidence, *offer.unconsented], offer.id)
        if not offer.need_fit:
            add("OFFER_WITHOUT_NEED", f"{offer.product} was offered without a stated need it serves ({offer.need_fit_rule})", [offer.evidence], offer.id)
        after = offer.closes_after_decline
        if after:
            declined = next(r for r in offer.responses if r.kind == "declined")
            add(
                "CONTINUED_AFTER_DECLINE",
                f"{len(after)} closing attempt(s) on {offer.product} after the customer declined",
                [declined.evidence, *after],
                offer.id,
            )
        if offer.customer_response == "accepted":
            items = disclosures[offer.id]
            for item, code in MISSING_FLAG.items():
                if item in policy.required_disclosures and items[item].status == "missing":
                    add(code, f"{item.replace('_', ' ')} of {offer.product} was never stated before the customer agreed", [offer.evidence], offer.id)
            late = [d for d in items.values() if d.status == "disclosed_after_consent"]
            if late:
                consent = next(r for r in offer.responses if r.kind == "accepted")
                names = ", ".join(d.item.replace("_", " ") for d in late)
                add("DISCLOSURE_AFTER_CONSENT", f"{names} of {offer.product} stated only after the customer agreed", [consent.evidence, *(d.evidence for d in late)], offer.id)
            if recaps.get(offer.id) is None:
                add("NO_COST_RECAP", f"the cost of {offer.product} was not recapped after the customer agreed", [next(r for r in offer.responses if r.kind == "accepted").evidence], offer.id)

    total = sum(len(o.closes) for o in offers)
    if total > policy.max_closing_attempts:
        add(
            "EXCESSIVE_CLOSING_ATTEMPTS",
            f"{total} closing attempts, more than the maximum of {policy.max_closing_attempts}",
            [c for o in offers for c in o.closes],
        )
    for state in upset:
        if is_upset(state.score, policy.upset_threshold):
            offer = next(o for o in offers if o.id == state.offer_id)
            add(
                "OFFER_TO_UPSET_CUSTOMER",
                f"{offer.product} was offered while the customer was upset (sentiment {state.score:.2f})",
                [state.evidence, offer.evidence],
                offer.id,
            )
    return flags
