"""The customer's need: why they called, with the sentence that says so.

Callers state the reason early, so only the customer's first substantive turns are read
(`CUSTOMER_TURNS` segments of at least `MIN_TURN_WORDS` words, within the first `WINDOW_S`
seconds; short turns such as "yes" or a name are read but do not use up the budget). When
no segment is labelled customer (roles unknown), every non-agent segment in that window is
read instead. Agent speech is never read: an agent's "so you'd like to upgrade?" is not the
customer's need.

Each turn is split into spaCy sentences; unpunctuated ASR run-ons are cut into overlapping
windows of `MAX_PIECE_TOKENS` tokens so one long turn does not blur into an average. All
pieces are embedded in one batch (all-MiniLM-L6-v2) and compared with each label's exemplars
from the policy taxonomy (nlp/rules/needs.yaml by default). A piece's score for a label is
the mean of its `TOP_K` best exemplar similarities (one lucky exemplar should not decide);
a keyword of the label in the piece adds `KEYWORD_BONUS`. A label's score is its best piece,
and that piece is the evidence, with rule `need-keyword:<label>:<keyword>` when a keyword
of the label is in it, else `need-embedding:<label>`.

Confidence is a softmax over the label scores with temperature `TEMPERATURE` (fitted for
calibration on the banking77 *train* split's mapped subset, see callqa/public_eval.py).
Below `policy.need_min_confidence` the need is reported as `general_inquiry`, with the
confidence of general_inquiry itself and the evidence of the best (too weak) label kept so a
reviewer sees what was nearly chosen.

Complaint rule: `complaint` means the call is about the complaint itself - the service
received, staff, missed appointments, repeated contacts that fixed nothing, a wish to
escalate. An angry customer with a wrong bill or a broken router has a billing or technical
need. So without an explicit complaint keyword ("make a complaint", "speak to a manager",
...) the complaint score pays `COMPLAINT_PENALTY`: annoyance that sounds like a complaint
loses to a topic label it is about, and wins only when nothing else fits as well.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from spacy.tokens import Span

from models.embeddings import embed
from nlp.sentiment import is_upset
from nlp.evidence import Evidence
from nlp.parse import ParsedCall
from nlp.phrases import PhraseRule, normalise
from nlp.policy import Policy

FALLBACK_LABEL = "general_inquiry"
COMPLAINT_LABEL = "complaint"
CUSTOMER_TURNS = 4
MIN_TURN_WORDS = 3
WINDOW_S = 120.0
MIN_PIECE_WORDS = 2  # "okay", "yes": nothing to classify
MAX_PIECE_TOKENS = 32
PIECE_STRIDE = 16
TOP_K = 2
# In cosine units: exemplar similarities of the right and the runner-up label differ by
# about 0.05-0.15, so a keyword counts for about one clear embedding win.
KEYWORD_BONUS = 0.12
COMPLAINT_PENALTY = 0.03
TURN_DECAY = 0.02
DECISIVE_TURNS = 2  # a decisive phrase counts in the customer's first two substantive turns
COMPLAINT_CANDIDATE_MIN = 0.1  # softmax share for complaint to count as a live candidate
TEMPERATURE = 0.05
_MODEL_CACHE_SIZE = 4


@dataclass(frozen=True)
class NeedFinding:
    label: str
    confidence: float
    evidence: Evidence | None
    scores: dict[str, float]  # softmax probability per taxonomy label

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "confidence": round(self.confidence, 4),
            "evidence": self.evidence.to_dict() if self.evidence else None,
            "scores": {label: round(score, 4) for label, score in self.scores.items()},
        }


@dataclass(frozen=True)
class Piece:
    """A customer sentence (or a window of a long one) as Doc character offsets."""

    segment_index: int
    char_start: int
    char_end: int
    text: str


@dataclass(frozen=True)
class NeedModel:
    """A taxonomy made ready for scoring: exemplar embeddings and keyword rules per label."""

    labels: tuple[str, ...]
    exemplar_vectors: np.ndarray  # (n_exemplars, dim), unit rows
    exemplar_labels: np.ndarray  # (n_exemplars,) index into labels
    keywords: tuple[tuple[PhraseRule, ...], ...]  # per label


_models: dict[str, NeedModel] = {}
_models_lock = threading.Lock()


def _taxonomy_key(policy: Policy) -> str:
    # source_hash names the policy file, but the default taxonomy comes from needs.yaml and
    # tests build policies in code: the taxonomy's own content is part of the key.
    content = json.dumps({k: v.model_dump() for k, v in policy.taxonomy.items()}, sort_keys=True)
    return policy.source_hash + ":" + hashlib.sha256(content.encode()).hexdigest()[:16]


def keyword_rule_id(label: str, keyword: str) -> str:
    return f"need-keyword:{label}:{keyword}"


def need_model(policy: Policy) -> NeedModel:
    """The scoring model for the policy's taxonomy, embedded once per taxonomy and cached."""
    if not policy.taxonomy:
        raise ValueError("the policy has no need taxonomy")
    if FALLBACK_LABEL not in policy.taxonomy:
        raise ValueError(f"the need taxonomy needs a {FALLBACK_LABEL!r} label")
    key = _taxonomy_key(policy)
    with _models_lock:
        cached = _models.get(key)
    if cached is not None:
        return cached
    labels = tuple(policy.taxonomy)
    texts, owners = [], []
    for index, label in enumerate(labels):
        for exemplar in policy.taxonomy[label].exemplars:
            texts.append(exemplar)
            owners.append(index)
    keywords = tuple(
        tuple(
            PhraseRule(keyword_rule_id(label, kw), (normalise(kw),))
            for kw in policy.taxonomy[label].keywords + policy.taxonomy[label].decisive
            if normalise(kw)
        )
        for label in labels
    )
    model = NeedModel(labels, embed(texts), np.array(owners), keywords)
    with _models_lock:
        if len(_models) >= _MODEL_CACHE_SIZE:
            _models.pop(next(iter(_models)))
        _models[key] = model
    return model


def read_segments(parsed: ParsedCall, until: float | None = None, turns: int = CUSTOMER_TURNS) -> list[int]:
    """Indices of the early customer segments that state the need (see module docstring).

    Only what the customer said before the agent's first pitch (`until`) counts: after it,
    their questions are about the offer ("can I cancel it if I change my mind?"), not why
    they called.
    """
    segments = parsed.segments
    customer = [i for i, s in enumerate(segments) if s.speaker == "customer"]
    if not customer:
        customer = [i for i, s in enumerate(segments) if s.speaker != "agent"]
    if until is not None and any(segments[i].start < until for i in customer):
        customer = [i for i in customer if segments[i].start < until]
    chosen, substantive = [], 0
    for i in customer:
        # The window is measured from the customer's first words: a long IVR or agent
        # greeting must not push the stated need out of it.
        if substantive >= turns or segments[i].start - segments[customer[0]].start > WINDOW_S:
            break
        chosen.append(i)
        if len(segments[i].text.split()) >= MIN_TURN_WORDS:
            substantive += 1
    return chosen


def customer_pieces(parsed: ParsedCall, until: float | None = None) -> list[Piece]:
    """The sentences of the segments read, cut into windows when an ASR run-on is long."""
    pieces: list[Piece] = []
    doc = parsed.doc
    read = read_segments(parsed, until)
    sentences: dict[int, list[Span]] = {}
    for sentence in parsed.sentences:  # split once per call, clipped to segments, shared by the stages
        span = sentence.span(parsed)
        if span is not None:
            sentences.setdefault(sentence.index, []).append(span)
    for index in read:
        for sent in sentences.get(index, []):
            start, end = sent.start, sent.end
            words = [t for t in doc[start:end] if not t.is_space]
            if sum(1 for t in words if t.is_alpha) < MIN_PIECE_WORDS:
                continue
            for a in range(start, max(start + 1, end - MAX_PIECE_TOKENS + PIECE_STRIDE), PIECE_STRIDE):
                window = doc[a : min(end, a + MAX_PIECE_TOKENS)]
                text = window.text.strip()
                if text:
                    pieces.append(Piece(index, window.start_char, window.end_char, text))
    # Whole turns as well: ASR punctuation and pauses cut one statement into sentences and
    # segments ("what interest rate." / "I'm getting on my savings account"), and neither half
    # says what the whole does. A turn is the customer's segments until the agent speaks.
    for first, last in _customer_turns(parsed, read):
        start, end = parsed.span_of(first).start, parsed.span_of(last).end
        turn = doc[start : min(end, start + MAX_PIECE_TOKENS)]
        if (last > first or len(sentences.get(first, [])) > 1) and turn.text.strip():
            pieces.append(Piece(first, turn.start_char, turn.end_char, " ".join(turn.text.split())))
    return pieces


def _customer_turns(parsed: ParsedCall, indices: list[int]) -> list[tuple[int, int]]:
    """(first, last) segment index of each run of read segments with no agent segment between."""
    turns: list[tuple[int, int]] = []
    for index in indices:
        if turns and all(parsed.segments[i].speaker != "agent" for i in range(turns[-1][1] + 1, index)):
            turns[-1] = (turns[-1][0], index)
        else:
            turns.append((index, index))
    return turns


def _topk_mean(sims: np.ndarray, owners: np.ndarray, n_labels: int) -> np.ndarray:
    """(n_pieces, n_labels): mean of each label's TOP_K best exemplar similarities per piece."""
    out = np.empty((sims.shape[0], n_labels), dtype=np.float64)
    for label in range(n_labels):
        block = sims[:, owners == label]
        k = min(TOP_K, block.shape[1])
        out[:, label] = np.sort(block, axis=1)[:, -k:].mean(axis=1)
    return out


def _softmax(scores: np.ndarray) -> np.ndarray:
    z = scores / TEMPERATURE
    z = np.exp(z - z.max())
    return z / z.sum()


def score_pieces(parsed: ParsedCall, pieces: Sequence[Piece], vectors: np.ndarray, model: NeedModel, policy: Policy) -> NeedFinding:
    """The need from already-embedded pieces (one row of `vectors` per piece)."""
    labels = model.labels
    fallback = labels.index(FALLBACK_LABEL)
    if not pieces:
        # Nothing the customer said early on: no basis for any need.
        return NeedFinding(FALLBACK_LABEL, 0.0, None, {label: 0.0 for label in labels})
    combined = _topk_mean(vectors @ model.exemplar_vectors.T, model.exemplar_labels, len(labels))
    # Customers say why they called first: each later turn read gives up a little, so the
    # opening statement wins a close call against a follow-up question.
    turn_order = {index: rank for rank, index in enumerate(dict.fromkeys(piece.segment_index for piece in pieces))}
    combined -= TURN_DECAY * np.array([turn_order[piece.segment_index] for piece in pieces])[:, None]
    fired: dict[tuple[int, int], str] = {}  # (piece, label) -> keyword rule id
    for p, piece in enumerate(pieces):
        text = normalise(piece.text)
        for label, rules in enumerate(model.keywords):
            for rule in rules:
                if rule.match(text) is not None:
                    fired[(p, label)] = rule.id
                    combined[p, label] += KEYWORD_BONUS
                    break
    if COMPLAINT_LABEL in labels:
        complaint = labels.index(COMPLAINT_LABEL)
        if not any(label == complaint for _, label in fired):
            combined[:, complaint] -= COMPLAINT_PENALTY
    label_scores = combined.max(axis=0)
    probs = _softmax(label_scores)
    best = int(np.argmax(label_scores))
    p = int(np.argmax(combined[:, best]))
    piece = pieces[p]
    evidence = parsed.locate(piece.char_start, piece.char_end, fired.get((p, best), f"need-embedding:{labels[best]}"))
    scores = {label: float(probs[i]) for i, label in enumerate(labels)}
    if probs[best] < policy.need_min_confidence:
        return NeedFinding(FALLBACK_LABEL, float(probs[fallback]), evidence, scores)
    return NeedFinding(labels[best], float(probs[best]), evidence, scores)


def classify_needs(calls: Sequence[ParsedCall], policy: Policy, until: Sequence[float | None] | None = None) -> list[NeedFinding]:
    """The need of each call, with one embedding batch for all of them (`until`: each call's first pitch)."""
    model = need_model(policy)
    limits = list(until) if until is not None else [None] * len(calls)
    pieces = [customer_pieces(parsed, limit) for parsed, limit in zip(calls, limits, strict=True)]
    vectors = embed([piece.text for call in pieces for piece in call])
    findings, offset = [], 0
    for parsed, call in zip(calls, pieces):
        findings.append(score_pieces(parsed, call, vectors[offset : offset + len(call)], model, policy))
        offset += len(call)
    return findings


def classify_need(parsed: ParsedCall, policy: Policy, until: float | None = None) -> NeedFinding:
    return classify_needs([parsed], policy, [until])[0]


def decisive_rules(policy: Policy) -> tuple[tuple[str, PhraseRule], ...]:
    """(label, rule) for each decisive phrase of the taxonomy. Not fuzzy: one word flips these
    ("I never ordered it" / "I ordered it")."""
    return tuple(
        (label, PhraseRule(f"need-decisive:{label}:{phrase}", (normalise(phrase),), fuzzy=False))
        for label, entry in policy.taxonomy.items()
        for phrase in entry.decisive
        if normalise(phrase)
    )


def with_decisive_phrase(need: NeedFinding, parsed: ParsedCall, policy: Policy, until: float | None) -> NeedFinding:
    """The need a decisive phrase names when the customer says it in their first
    `DECISIVE_TURNS` substantive turns before the first pitch, whatever the classifiers read.

    These are the labelling guide's tie-breaks, which neither classifier learns reliably: "there's
    a charge on my bill for World Roam and I never ordered it" reads as billing to both (the bill
    is the topic), but the call is a complaint. Later turns are not read: "I never asked for
    premium delivery" in the middle of an order is about the order. Confidence 1.0: a rule decided.
    """
    rules = decisive_rules(policy)
    if not rules:
        return need
    read = set(read_segments(parsed, until, DECISIVE_TURNS))
    for sentence in parsed.sentences:
        if sentence.index not in read or sentence.speaker == "agent":
            continue
        for label, rule in rules:
            if rule.match(sentence.norm) is not None:
                if label == need.label:
                    return need
                evidence = parsed.locate(sentence.char_start, sentence.char_end, rule.id)
                return replace(need, label=label, confidence=1.0, evidence=evidence)
    return need


def as_complaint_when_upset(need: NeedFinding, opening_score: float | None, opening: Evidence | None, threshold: float) -> NeedFinding:
    """A customer who opens the call upset about the thing they called for is complaining.

    The text of "my table arrived smashed" reads like a refund or billing question; what makes
    it a complaint is how it is said. When the customer's opening sentiment is at or below the
    policy's upset threshold and complaint was a live candidate, the need is a complaint, with
    the upset opening as its evidence.
    """
    if need.label == COMPLAINT_LABEL or opening_score is None or not is_upset(opening_score, threshold):
        return need
    if need.scores.get(COMPLAINT_LABEL, 0.0) < COMPLAINT_CANDIDATE_MIN:
        return need
    evidence = need.evidence
    if evidence is not None and opening is not None:
        evidence = replace(evidence, rule="need-upset-opening")
    return NeedFinding(COMPLAINT_LABEL, need.scores[COMPLAINT_LABEL], evidence or opening, need.scores)
