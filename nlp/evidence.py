"""Evidence: what a verdict rests on, precise enough to play it back.

Every finding carries the quote, who said it, when (word-level times where the transcript has
them) and the id of the rule or model that fired. Frozen: findings never change afterwards.

How sure the transcription is under the quote travels with it: `asr_min_prob` is the lowest
word probability of the ASR words the quote covers (absent when the transcript has no word
probabilities, e.g. a given transcript, which counts as confident), and `garbled_amount` is
true when a money amount in the quote sits on a low-probability word or shows Whisper's known
garbling of amounts ("$19 and $19" for "$19.99").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from nlp.contract import OMIT_NONE, dump

# A word Whisper gave less probability than this is a low-confidence word: an amount on one is a
# garbled amount, and the review page marks it. The policy decides separately (asr_review_prob)
# when a verdict resting on such words goes to review; the two defaults agree.
LOW_WORD_PROB = 0.4
# Whisper writes "$19.99" as "$19 and $19" or "19 and 19 dollars": the same amount twice around "and".
_GARBLED_REPEAT = re.compile(r"(\$?\d+(?:\.\d+)?)\s*(?:dollars?\s+)?and\s+\$?\1\b(?!\.\d)", re.IGNORECASE)
_AMOUNT_WORD = re.compile(r"[$£€]|\d|\b(?:dollars?|bucks|cents|pounds?|euros?|quid)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Evidence:
    segment_id: str
    speaker: str
    start: float
    end: float
    quote: str
    rule: str  # the rule id, or the model id when a model decided
    asr_min_prob: float | None = field(default=None, metadata=OMIT_NONE)
    garbled_amount: bool | None = field(default=None, metadata=OMIT_NONE)
    model_score: float | None = field(default=None, metadata=OMIT_NONE)  # the model's score for its verdict

    def to_dict(self) -> dict:
        return dump(self)

    def decided_by(self, model: str, score: float) -> Evidence:
        """The same quote, decided by a model: its id in place of the rule, with its score."""
        return replace(self, rule=model, model_score=round(score, 3))


def garbled_amount(quote: str, words: list[tuple[str, float]], low_prob: float) -> bool:
    """True when an amount in `quote` is garbled the way Whisper garbles amounts, or one of the
    quoted words that carries an amount ($, digits, "dollars") has a probability under `low_prob`."""
    if _GARBLED_REPEAT.search(quote):
        return True
    return any(prob < low_prob and _AMOUNT_WORD.search(text) for text, prob in words)
