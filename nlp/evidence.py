"""Evidence: what a verdict rests on, precise enough to play it back.

Every finding carries the quote, who said it, when (word-level times where the transcript has
them) and the id of the rule or model that fired. Frozen: findings never change afterwards.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Evidence:
    segment_id: str
    speaker: str
    start: float
    end: float
    quote: str
    rule: str

    def to_dict(self) -> dict:
        return asdict(self)
