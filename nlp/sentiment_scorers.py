"""Sentiment scorers: the offline VADER + embedding-anchor reader, and a Hugging Face
sequence-classification model directory. Each turns prepared texts into scores in [-1, 1]."""

from __future__ import annotations

import functools
import inspect
import re
from pathlib import Path
from typing import Protocol

import numpy as np

from nlp.sentiment_rules import (
    POLARITIES,
    Label,
    SentimentConfig,
    SentimentModelError,
    SentimentRules,
    load_rules,
)

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


