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

import functools
import hashlib
import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from rapidfuzz import fuzz

from nlp.parse import ParsedCall
from nlp.phrases import FUZZY_CUTOFF, FUZZY_MIN_CHARS, RuleFileError, load_rule_file, normalise, parse_rules, rules_path
from nlp.transcript import Segment

Label = Literal["negative", "neutral", "positive"]
Role = Literal["agent", "customer"]
ROLES: tuple[Role, ...] = ("agent", "customer")
POLARITIES: tuple[Label, ...] = ("negative", "neutral", "positive")
# "the first 1-2 substantive segments": a second one joins only when the first is short.
EDGE_SEGMENTS = 2
BACKCHANNEL_RULE = "SA-BACKCHANNEL"
EMPTY_RULE = "SA-EMPTY"


class SentimentModelError(RuntimeError):
    """A configured sentiment model cannot be loaded or its labels cannot be read as polarity."""


@dataclass(frozen=True)
class SentimentConfig:
    model_dir: Path | None = None  # a HF sequence-classification model dir; replaces the default scorer
    neutral_band: float = 0.15  # |score| up to this is neutral
    vader_weight: float = 0.35  # the anchors get the rest
    anchor_temperature: float = 0.05
    anchor_floor: float = 0.25  # max anchor similarity at or below this: the anchors abstain
    anchor_full: float = 0.5  # ... at or above this: they count fully
    full_weight_words: int = 6  # segments this long count fully in role states
    window_words: int = 10  # long segments meet the anchors in windows of this many words
    batch_size: int = 32  # HF model batch
    max_tokens: int = 128  # HF model input truncation
    rules_file: Path | None = None  # default: the packaged rules/sentiment_anchors.yaml

    def __post_init__(self) -> None:
        if not 0.0 <= self.neutral_band < 1.0:
            raise ValueError(f"neutral_band must be in [0, 1), not {self.neutral_band}")
        if not 0.0 <= self.vader_weight <= 1.0:
            raise ValueError(f"vader_weight must be in [0, 1], not {self.vader_weight}")
        if self.anchor_temperature <= 0.0:
            raise ValueError(f"anchor_temperature must be positive, not {self.anchor_temperature}")
        if not 0.0 <= self.anchor_floor < self.anchor_full <= 1.0:
            raise ValueError(f"need 0 <= anchor_floor < anchor_full <= 1, got {self.anchor_floor}, {self.anchor_full}")
        if self.full_weight_words < 1 or self.batch_size < 1 or self.window_words < 2 or self.max_tokens < 8:
            raise ValueError("full_weight_words and batch_size must be >= 1, window_words >= 2, max_tokens >= 8")
        if self.model_dir is not None and not Path(self.model_dir).is_dir():
            raise SentimentModelError(f"sentiment model_dir {self.model_dir} is not a directory")


# ---------------------------------------------------------------- rules


@dataclass(frozen=True)
class Formula:
    id: str
    value: float
    phrases: tuple[str, ...]  # normalised, longest first so "thank you so much" wins over "thank you"
    roles: frozenset[str]


@dataclass(frozen=True)
class SentimentRules:
    backchannels: frozenset[str]  # normalised phrases of one to three words
    formulas: tuple[Formula, ...]
    anchors: tuple[tuple[str, Label, str], ...]  # (group id, polarity, normalised phrase)
    lexicon_neutral: frozenset[str]  # words VADER must not read as sentiment here
    digest: str  # of the file, for the model name in the record


@functools.lru_cache(maxsize=4)
def load_rules(path: Path | None = None) -> SentimentRules:
    path = path or rules_path("sentiment_anchors.yaml")
    data = load_rule_file(path)
    backchannels = frozenset(normalise(str(b)) for b in data.get("backchannels") or [])
    formulas = []
    for rule in parse_rules(data.get("formulas"), f"{path}:formulas"):
        entry = next(e for e in data["formulas"] if str(e["id"]) == rule.id)
        roles = entry.get("roles") or list(ROLES)
        value = entry.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not -1.0 <= value <= 1.0:
            raise RuleFileError(f"{path}:formulas {rule.id}: needs a numeric value in [-1, 1]")
        if not set(roles) <= set(ROLES):
            raise RuleFileError(f"{path}:formulas {rule.id}: roles must be among {ROLES}, not {roles}")
        formulas.append(Formula(rule.id, float(value), tuple(sorted(rule.phrases, key=len, reverse=True)), frozenset(roles)))
    anchors_data = data.get("anchors")
    if not isinstance(anchors_data, dict) or set(anchors_data) != set(POLARITIES):
        raise RuleFileError(f"{path}: anchors needs exactly the groups {POLARITIES}")
    anchors = tuple(
        (rule.id, polarity, phrase)
        for polarity in POLARITIES
        for rule in parse_rules(anchors_data[polarity], f"{path}:anchors.{polarity}")
        for phrase in rule.phrases
    )
    lexicon = frozenset(normalise(w) for rule in parse_rules(data.get("lexicon_neutral"), f"{path}:lexicon_neutral") for w in rule.phrases)
    return SentimentRules(backchannels, tuple(formulas), anchors, lexicon, hashlib.sha256(path.read_bytes()).hexdigest()[:8])


# ---------------------------------------------------------------- preparing segment text


@dataclass(frozen=True)
class Prepared:
    """What is left of a segment for a scorer, and what the rules already decided."""

    text: str  # normalised, formulas cut out; "" when nothing is left to read
    backchannel: bool
    formula_share: float  # of the segment's characters
    formula_value: float
    formula_ids: tuple[str, ...]
    words: int


def is_backchannel(text: str, backchannels: frozenset[str]) -> bool:
    """Whether normalised `text` is nothing but back-channel phrases ("oh okay", "uh huh yeah")."""
    tokens = text.split()
    i = 0
    while i < len(tokens):
        for n in (3, 2, 1):
            if " ".join(tokens[i : i + n]) in backchannels:
                i += n
                break
        else:
            return False
    return bool(tokens)


def _find(phrase: str, text: str) -> tuple[int, int] | None:
    # Same matching policy as nlp.phrases: short phrases whole-word exact, longer ones fuzzy,
    # because Whisper writes "thank you for calling" in several ways.
    if len(phrase) < FUZZY_MIN_CHARS:
        found = re.search(rf"\b{re.escape(phrase)}\b", text)
        return found.span() if found else None
    if len(text) < len(phrase):
        return None
    found = fuzz.partial_ratio_alignment(phrase, text, score_cutoff=FUZZY_CUTOFF)
    if found is None:
        return None
    start, end = found.dest_start, found.dest_end
    # Widen to whole words: the alignment can stop inside one.
    while start > 0 and text[start - 1] not in " |":
        start -= 1
    while end < len(text) and text[end] not in " |":
        end += 1
    return start, end


def prepare(text: str, speaker: str, rules: SentimentRules) -> Prepared:
    norm = normalise(text)
    words = len(norm.split())
    if not norm or is_backchannel(norm, rules.backchannels):
        return Prepared("", True, 0.0, 0.0, (), words)
    masked, covered, weighted, ids = norm, 0, 0.0, []
    for formula in rules.formulas:
        if speaker not in formula.roles:
            continue
        for phrase in formula.phrases:
            span = _find(phrase, masked)
            while span is not None and masked[span[0] : span[1]].strip("| "):  # "|" keeps offsets, blocks rematches
                length = sum(1 for ch in masked[span[0] : span[1]] if ch != "|")
                masked = masked[: span[0]] + "|" * (span[1] - span[0]) + masked[span[1] :]
                covered += length
                weighted += formula.value * length
                if formula.id not in ids:
                    ids.append(formula.id)
                span = _find(phrase, masked)
    rest = " ".join(w for w in masked.replace("|", " ").split())
    if not ids:
        return Prepared(norm, False, 0.0, 0.0, (), words)
    value = weighted / covered
    if not rest or is_backchannel(rest, rules.backchannels):
        return Prepared("", False, 1.0, value, tuple(ids), words)
    return Prepared(rest, False, covered / (covered + len(rest)), value, tuple(ids), words)


# ---------------------------------------------------------------- scorers


class Scorer(Protocol):
    name: str

    def score(self, texts: list[str]) -> list[tuple[float, str]]:
        """(score in [-1, 1], id of what decided it) per text, all texts in one batch."""
        ...


@functools.lru_cache(maxsize=4)
def _vader(lexicon_neutral: frozenset[str]):
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    for word in lexicon_neutral:
        analyzer.lexicon.pop(word, None)
    return analyzer


@functools.lru_cache(maxsize=4)
def _anchor_matrix(anchors: tuple[tuple[str, Label, str], ...]) -> np.ndarray:
    from models.embeddings import embed

    return embed([phrase for _, _, phrase in anchors])


class VaderAnchorScorer:
    """VADER (domain-trimmed lexicon) mixed with similarity to anchor utterances; see the module doc."""

    def __init__(self, rules: SentimentRules, config: SentimentConfig) -> None:
        from models.embeddings import model_name

        self.rules, self.config = rules, config
        self.analyzer = _vader(rules.lexicon_neutral)
        self.anchors = _anchor_matrix(rules.anchors)
        self.polarity_of = np.array([POLARITIES.index(p) for _, p, _ in rules.anchors])
        self.name = f"vader+anchors ({model_name()}, sentiment_anchors@{rules.digest}, vader_weight={config.vader_weight})"

    def anchor_scores(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Anchor reading per row, and the index of the nearest anchor."""
        sims = embeddings @ self.anchors.T
        per_polarity = np.stack(
            [np.sort(sims[:, self.polarity_of == p], axis=1)[:, -2:].mean(axis=1) for p in range(len(POLARITIES))], axis=1
        )
        logits = per_polarity / self.config.anchor_temperature
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        c = self.config
        confidence = np.clip((sims.max(axis=1) - c.anchor_floor) / (c.anchor_full - c.anchor_floor), 0.0, 1.0)
        return (probs[:, 2] - probs[:, 0]) * confidence, sims.argmax(axis=1)

    def score(self, texts: list[str]) -> list[tuple[float, str]]:
        from models.embeddings import embed

        if not texts:
            return []
        pieces = [windows(text, self.config.window_words) for text in texts]
        flat = [w for ws in pieces for w in ws]
        readings, nearest = self.anchor_scores(embed(flat))  # the whole call in one batch
        w = self.config.vader_weight
        out, at = [], 0
        for text, ws in zip(texts, pieces):
            r = readings[at : at + len(ws)]
            strongest = at + int(np.abs(r).argmax())
            # Pool the windows by |reading|: one furious sentence in a long turn is the news,
            # the neutral account talk around it should not average it away.
            anchor = float((r * np.abs(r)).sum() / np.abs(r).sum()) if np.abs(r).sum() > 0 else 0.0
            at += len(ws)
            v = self.analyzer.polarity_scores(text)["compound"]
            out.append((float(np.clip(w * v + (1.0 - w) * anchor, -1.0, 1.0)), self.rules.anchors[nearest[strongest]][0]))
        return out


def windows(text: str, size: int) -> list[str]:
    """`text` cut into even, non-overlapping pieces of about `size` words; whole up to 1.5 x size.

    Anchors are short utterances; a long turn embedded whole blurs its one angry sentence
    into the account talk around it. Pieces of words, not sentences: ASR text may have no
    punctuation. No overlap: the embedding model's time grows with the tokens it reads.
    """
    words = text.split()
    if len(words) <= size * 3 // 2:
        return [text]
    n = -(-len(words) // size)  # pieces
    cuts = [len(words) * k // n for k in range(n + 1)]
    return [" ".join(words[a:b]) for a, b in zip(cuts, cuts[1:])]


_LABEL_NAMES: dict[str, float] = {
    "negative": -1.0, "neg": -1.0, "neutral": 0.0, "neu": 0.0, "positive": 1.0, "pos": 1.0,
    "very negative": -1.0, "very positive": 1.0,
}  # fmt: skip
_STARS = re.compile(r"^([1-5])\s*stars?$")
_GENERIC = re.compile(r"^label_(\d+)$")


def label_polarities(id2label: dict[int, str]) -> tuple[float, ...]:
    """The polarity in [-1, 1] of each class id of a classifier, or SentimentModelError.

    Understands negative/neutral/positive (and neg/neu/pos, "very ..." five-way scales),
    1-5 stars, and LABEL_0..LABEL_n for two (neg, pos) or three (neg, neu, pos) classes.
    """
    try:
        by_id = {int(i): str(name) for i, name in id2label.items()}  # config.json files may key by string
    except (TypeError, ValueError):
        by_id = {}
    ids = sorted(by_id)
    if not ids or ids != list(range(len(ids))) or len(ids) < 2:
        raise SentimentModelError(f"cannot read the labels {id2label} as sentiment: need class ids 0..n-1 with n >= 2")
    raw = [by_id[i].strip().lower() for i in ids]
    names = [n.replace("_", " ").replace("-", " ") for n in raw]
    if all(_GENERIC.match(n) for n in raw) and len(ids) in (2, 3):
        return (-1.0, 1.0) if len(ids) == 2 else (-1.0, 0.0, 1.0)
    if all(_STARS.match(n) for n in names):
        return tuple((int(n[0]) - 3) / 2 for n in names)
    if all(n in _LABEL_NAMES for n in names):
        # On a five-way scale plain "negative"/"positive" sit halfway to the "very" ends.
        half = 0.5 if any(n.startswith("very ") for n in names) else 1.0
        return tuple(_LABEL_NAMES[n] * (1.0 if n.startswith("very ") else half) for n in names)
    raise SentimentModelError(
        f"cannot read the labels {sorted(id2label.values())} as sentiment: expected negative/neutral/positive "
        "(or neg/neu/pos), LABEL_0..LABEL_2, or 1-5 stars"
    )


@functools.lru_cache(maxsize=2)
def _load_hf(model_dir: str):
    try:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(model_dir, local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:  # missing files, unknown model type, no tokenizer
        raise SentimentModelError(f"cannot load a sequence-classification model from {model_dir}: {exc}") from exc
    model.eval()
    return tokenizer, model, label_polarities(model.config.id2label)


class HFScorer:
    """A local Hugging Face classifier: the expected polarity under its class probabilities."""

    def __init__(self, model_dir: Path, config: SentimentConfig) -> None:
        self.tokenizer, self.model, polarities = _load_hf(str(model_dir.resolve()))
        self.accepts = set(inspect.signature(self.model.forward).parameters)
        self.polarities = np.array(polarities)
        self.config = config
        self.name = f"hf:{model_dir.name}"

    def score(self, texts: list[str]) -> list[tuple[float, str]]:
        import torch

        out: list[tuple[float, str]] = []
        for i in range(0, len(texts), self.config.batch_size):
            batch = self.tokenizer(
                texts[i : i + self.config.batch_size], padding=True, truncation=True, max_length=self.config.max_tokens, return_tensors="pt"
            )
            inputs = {k: v for k, v in batch.items() if k in self.accepts}  # DistilBERT-like models take no token_type_ids
            with torch.no_grad():
                probs = torch.softmax(self.model(**inputs).logits, dim=-1).numpy()
            out.extend((float(np.clip(p @ self.polarities, -1.0, 1.0)), self.name) for p in probs)
        return out


def make_scorer(config: SentimentConfig) -> Scorer:
    if config.model_dir is not None:
        return HFScorer(Path(config.model_dir), config)
    return VaderAnchorScorer(load_rules(config.rules_file), config)


# ---------------------------------------------------------------- findings


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

    def score_at(self, time: float, role: Role) -> SegmentSentiment | None:
        """The role's segment under `time`, else its last one that started before; None before it spoke."""
        before = [s for s in self.role(role).segments if s.start <= time]
        if not before:
            return None
        under = [s for s in before if s.end >= time]
        return under[-1] if under else before[-1]

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
