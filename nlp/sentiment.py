"""Sentiment per segment and per role: how the customer (and the agent) felt, and when.

Every segment gets a score in [-1, 1] and a label; each role gets its state at the start and
end of the call, its lowest point and its state just before the first offer (the policy's
OFFER_TO_UPSET_CUSTOMER reads that one).

Scoring a segment has three steps, the same whatever model reads the text:
1. A segment made only of back-channels ("okay", "yeah", "uh huh") is neutral: it says the
   line is open, not how anyone feels.
2. Stock courtesy ("thank you for calling", "i'm sorry to hear that") is cut out and scored
   at a fixed, small value from rules/sentiment_anchors.yaml, weighted by the share of the
   segment it takes: scripted politeness must not make an agent look elated, nor a scripted
   apology make them look upset.
3. The rest is read by a scorer. The default, offline one mixes two readings:
   - VADER's compound score, with back-channels and transactional words ("charged",
     "credit", "cancel", "free") taken out of its lexicon: in a billing call they name the
     subject, not the mood;
   - embedding anchors: the segment's all-MiniLM-L6-v2 embedding (long turns: one per piece
     of about 10 words, pooled by strength) is compared with example utterances per
     polarity; the mean of the two best similarities per polarity goes through a softmax
     (temperature 0.05) and P(positive) - P(negative) is the reading, shrunk towards 0 when
     the text is far from every anchor (max similarity below 0.25 gives 0, above 0.5 full
     strength), since then the anchors do not know what it is.
   score = 0.35 * vader + 0.65 * anchors. The anchors get more weight because VADER misses
   most contact-centre anger ("i've been on hold for an hour", "you people keep overcharging
   me" score 0) and is fooled by politeness; VADER stays because it reads intensifiers and
   negation that one embedding blurs.
   With `SentimentConfig.model_dir` a Hugging Face sequence-classification model on disk
   reads the text instead (the same normalised, lower-case text): the expected polarity
   under its label probabilities.
A segment's score is then share * formula value + (1 - share) * reading.

The weights, temperature and anchor floor were checked on the 12 labelled calls in
audio_samples/ (start/end labels per role: 36 of 48 right; the misses are mostly agents the
labels call positive for their tone of voice, which text cannot hear) and on the rules
file's examples; results were flat across temperature 0.05-0.1 and floor 0.25-0.3.

Role states weigh short segments less (a one-word "great" is real but thin evidence): a
segment counts fully from `full_weight_words` words, proportionally below.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nlp.parse import ParsedCall
from nlp.sentiment_rules import (
    BACKCHANNEL_RULE,
    EDGE_SEGMENTS,
    EMPTY_RULE,
    ROLES,
    Label,
    Role,
    SentimentConfig,
    SentimentModelError,
    SentimentRules,
    load_rules,
    prepare,
)
from nlp.sentiment_scorers import Scorer, make_scorer
from nlp.transcript import Segment

__all__ = ["SentimentConfig", "SentimentModelError", "SentimentFinding", "is_upset", "score_sentiment", "state_before"]


def label_for(score: float, neutral_band: float) -> Label:
    if score > neutral_band:
        return "positive"
    if score < -neutral_band:
        return "negative"
    return "neutral"


def is_upset(score: float, threshold: float) -> bool:
    """Whether a sentiment score counts as upset under a policy threshold (e.g. -0.3)."""
    return score <= threshold


@dataclass(frozen=True)
class SegmentSentiment:
    segment_id: str
    speaker: str
    start: float
    end: float
    score: float
    label: Label
    weight: float  # in role states: short segments count less
    substantive: bool  # False for back-channels and empty segments
    rule: str  # what decided: nearest anchor group, formula id, back-channel, or the HF model

    def to_dict(self) -> dict:
        return {"segment_id": self.segment_id, "label": self.label, "score": round(self.score, 3), "rule": self.rule}


@dataclass(frozen=True)
class RoleState:
    score: float
    label: Label
    segment_id: str  # the segment that weighs most in the state
    segment_ids: tuple[str, ...]  # all segments it averages

    def to_dict(self) -> dict:
        return {"score": round(self.score, 3), "label": self.label, "segment_id": self.segment_id, "segment_ids": list(self.segment_ids)}


def _state(segments: list[SegmentSentiment], neutral_band: float) -> RoleState | None:
    if not segments:
        return None
    total = sum(s.weight for s in segments)
    score = sum(s.weight * s.score for s in segments) / total
    lead = max(segments, key=lambda s: s.weight * abs(s.score))  # first one wins a tie
    return RoleState(score, label_for(score, neutral_band), lead.segment_id, tuple(s.segment_id for s in segments))


def _edge(segments: list[SegmentSentiment]) -> list[SegmentSentiment]:
    """The first 1-2 substantive segments of `segments`: a second joins while weight is short of one."""
    picked: list[SegmentSentiment] = []
    candidates = [s for s in segments if s.substantive] or segments[:1]
    for s in candidates:
        picked.append(s)
        if len(picked) == EDGE_SEGMENTS or sum(p.weight for p in picked) >= 1.0:
            break
    return picked


@dataclass(frozen=True)
class RoleSentiment:
    role: Role
    segments: tuple[SegmentSentiment, ...]
    start: RoleState | None
    end: RoleState | None
    min: RoleState | None
    at_first_offer: RoleState | None

    def to_dict(self) -> dict:
        def d(state: RoleState | None) -> dict | None:
            return state.to_dict() if state else None

        return {
            "start": d(self.start),
            "end": d(self.end),
            "min": d(self.min),
            "at_first_offer": d(self.at_first_offer),
            "segments": [s.to_dict() for s in self.segments],
        }


def state_before(segments: tuple[SegmentSentiment, ...], time: float, neutral_band: float) -> RoleState | None:
    """The state from the last 1-2 substantive segments that started before `time`.

    Strictly before: the segment that holds the offer is the offer, not the mood it met.
    """
    before = [s for s in segments if s.start < time]
    return _state(list(reversed(_edge(list(reversed(before))))), neutral_band)


def role_sentiment(role: Role, segments: tuple[SegmentSentiment, ...], first_offer_time: float | None, band: float) -> RoleSentiment:
    ordered = list(segments)
    substantive = [s for s in ordered if s.substantive] or ordered
    # Short segments count less for the low point too: a one-word "ugh" is not the call's nadir.
    lowest = min(substantive, key=lambda s: s.weight * s.score) if substantive else None
    return RoleSentiment(
        role=role,
        segments=segments,
        start=_state(_edge(ordered), band),
        end=_state(list(reversed(_edge(list(reversed(ordered))))), band),
        min=_state([lowest], band) if lowest else None,
        at_first_offer=state_before(segments, first_offer_time, band) if first_offer_time is not None else None,
    )


@dataclass(frozen=True)
class SentimentFinding:
    agent: RoleSentiment
    customer: RoleSentiment
    model: str
    neutral_band: float
    segments: tuple[SegmentSentiment, ...] = field(default_factory=tuple)  # every segment, speakers "unknown" too

    def role(self, role: Role) -> RoleSentiment:
        return self.agent if role == "agent" else self.customer

    def segment(self, segment_id: str) -> SegmentSentiment:
        for s in self.segments:
            if s.segment_id == segment_id:
                return s
        raise KeyError(segment_id)

    def lowest_before(self, time: float, role: Role, last: int | None = None) -> SegmentSentiment | None:
        """How the party felt when something was said at `time`: its lowest-scoring segment
        among its last `last` segments that started before then (all of them when None); None
        when it had not spoken yet. The one definition of "upset before an offer"."""
        before = [s for s in self.role(role).segments if s.start < time]
        recent = before if last is None else before[-last:]
        return min(recent, key=lambda s: s.score) if recent else None

    def state_before(self, time: float, role: Role) -> RoleState | None:
        """The role's state just before `time` (e.g. any offer, not only the first)."""
        return state_before(self.role(role).segments, time, self.neutral_band)

    def to_dict(self) -> dict:
        return {"agent": self.agent.to_dict(), "customer": self.customer.to_dict(), "model": self.model}


def _segment_sentiments(segments: tuple[Segment, ...], scorer: Scorer, rules: SentimentRules, config: SentimentConfig) -> tuple[SegmentSentiment, ...]:
    prepared = [prepare(s.text, s.speaker, rules) for s in segments]
    to_read = [i for i, p in enumerate(prepared) if p.text]
    readings = dict(zip(to_read, scorer.score([prepared[i].text for i in to_read])))  # one batch per call
    out = []
    for i, (segment, p) in enumerate(zip(segments, prepared)):
        if p.backchannel or p.words == 0:
            score, rule = 0.0, BACKCHANNEL_RULE if p.words else EMPTY_RULE
        elif i in readings:
            read, rule = readings[i]
            score = p.formula_share * p.formula_value + (1.0 - p.formula_share) * read
            rule = rule if p.formula_share < 0.5 else p.formula_ids[0]
        else:
            score, rule = p.formula_value, p.formula_ids[0]
        weight = min(1.0, p.words / config.full_weight_words)
        substantive = not p.backchannel and p.words > 0
        out.append(
            SegmentSentiment(segment.id, segment.speaker, segment.start, segment.end, score, label_for(score, config.neutral_band), weight, substantive, rule)
        )
    return tuple(out)


def score_sentiment(parsed: ParsedCall, first_offer_time: float | None, config: SentimentConfig = SentimentConfig()) -> SentimentFinding:
    """Sentiment of every segment and of each role; `first_offer_time` in seconds, None without offers."""
    rules = load_rules(config.rules_file)
    scorer = make_scorer(config)
    scored = _segment_sentiments(parsed.segments, scorer, rules, config)
    band = config.neutral_band
    by_role = {role: tuple(s for s in scored if s.speaker == role) for role in ROLES}
    return SentimentFinding(
        agent=role_sentiment("agent", by_role["agent"], first_offer_time, band),
        customer=role_sentiment("customer", by_role["customer"], first_offer_time, band),
        model=scorer.name,
        neutral_band=band,
        segments=scored,
    )
