"""How sure each flag is, and which flags are too unsure to count: confidence and abstention.

A flag's confidence is the lower of two parts:

- the rule part: how firmly the deciding rule fired. A phrase rule that matched its phrase
  exactly is firm; one that matched only fuzzily (rapidfuzz partial ratio, nlp.phrases) is soft;
  a learned need-fit verdict, an embedding-similarity one or a sentiment score near the upset
  threshold is soft in proportion to how close it came to the line;
- the ASR part: the lowest word probability (Evidence.asr_min_prob) under the evidence the
  verdict rests on; a garbled amount counts as a low-probability word. Evidence without word
  probabilities (given transcripts, text-only evaluation) counts as confident (1.0).

A flag is `needs_review` when its rule part is under the policy's `review_threshold` or its ASR
part is under the policy's `asr_review_prob`; it then stays in the record, listed for a
reviewer, and the scorecard leaves it out. Per flag code (RESTS_ON is the same table as data):

| code | rests on | rule part |
|---|---|---|
| OFFER_WITHOUT_NEED | the offer | catalog 1.0; the need-fit model's P(no fit) p vs its line l: 0.5 + 0.5 * (p - l) / (1 - l); without the model: pivot phrase 0.9; no need stated 0.8; embedding similarity s: 0.5 + 0.5 * min(1, (min_similarity - s) / 0.15); fuzzy offer match at most 0.6 |
| EXCESSIVE_CLOSING_ATTEMPTS | the policy maximum + 1 surest closes | the (maximum + 1)-th surest close (exact 1.0, fuzzy 0.6) |
| CONTINUED_AFTER_DECLINE | the decline and the surest close after it | the lower of the two |
| MISSING_*_DISCLOSURE | the offer and the customer's yes | the offer's match |
| DISCLOSURE_AFTER_CONSENT | the yes and the surest late disclosure | the lower of the two |
| NO_COST_RECAP | the yes | 1.0 |
| OFFER_TO_UPSET_CUSTOMER | the upset turn and the offer | the upset model's P(upset) p of the turn's most upset sentence vs its line l (doubled before a retention offer): 0.5 + 0.5 * min(1, (p - l) / l); without the model, sentiment score s vs threshold t: 0.5 + 0.5 * min(1, (t - s) / 0.3); or, where only the turn-act model read a complaint in the customer's last turn, its score; fuzzy offer match at most 0.6 |
| SALE_WITHOUT_CONSENT | the offer and the booking | a booking phrase 1.0; a booking the turn-act model read: its score |

Every flag on an offer whose price was never stated, before or after any yes, has a rule part of at
most UNPRICED_OFFER, under the default review threshold, whatever decided it (nlp.flags.PRICE_BLIND
aside: the agent's own words that they booked it are the evidence of a sale, and so is asking again
after a no or past the policy's maximum: over 2,879 read held-out calls raising those two on unpriced
offers gave 6 true flags more and 1 false; pitching to a customer found upset, over 3,179 calls 2 true
more and no false; and an offer whose
price the agent played down instead of stating it, "just a small amount, you'll barely notice it",
rules/sales.yaml `price_minimised`: that is the hidden price MISSING_PRICE_DISCLOSURE is for). Such an "offer" is
more often something the reading mistook for one (a date, a pharmacy, a free setting, the order
the customer rang to place) than a sale: over 840 corpus calls (fourteen training styles scored by
models trained without each, twelve held-out styles), 7 of 59 flags on unpriced offers were right,
against 0.6 of the rest. A reviewer decides; the score does not.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

from nlp.evidence import Evidence
from nlp.phrases import PhraseRule, normalise

FUZZY_MATCH = 0.6  # a phrase rule that matched only fuzzily
PIVOT_PHRASE = 0.9  # need fit decided by a "by the way"-style pivot phrase
NO_NEED_STATED = 0.8  # the customer said nothing before the offer (roles or ASR may have lost it)
SIMILARITY_MARGIN = 0.15  # embedding similarity this far under the need-fit line is a firm "no fit"
UPSET_MARGIN = 0.3  # sentiment this far under the upset threshold is firmly upset
GARBLED_AMOUNT_PROB = 0.2  # what a garbled amount counts as, as a word probability
UNPRICED_OFFER = 0.5  # the most a flag on an offer with no price stated anywhere can be (module doc)

RESTS_ON: dict[str, str] = {
    "OFFER_WITHOUT_NEED": "the offer",
    "EXCESSIVE_CLOSING_ATTEMPTS": "the policy maximum + 1 surest closes",
    "CONTINUED_AFTER_DECLINE": "the decline and the surest close after it",
    "MISSING_PRICE_DISCLOSURE": "the offer and the customer's yes",
    "MISSING_RECURRING_CHARGE_DISCLOSURE": "the offer and the customer's yes",
    "MISSING_CANCELLATION_DISCLOSURE": "the offer and the customer's yes",
    "MISSING_CONTRACT_TERM_DISCLOSURE": "the offer and the customer's yes",
    "DISCLOSURE_AFTER_CONSENT": "the yes and the surest late disclosure",
    "NO_COST_RECAP": "the yes",
    "OFFER_TO_UPSET_CUSTOMER": "the upset turn and the offer",
    "SALE_WITHOUT_CONSENT": "the offer and the booking",
}


@dataclass(frozen=True)
class Confidence:
    """A flag's confidence: the rule part, the ASR part, and what lowered them."""

    rule: float
    asr: float
    basis: str = ""

    @property
    def value(self) -> float:
        return round(min(self.rule, self.asr), 3)

    def needs_review(self, review_threshold: float, asr_review_prob: float) -> bool:
        return self.rule < review_threshold or self.asr < asr_review_prob


@functools.lru_cache(maxsize=1)
def _phrase_rules() -> dict[str, PhraseRule]:
    """Every fuzzy-capable phrase rule by id (the sales rules: offers, closes, recaps, disclosures)."""
    from nlp.sales import sales_rules

    rules = sales_rules()
    found = [*rules.offer, *rules.close, *rules.recap, *(r for rs, _ in rules.disclosures.values() for r in rs)]
    return {r.id: r for r in found}


def match_confidence(evidence: Evidence | None) -> float:
    """1.0 when the evidence's phrase rule holds exactly on its quote, FUZZY_MATCH when only fuzzily."""
    if evidence is None:
        return 1.0
    rule = _phrase_rules().get(evidence.rule)
    if rule is None or not rule.fuzzy or rule.whole_segment:
        return 1.0
    exact = replace(rule, fuzzy=False)
    return 1.0 if exact.match(normalise(evidence.quote)) is not None else FUZZY_MATCH


def asr_confidence(evidence: Evidence | None) -> float:
    """The lowest word probability under the evidence (1.0 when unknown); a garbled amount is low."""
    if evidence is None:
        return 1.0
    prob = 1.0 if evidence.asr_min_prob is None else evidence.asr_min_prob
    if evidence.garbled_amount:
        prob = min(prob, GARBLED_AMOUNT_PROB)
    return prob


def evidence_confidence(evidence: Evidence | None) -> float:
    return min(match_confidence(evidence), asr_confidence(evidence))


def surest(evidence: list[Evidence], n: int = 1) -> list[Evidence]:
    """The n pieces of evidence with the highest confidence (a verdict that needs only n of them)."""
    return sorted(evidence, key=evidence_confidence, reverse=True)[:n]


def margin_confidence(distance: float, margin: float) -> float:
    """0.5 on the line, rising to 1.0 at `margin` past it (distance is how far past the line)."""
    return round(0.5 + 0.5 * max(0.0, min(1.0, distance / margin)), 3)


def need_fit_confidence(rule: str, min_similarity: float) -> tuple[float, str]:
    """The rule part of an OFFER_WITHOUT_NEED verdict from the deciding need-fit rule."""
    if rule.startswith("NEEDFIT-SIMILARITY:"):
        similarity = float(rule.split(":", 1)[1])
        return margin_confidence(min_similarity - similarity, SIMILARITY_MARGIN), f"embedding similarity {similarity:.2f} vs {min_similarity:.2f}"
    if rule.startswith("need-fit-"):
        # the learned need-fit model: "<id>@<data>:<P(no fit)>:<line>", 0.5 on its line
        _, unfit, line = rule.rsplit(":", 2)
        return margin_confidence(float(unfit) - float(line), 1.0 - float(line)), f"need-fit model P(no fit) {float(unfit):.2f} vs {float(line):.2f}"
    if rule == "NEEDFIT-NO-NEED-STATED":
        return NO_NEED_STATED, "no customer turn before the offer"
    if rule == "NEEDFIT-CATALOG":
        return 1.0, ""
    return PIVOT_PHRASE, f"pivot phrase {rule}"


def assess(rule: float, rests_on: list[Evidence | None], basis: str = "") -> Confidence:
    """A flag's confidence from its rule part and the evidence it rests on."""
    pieces = [e for e in rests_on if e is not None]
    fuzzy = [e for e in pieces if match_confidence(e) < 1.0]
    rule_part = min([rule, *(match_confidence(e) for e in pieces)])
    asr_part = min([1.0, *(asr_confidence(e) for e in pieces)])
    notes = [basis] if basis else []
    if fuzzy:
        notes.append("fuzzy match: " + ", ".join(sorted({e.rule for e in fuzzy})))
    if asr_part < 1.0:
        low = min(pieces, key=asr_confidence)
        notes.append("garbled amount" if low.garbled_amount else f"lowest word probability {asr_part:.2f}")
    return Confidence(round(rule_part, 3), round(asr_part, 3), "; ".join(notes))


def unpriced(sure: Confidence) -> Confidence:
    """A flag's confidence when the offer it rests on was never given a price (module doc)."""
    note = "no price stated for the offer anywhere in the call"
    return Confidence(min(sure.rule, UNPRICED_OFFER), sure.asr, "; ".join(n for n in (sure.basis, note) if n))


def transcript_quality(words_probs: list[float], low_prob: float) -> dict | None:
    """Per-call transcription quality: mean word probability, share of words under `low_prob`,
    word count; None when the transcript has no word probabilities (then it counts as confident)."""
    if not words_probs:
        return None
    low = sum(1 for p in words_probs if p < low_prob)
    return {
        "mean_word_prob": round(sum(words_probs) / len(words_probs), 3),
        "low_confidence_share": round(low / len(words_probs), 3),
        "words": len(words_probs),
    }
