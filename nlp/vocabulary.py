"""callqa's vocabulary: the names every layer shares, defined once.

Flag codes (with severity and a one-line description), disclosure items and statuses, roles,
offer kinds, customer responses, the default need taxonomy. The analysis, the record contract,
the store, the review app, the corpus validators and the sample renderer all import these;
adding a flag means its rule plus one line in FLAGS. Plain data only: importing this module
loads nothing heavy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Role = Literal["agent", "customer"]
ROLES: tuple[Role, ...] = get_args(Role)
Speaker = Literal["agent", "customer", "unknown"]  # "unknown": a mono piece no cue could place
SPEAKERS: tuple[Speaker, ...] = get_args(Speaker)

DisclosureItem = Literal["price", "recurring_charge", "cancellation_terms", "contract_term", "restrictions"]
DISCLOSURE_ITEMS: tuple[DisclosureItem, ...] = get_args(DisclosureItem)
DisclosureStatus = Literal["disclosed_before_consent", "disclosed_after_consent", "missing", "not_applicable"]
DISCLOSURE_STATUSES: tuple[DisclosureStatus, ...] = get_args(DisclosureStatus)

OfferKind = Literal["upsell", "cross_sell", "retention"]
OFFER_KINDS: tuple[OfferKind, ...] = get_args(OfferKind)
Response = Literal["accepted", "declined", "undecided"]
RESPONSES: tuple[Response, ...] = get_args(Response)
SentimentLabel = Literal["negative", "neutral", "positive"]
SENTIMENT_LABELS: tuple[SentimentLabel, ...] = get_args(SentimentLabel)
RecordStatus = Literal["scored", "failed"]
RECORD_STATUSES: tuple[RecordStatus, ...] = get_args(RecordStatus)
Severity = Literal["info", "low", "medium", "high"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
FlagStatus = Literal["raised", "needs_review"]  # needs_review: too unsure to count in the score
FLAG_STATUSES: tuple[FlagStatus, ...] = get_args(FlagStatus)
ScoreResult = Literal["pass", "fail", "na"]
SCORE_RESULTS: tuple[ScoreResult, ...] = get_args(ScoreResult)

# The default need taxonomy (a policy may bring its own).
DEFAULT_NEEDS: tuple[str, ...] = (
    "billing", "technical_support", "cancel_service", "new_purchase", "upgrade_plan",
    "account_change", "complaint", "general_inquiry",
)


@dataclass(frozen=True)
class FlagSpec:
    code: str
    severity: Severity
    description: str  # one line, for reviewers and the README


FLAGS: tuple[FlagSpec, ...] = (
    FlagSpec("OFFER_WITHOUT_NEED", "medium", "an offer that serves no need the customer stated"),
    FlagSpec("EXCESSIVE_CLOSING_ATTEMPTS", "medium", "more closing attempts in the call than the policy maximum"),
    FlagSpec("CONTINUED_AFTER_DECLINE", "high", "a closing attempt on an offer after the customer declined it"),
    FlagSpec("MISSING_PRICE_DISCLOSURE", "high", "an accepted offer whose price was never stated before the yes"),
    FlagSpec("MISSING_RECURRING_CHARGE_DISCLOSURE", "high", "an accepted offer whose recurring charge was never stated before the yes"),
    FlagSpec("MISSING_CANCELLATION_DISCLOSURE", "medium", "an accepted offer whose cancellation terms were never stated before the yes"),
    FlagSpec("MISSING_CONTRACT_TERM_DISCLOSURE", "medium", "an accepted offer whose contract term was never stated before the yes"),
    FlagSpec("DISCLOSURE_AFTER_CONSENT", "high", "costs or terms of an accepted offer stated only after the customer agreed"),
    FlagSpec("OFFER_TO_UPSET_CUSTOMER", "high", "an offer made while the customer was upset or complaining"),
    FlagSpec("NO_COST_RECAP", "low", "an accepted offer whose cost was not restated after the yes"),
    FlagSpec("SALE_WITHOUT_CONSENT", "high", "a product booked or added without the customer's yes"),
)
FLAG_CODES: tuple[str, ...] = tuple(f.code for f in FLAGS)
FlagCode = Literal[FLAG_CODES]  # type: ignore[valid-type]  # the same names, for pydantic validation
SEVERITY: dict[str, Severity] = {f.code: f.severity for f in FLAGS}
# The flag an accepted offer raises when a required item was never stated (no flag for restrictions).
MISSING_FLAG: dict[str, str] = {
    "price": "MISSING_PRICE_DISCLOSURE",
    "recurring_charge": "MISSING_RECURRING_CHARGE_DISCLOSURE",
    "cancellation_terms": "MISSING_CANCELLATION_DISCLOSURE",
    "contract_term": "MISSING_CONTRACT_TERM_DISCLOSURE",
}

