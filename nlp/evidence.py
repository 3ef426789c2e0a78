"""Evidence: what a verdict rests on, precise enough to play it back.

Every finding carries the quote, who said it, when (word-level times where the transcript has
them) and the id of the rule or model that fired. Frozen: findings never change afterwards.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace


@dataclass(frozen=True)
class Evidence:
    segment_id: str
    speaker: str
    start: float
    end: float
    quote: str
    rule: str  # the rule id, or the model id when a model decided
    model_score: float | None = field(default=None, metadata={"omit_none": True})  # the model's score for its verdict

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None or k != "model_score"}

    def decided_by(self, model: str, score: float) -> Evidence:
        """The same quote, decided by a model: its id in place of the rule, with its score."""
        return replace(self, rule=model, model_score=round(score, 3))
