"""Phrase rules kept in data files, and the matcher that applies them to ASR text.

A rule is an id plus phrases; the id travels into the evidence so an auditor sees which rule
fired. Matching uses rapidfuzz's partial ratio because Whisper rarely writes a stock phrase
the same way twice ("thanks for calling" / "thank you for calling"); short phrases, where one
wrong letter changes the meaning, must match whole words exactly.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml
from rapidfuzz import fuzz

FUZZY_MIN_CHARS = 10
FUZZY_CUTOFF = 90.0
_PUNCT = re.compile(r"[^\w\s']")
_SPACE = re.compile(r"\s+")


class RuleFileError(ValueError):
    """A rule data file is malformed."""


@dataclass(frozen=True)
class PhraseRule:
    id: str
    phrases: tuple[str, ...]
    weight: float = 1.0
    whole_segment: bool = False  # the segment must be this phrase and nothing else
    within_first_s: float | None = None  # only counts this early in the call
    fuzzy: bool = True  # False where one word flips the meaning ("no, that's fine" / "yes, that's fine")
    patterns: tuple[re.Pattern[str], ...] = ()  # regular expressions over the normalised text
    needs_product: bool = False  # fires only in a sentence that names a product (weak offer cues)

    def match(self, text: str) -> str | None:
        """The phrase (or pattern match) of this rule found in already-normalised `text`, or None."""
        for pattern in self.patterns:
            found = pattern.search(text)
            if found:
                return found.group(0)
        for phrase in self.phrases:
            if self.whole_segment:
                if text == phrase:
                    return phrase
            elif len(phrase) < FUZZY_MIN_CHARS or not self.fuzzy:
                if whole_words(phrase).search(text):
                    return phrase
            # partial_ratio aligns the shorter string inside the longer one: the text must be
            # at least as long as the phrase, or "please" would match "please subscribe".
            elif len(text) >= len(phrase) and fuzz.partial_ratio(phrase, text, score_cutoff=FUZZY_CUTOFF):
                return phrase
        return None

    def named(self, text: str) -> str | None:
        """What a pattern of this rule names in its `product` group ("would (three months free)
        help?"), in already-normalised `text`, or None."""
        for pattern in self.patterns:
            found = pattern.search(text)
            if found and "product" in pattern.groupindex and found.group("product"):
                return found.group("product").strip()
        return None


@functools.lru_cache(maxsize=None)
def whole_words(phrase: str) -> re.Pattern[str]:
    """The phrase as whole words, compiled once: rules are matched thousands of times per call,
    and escaping and looking up the pattern each time was a tenth of the rule matching's time."""
    return re.compile(rf"\b{re.escape(phrase)}\b")


def normalise(text: str) -> str:
    """Lower case, punctuation gone (apostrophes kept), single spaces: how rules see text."""
    text = text.lower().replace("’", "'")
    return _SPACE.sub(" ", _PUNCT.sub(" ", text)).strip()


@functools.lru_cache(maxsize=None)
def rules_hash(package: str = "nlp") -> str:
    """Hash of every rule file a package ships (`<package>/rules/*.yaml`): the analysis rules
    (nlp) are part of the analysis key, the speech rules (callqa.speech) part of the
    transcription key, so an edited rule redoes exactly the work it changes."""
    digest = hashlib.sha256()
    for path in sorted(Path(str(resources.files(package) / "rules")).glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def rules_path(name: str, package: str = "nlp") -> Path:
    return Path(str(resources.files(package) / "rules" / name))


def load_rule_file(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise RuleFileError(f"cannot read rule file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise RuleFileError(f"rule file {path} must be a mapping")
    return data


def parse_rules(entries: object, where: str, fuzzy: bool = True) -> tuple[PhraseRule, ...]:
    if not isinstance(entries, list):
        raise RuleFileError(f"{where}: expected a list of rules")
    rules: list[PhraseRule] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or "id" not in entry or not (entry.get("phrases") or entry.get("patterns")):
            raise RuleFileError(f"{where}[{i}]: a rule needs an id and a non-empty list of phrases or patterns")
        if entry["id"] in seen:
            raise RuleFileError(f"{where}[{i}]: duplicate rule id {entry['id']!r}")
        seen.add(entry["id"])
        try:
            patterns = tuple(re.compile(p) for p in entry.get("patterns", ()))
        except re.error as exc:
            raise RuleFileError(f"{where}[{i}] ({entry['id']}): bad pattern: {exc}") from exc
        rules.append(
            PhraseRule(
                id=str(entry["id"]),
                phrases=tuple(normalise(p) for p in entry.get("phrases", ())),
                weight=float(entry.get("weight", 1.0)),
                whole_segment=bool(entry.get("whole_segment", False)),
                within_first_s=entry.get("within_first_s"),
                fuzzy=bool(entry.get("fuzzy", fuzzy)),
                patterns=patterns,
                needs_product=bool(entry.get("needs_product", False)),
            )
        )
    return tuple(rules)
