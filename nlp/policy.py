"""The QA policy: what a deployment checks and how it scores, from a YAML file.

Validated with pydantic; a bad file fails with the field and the line at fault, before any
call is scored. The default policy ships in nlp/policy/default.yaml; its need taxonomy (with
the exemplars the classifier compares against) lives in nlp/rules/needs.yaml unless a policy
file defines its own `taxonomy`.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from nlp.phrases import rules_path
from nlp.vocabulary import DISCLOSURE_ITEMS, FLAG_CODES, DisclosureItem, FlagCode



REVIEW_THRESHOLD = 0.55  # from the measurement in README ("Confidence and review")


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the field and line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NeedLabel(_Strict):
    description: str
    exemplars: tuple[str, ...] = Field(min_length=3)
    keywords: tuple[str, ...] = ()  # phrases that settle the label when the customer says them
    # Phrases that decide the label outright, over both classifiers, when the customer says them
    # in their opening turns: the labelling guide's tie-breaks (a charge never ordered is a complaint).
    decisive: tuple[str, ...] = ()


class Product(_Strict):
    """A catalog entry: lets need_fit and not-applicable disclosures come from facts, not guesses."""

    id: str
    names: tuple[str, ...] = Field(min_length=1)  # how agents say it ("unlimited plan", "premium")
    kind: Literal["upsell", "cross_sell", "retention"] | None = None
    fits_needs: tuple[str, ...] = ()
    price: float | None = None
    recurring: bool | None = None  # False: one-off purchase, so recurring_charge is not applicable
    contract_months: int | None = None  # 0: no contract, so contract_term is not applicable
    cancellation_fee: float | None = None  # 0 with contract_months 0: nothing to disclose
    has_restrictions: bool | None = None


class ScoreItem(_Strict):
    id: str
    question: str
    weight: float = Field(gt=0)
    auto_fail: bool = False  # a failed auto-fail item sets the call's score to 0
    fails_on: tuple[FlagCode, ...] = Field(min_length=1)
    applies_to: Literal["all_calls", "calls_with_offers", "calls_with_accepted_offers"] = "calls_with_offers"


class Policy(_Strict):
    version: int = 1
    name: str = "default"
    taxonomy: dict[str, NeedLabel] = Field(default_factory=dict)
    catalog: tuple[Product, ...] = ()
    max_closing_attempts: int = Field(default=2, ge=1)
    required_disclosures: tuple[DisclosureItem, ...] = DISCLOSURE_ITEMS
    upset_threshold: float = Field(default=-0.3, ge=-1.0, le=0.0)  # customer sentiment score counted as upset
    need_min_confidence: float = Field(default=0.35, ge=0.0, le=1.0)  # below: need is general_inquiry
    # Abstention (nlp.confidence): a flag whose rule confidence is under review_threshold, or whose
    # evidence rests on an ASR word less probable than asr_review_prob (or a garbled amount), is
    # needs_review: listed for a reviewer, left out of the score.
    review_threshold: float = Field(default=REVIEW_THRESHOLD, ge=0.0, le=1.0)
    asr_review_prob: float = Field(default=0.4, ge=0.0, le=1.0)
    # A call whose mean ASR word probability is under this gets LOW_TRANSCRIPT_QUALITY and is
    # listed for review; words under asr_review_prob count as low-confidence words.
    min_transcript_quality: float = Field(default=0.7, ge=0.0, le=1.0)
    scorecard: tuple[ScoreItem, ...] = Field(min_length=1)
    source_hash: str = ""

    @field_validator("taxonomy")
    @classmethod
    def _taxonomy_labels(cls, value: dict[str, NeedLabel]) -> dict[str, NeedLabel]:
        if value and "general_inquiry" not in value:
            raise ValueError("the taxonomy needs a general_inquiry label (the fallback for unclear needs)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        ids = [item.id for item in self.scorecard]
        if len(ids) != len(set(ids)):
            raise ValueError("scorecard item ids must be unique")
        for product in self.catalog:
            unknown = set(product.fits_needs) - set(self.taxonomy)
            if self.taxonomy and unknown:
                raise ValueError(f"catalog product {product.id!r} fits unknown needs: {', '.join(sorted(unknown))}")
        return self


def _line_of(node: yaml.Node, loc: tuple) -> int | None:
    """The 1-based line of the YAML node at a pydantic error location."""
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            match = node.value[key]
        else:
            match = None
        if match is None:
            break
        node = match
    return node.start_mark.line + 1


def load_policy(path: Path | None = None) -> Policy:
    path = Path(path) if path else default_policy_path()
    try:
        text = path.read_text()
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"cannot read policy {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: a policy is a mapping of settings")
    if "taxonomy" not in data:
        needs = yaml.safe_load(rules_path("needs.yaml").read_text())
        data["taxonomy"] = needs["taxonomy"]
    data["source_hash"] = hashlib.sha256(text.encode()).hexdigest()[:16]
    try:
        return Policy(**data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            line = _line_of(root, loc) if root is not None else None
            where = ".".join(str(p) for p in loc) or "(top level)"
            problems.append(f"{path}:{line or '?'}: {where}: {error['msg']}")
        raise PolicyError("invalid policy\n  " + "\n  ".join(problems)) from exc


def default_policy_path() -> Path:
    return Path(__file__).resolve().parent / "policy" / "default.yaml"


@functools.lru_cache(maxsize=4)
def cached_policy(path: str | None) -> Policy:
    return load_policy(Path(path) if path else None)
