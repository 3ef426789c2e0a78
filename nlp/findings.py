"""What the analysis returns for one call: typed, frozen, in the record's shape (schema v1).

The stages keep their own working types; `analyse` ends by turning them into these parts, and
the record contract (callqa.record) holds them as they are. They become JSON only where the
record is written (nlp.contract.dump).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nlp.contract import OMIT_NONE
from nlp.evidence import Evidence
from nlp.vocabulary import DisclosureItem, DisclosureStatus, FlagStatus, OfferKind, Response, ScoreResult, SentimentLabel, Severity


@dataclass(frozen=True, kw_only=True)
class NeedPart:
    label: str
    confidence: float
    evidence: Evidence | None
    scores: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class DisclosurePart:
    status: DisclosureStatus
    evidence: Evidence | None


@dataclass(frozen=True, kw_only=True)
class OfferPart:
    id: str
    product: str
    kind: OfferKind
    need_fit: bool
    need_fit_rule: str | None = None
    customer_response: Response
    response_evidence: Evidence | None = None
    consent_time: float | None = None
    start: float
    evidence: Evidence
    closing_attempts: tuple[Evidence, ...]
    closing_attempts_after_decline: int = 0
    disclosures: dict[DisclosureItem, DisclosurePart]
    cost_recap: Evidence | None = None
    # the agent booked it before any yes (SALE_WITHOUT_CONSENT); left out of the JSON when none
    booked_without_consent: tuple[Evidence, ...] | None = field(default=None, metadata=OMIT_NONE)
    # the phrase the learned product scorer chose, with its id and probability; left out when a
    # catalog name or no phrase named the product
    product_evidence: Evidence | None = field(default=None, metadata=OMIT_NONE)


@dataclass(frozen=True)
class ClosingAttempts:
    total: int
    after_decline: int


@dataclass(frozen=True)
class SentimentState:
    score: float
    label: SentimentLabel
    segment_id: str  # the segment that weighs most in the state
    segment_ids: tuple[str, ...]


@dataclass(frozen=True)
class SegmentSentimentPart:
    segment_id: str
    label: SentimentLabel
    score: float
    rule: str


@dataclass(frozen=True, kw_only=True)
class RoleSentimentPart:
    start: SentimentState | None = None
    end: SentimentState | None = None
    min: SentimentState | None = None
    at_first_offer: SentimentState | None = None
    segments: tuple[SegmentSentimentPart, ...] = ()


@dataclass(frozen=True)
class SentimentPart:
    agent: RoleSentimentPart
    customer: RoleSentimentPart
    model: str


@dataclass(frozen=True)
class FlagPart:
    code: str
    severity: Severity
    message: str
    offer_id: str | None
    evidence: tuple[Evidence, ...]
    # raised: counts in the score; needs_review: confidence under the policy's review_threshold,
    # listed for a reviewer and left out of the score. Records written before these fields were
    # added read as raised with confidence 1.
    status: FlagStatus = "raised"
    confidence: float = 1.0
    confidence_basis: str | None = field(default=None, metadata=OMIT_NONE)  # what lowered it, for reviewers


@dataclass(frozen=True)
class FlagEvidence:
    """A score item's evidence: the evidence of a flag that failed it, with the flag's code."""

    flag: str
    segment_id: str
    speaker: str
    start: float
    end: float
    quote: str
    rule: str
    asr_min_prob: float | None = field(default=None, metadata=OMIT_NONE)
    garbled_amount: bool | None = field(default=None, metadata=OMIT_NONE)
    model_score: float | None = field(default=None, metadata=OMIT_NONE)


@dataclass(frozen=True)
class ScoreItemPart:
    id: str
    question: str
    result: ScoreResult
    weight: float
    auto_fail: bool
    evidence: tuple[FlagEvidence, ...]


@dataclass(frozen=True)
class ScorePart:
    value: float | None
    items: tuple[ScoreItemPart, ...]


@dataclass(frozen=True)
class AnalysisInfo:
    """Which policy, rules and models produced the findings, and how long it took."""

    policy: str
    policy_hash: str
    rules_hash: str
    nlp_models: dict[str, str | None]
    seconds: float


@dataclass(frozen=True)
class TranscriptQualityPart:
    """How sure the ASR was over the whole call (absent when the transcript has no word probabilities)."""

    mean_word_prob: float
    low_confidence_share: float  # share of words under the policy's asr_review_prob
    words: int


@dataclass(frozen=True)
class CallAnalysis:
    need: NeedPart
    offers: tuple[OfferPart, ...]
    closing_attempts: ClosingAttempts
    sentiment: SentimentPart
    flags: tuple[FlagPart, ...]
    score: ScorePart
    info: AnalysisInfo = field(compare=False)
    transcript_quality: TranscriptQualityPart | None = None
    quality_warning: str | None = None  # set when the call is under the policy's min_transcript_quality

    @property
    def needs_review(self) -> tuple[FlagPart, ...]:
        return tuple(f for f in self.flags if f.status == "needs_review")
