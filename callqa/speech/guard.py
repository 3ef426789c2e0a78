"""Hallucination guard: drop what Whisper wrote over silence or noise, and say so.

Whisper fills silence with plausible text ("Thank you.", "Thanks for watching!") and can loop
on noise. A segment is dropped when the decoder itself says there was no speech, when its text
repeats itself, when the audio under it is mostly silent, or when it is a known phantom
phrase over audio that gives it no support. Every drop is recorded with its reason.
"""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass

from callqa.settings import Settings
from callqa.speech import SPEECH_RULES
from nlp.phrases import PhraseRule, load_rule_file, normalise, parse_rules, rules_path

PHANTOM_MAX_ENERGY = 0.5  # a phantom phrase is kept over audio voiced more than this
PHANTOM_MAX_PROB = 0.6  # ... or when Whisper was at least this sure of its words
_REPEAT = re.compile(r"\b(\w+(?:\s+\w+){0,3})(?:\s+\1\b){3,}")


@dataclass(frozen=True)
class Dropped:
    channel: str
    start: float
    end: float
    text: str
    reason: str  # no_speech | repetition | silence | phantom_phrase | crosstalk (callqa.speech.crosstalk)
    rule: str  # the threshold or rule id that fired

    def to_dict(self) -> dict:
        return asdict(self)


@functools.lru_cache(maxsize=1)
def phantom_rules() -> tuple[PhraseRule, ...]:
    path = rules_path("asr_hallucinations.yaml", SPEECH_RULES)
    return parse_rules(load_rule_file(path).get("rules"), str(path))


def why_drop(
    text: str,
    energy_share: float,  # voiced support of the span, see callqa.speech.vad.voiced_support
    mean_prob: float,
    avg_logprob: float,
    no_speech_prob: float,
    compression_ratio: float,
    settings: Settings,
) -> tuple[str, str] | None:
    """(reason, rule) when the segment should be dropped, else None."""
    norm = normalise(text)
    if not norm:
        return ("silence", "empty-text")
    if no_speech_prob > settings.no_speech_threshold and avg_logprob < settings.logprob_threshold:
        return ("no_speech", f"no_speech_prob>{settings.no_speech_threshold}&avg_logprob<{settings.logprob_threshold}")
    if compression_ratio > settings.compression_ratio_threshold or _REPEAT.search(norm):
        return ("repetition", f"compression_ratio>{settings.compression_ratio_threshold}|repeated-ngram")
    for rule in phantom_rules():
        if rule.match(norm) and (energy_share < PHANTOM_MAX_ENERGY or mean_prob < PHANTOM_MAX_PROB):
            # Whole-segment phantoms ("thank you") need both signs; long stock phrases either.
            if not rule.whole_segment or energy_share < PHANTOM_MAX_ENERGY:
                return ("phantom_phrase", rule.id)
    if energy_share < settings.min_segment_energy:
        return ("silence", f"energy_share<{settings.min_segment_energy}")
    return None
