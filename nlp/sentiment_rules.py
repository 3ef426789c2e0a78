"""Sentiment rules and text preparation: back-channels, stock courtesy formulas, anchors and
the settings the scorers share (nlp/rules/sentiment_anchors.yaml). See nlp/sentiment.py for
how a segment is scored."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rapidfuzz import fuzz

from nlp.vocabulary import Role, SentimentLabel

from nlp.phrases import (
    FUZZY_CUTOFF,
    FUZZY_MIN_CHARS,
    RuleFileError,
    load_rule_file,
    normalise,
    parse_rules,
    rules_path,
    whole_words,
)

Label = SentimentLabel
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
        found = whole_words(phrase).search(text)
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


