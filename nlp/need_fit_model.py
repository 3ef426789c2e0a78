"""A learned judgement of whether an offer serves the customer's need (beside rules/need_fit.yaml).

The need-fit rules decide with phrase cues (a pivot "while I have you", a link "since you
travel"), product words that serve a need by nature, and then a threshold on the embedding
similarity between the offer's turn and what the customer said. That last step separates weakly
(bench/need_fit_threshold.py), and most offers reach it. Yet the labels show a strong pattern the
rules ignore: an offer on a new-purchase, upgrade, support or cancellation call nearly always
serves the need, one made on a complaint or an address change often does not.

This is a logistic regression over those readable features: the call's need (one of the default
labels), the offer's kind, the similarity, the three rule cues and the customer's answer to the
offer (accepted, declined, undecided); and over two MiniLM vectors the analysis has already made:
the offer's turn (how it was put: "One other thing, I can see you haven't got...", "you'll want
to be protected") and the mean of what the customer said before it (what they rang about, finer
than the need label). It is trained on every gold offer of the
styles the need model reads (`nlp.need_model.NEED_STYLES`: the training styles and every style
once scored blind; gold need, the turn of the offer's evidence, the customer's sentences before
it) and decides "no fit" when its probability of no fit is above a threshold chosen by
leave-one-style-out inside those styles for the flags it raises past review, weighing precision
twice recall. Catalog `fits_needs` and a retention offer on a cancellation call still decide
first (nlp/need_fit.py).

    python -m nlp.need_fit_model train     # writes models/need_fit (weights, card with data hash)
"""

from __future__ import annotations

import functools
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nlp.acts import CACHE_FILE, ROOT, embed_cached, split_sentences
from nlp.confidence import margin_confidence
from nlp.need_fit import Cues, rule_cues
from nlp.need_model import NEED_STYLES
from nlp.policy import REVIEW_THRESHOLD
from nlp.training import labelled_calls, read_model, train_command, write_model
from nlp.vocabulary import DEFAULT_NEEDS, OFFER_KINDS

MODEL_DIR = ROOT / "models" / "need_fit"
SEED = 0
# The decision line, not class weights, sets the trade-off. The embedding dimensions are scaled up
# (unit vectors have components near 0.05) and the whole fit held in by C: out of fold by style on
# 1,561 gold offers, the readable features alone gave AUC 0.910 and, at their F0.5 line, 258 true
# and 42 false verdicts; with both vectors (scale 3, C 0.3) AUC 0.928 and 313 true, 56 false. The
# choice is flat around it (scale 2-3, C 0.1-1: AUC 0.921-0.930); the turn alone gave 0.921,
# the customer's words alone 0.917.
C = 0.3
EMBED_SCALE = 3.0
EMBED_DIM = 384
# Candidate lines on P(no fit); the one with the best F0.5 of the OFFER_WITHOUT_NEED flags raised
# (not left for review) over its styles' out-of-fold predictions is kept (nested leave-one-style-out: bench/need_fit_model.py).
THRESHOLDS = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
# Precision counts twice recall in that choice. Out of fold on gold offers the F1 curve is flat from
# 0.2 to 0.4, but in the analysis a low line also calls unfit the offers it found on calls that sold
# nothing, and the issue asks flags precision of 0.85 first. Over 1,201 read held-out calls (models
# trained without each style's group), F1's line (0.2-0.25) raised 63 true flags more and 67 false,
# 8 of them on no-sale calls; F0.5's (0.55 then) 8 true more and 3 false, 2 fewer on no-sale calls.
BETA = 0.5
RESPONSES = ("accepted", "declined", "undecided")
NAMED_FEATURES = (*(f"need={n}" for n in DEFAULT_NEEDS), *(f"kind={k}" for k in OFFER_KINDS),
                  "similarity", "pivot", "link", "serves", *(f"response={r}" for r in RESPONSES))
FEATURES = (*NAMED_FEATURES, *(f"turn[{i}]" for i in range(EMBED_DIM)), *(f"said[{i}]" for i in range(EMBED_DIM)))


def similarity(turn_vector: np.ndarray, said_vectors: np.ndarray) -> float:
    """The closest the offer's turn comes to anything the customer said (0 when they said nothing)."""
    return float(np.max(said_vectors @ turn_vector)) if len(said_vectors) else 0.0


def feature_row(cues: Cues, turn: np.ndarray, said: np.ndarray) -> np.ndarray:
    """The readable features, then the offer turn's vector and the customer's mean vector (unit length; zero when they said nothing)."""
    mean = said.mean(axis=0) if len(said) else np.zeros(EMBED_DIM)
    mean = mean / norm if (norm := float(np.linalg.norm(mean))) > 0 else mean
    named = ([float(cues.need == n) for n in DEFAULT_NEEDS] + [float(cues.kind == k) for k in OFFER_KINDS]
             + [similarity(turn, said), float(cues.pivot), float(cues.link), float(cues.serves)]
             + [float(cues.response == r) for r in RESPONSES])
    return np.concatenate([np.array(named), EMBED_SCALE * turn, EMBED_SCALE * mean]).astype(np.float64)


def features(cues: list[Cues], cache: Path | None = None) -> np.ndarray:
    texts = sorted({t for c in cues for t in (c.turn, *c.said)})
    vectors = dict(zip(texts, embed_cached(texts, cache=cache))) if texts else {}
    rows = []
    for c in cues:
        said = np.stack([vectors[t] for t in c.said]) if c.said else np.zeros((0, EMBED_DIM), dtype=np.float32)
        rows.append(feature_row(c, vectors[c.turn], said))
    return np.stack(rows) if rows else np.zeros((0, len(FEATURES)))


@dataclass(frozen=True)
class Row:
    style: str
    cues: Cues
    fit: bool


def gold_rows(exclude: str | None = None, styles: tuple[str, ...] = NEED_STYLES) -> list[Row]:
    """One row per gold offer of the labelled corpus (every style of `styles` but `exclude`)."""
    rows = []
    for style, gold in labelled_calls(styles, exclude):
        turns = gold["transcript"]
        for offer in gold.get("offers", []):
            turn = next(t for t in turns if t["id"] == offer["evidence"]["segment_id"])["text"]
            said = tuple(text[a:b].strip() for t in turns if t["speaker"] == "customer" and t["start"] < offer["start"]
                         for text in [t["text"]] for a, b in split_sentences(text))
            pivot, link, serves = rule_cues(turn, offer["product"], gold["need"]["label"])
            cues = Cues(gold["need"]["label"], offer["kind"], turn, said, pivot is not None, link is not None, serves,
                        offer["customer_response"])
            rows.append(Row(style, cues, bool(offer["need_fit"])))
    return rows


def data_hash(rows: list[Row]) -> str:
    digest = hashlib.sha256()
    for r in rows:
        c = r.cues
        digest.update(f"{r.style}\t{c.need}\t{c.kind}\t{c.turn}\t{' | '.join(c.said)}\t{c.pivot:d}{c.link:d}{c.serves:d}\t{c.response}\t{r.fit:d}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class NeedFitModel:
    coef: np.ndarray  # (features,): log-odds of NO fit
    intercept: float
    threshold: float  # decide "no fit" above this probability of no fit
    id: str

    def no_fit_probability(self, cues: Cues) -> float:
        return float(self.of_rows(features([cues]))[0])

    def of_rows(self, X: np.ndarray) -> np.ndarray:
        return _no_fit(X, self.coef, self.intercept)


def _no_fit(X: np.ndarray, coef: np.ndarray, intercept: float) -> np.ndarray:
    """P(no fit) of feature rows under logistic weights."""
    return 1.0 / (1.0 + np.exp(-(X @ coef + intercept)))


def _fit(X: np.ndarray, unfit: np.ndarray) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, max_iter=3000, random_state=SEED).fit(X, unfit)
    return model.coef_[0].astype(np.float64), float(model.intercept_[0])


def out_of_fold(rows: list[Row], X: np.ndarray) -> np.ndarray:
    """P(no fit) of each row from a model trained on the other styles of `rows`."""
    styles = np.array([r.style for r in rows])
    unfit = np.array([not r.fit for r in rows])
    out = np.zeros(len(rows))
    for style in sorted(set(styles)):
        held = styles == style
        coef, icpt = _fit(X[~held], unfit[~held])
        out[held] = _no_fit(X[held], coef, icpt)
    return out


def flag_counts(unfit: np.ndarray, probability: np.ndarray, threshold: float, review: float = 0.0) -> tuple[int, int, int]:
    """(true, false, missed) OFFER_WITHOUT_NEED verdicts at a line; with `review`, only those the
    analysis raises, not those it leaves for review for lying too near the line (nlp.confidence)."""
    said = probability > threshold
    if review:
        said &= np.array([margin_confidence(p - threshold, 1.0 - threshold) >= review for p in probability], dtype=bool)
    return int(np.sum(said & unfit)), int(np.sum(said & ~unfit)), int(np.sum(~said & unfit))


def f1(tp: int, fp: int, fn: int) -> float:
    return f_beta(tp, fp, fn, 1.0)


def f_beta(tp: int, fp: int, fn: int, beta: float) -> float:
    """F-beta of flag counts: beta < 1 weighs precision above recall."""
    b2 = beta * beta
    return (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp) if tp else 0.0


def choose_threshold(unfit: np.ndarray, probability: np.ndarray) -> float:
    """The line with the best F0.5 (BETA) of the flags raised over out-of-fold probabilities
    (ties: the higher line). Verdicts just past the line go to review and raise nothing, so the
    line is chosen for what is raised."""
    return max(reversed(THRESHOLDS), key=lambda t: f_beta(*flag_counts(unfit, probability, t, REVIEW_THRESHOLD), BETA))


def train(exclude: str | None = None, styles: tuple[str, ...] = NEED_STYLES) -> tuple[NeedFitModel, dict[str, Any]]:
    """Trained on every style but `exclude`; its line chosen by leave-one-style-out inside them."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    rows = gold_rows(exclude, styles)
    X = features([r.cues for r in rows], cache=CACHE_FILE)
    unfit = np.array([not r.fit for r in rows])
    held_out = out_of_fold(rows, X)
    threshold = choose_threshold(unfit, held_out)
    coef, icpt = _fit(X, unfit)
    dhash = data_hash(rows)
    # the id names the data and the model's form, so a change of features or C is a new id in the evidence
    form = hashlib.sha256(f"{dhash}\t{C}\t{EMBED_SCALE}\t{','.join(FEATURES)}".encode()).hexdigest()
    model_id = f"need-fit-lr@{form[:8]}" if exclude is None else f"need-fit-lr@without-{exclude}"
    tp, fp, fn = flag_counts(unfit, held_out, threshold, REVIEW_THRESHOLD)
    card = {
        "model_id": model_id,
        "kind": f"logistic regression (C={C}) of P(no fit) on the need label, offer kind, embedding similarity, rule cues, the customer's answer, and the MiniLM vectors of the offer's turn and of the customer's words before it (x{EMBED_SCALE:g})",
        "training_command": "python -m nlp.need_fit_model train",
        "seed": SEED,
        "data_sha256": dhash,
        "data": "every gold offer of corpus/styles/<NEED_STYLES>/text, corpus/dev and audio_samples (gold need, offer turn, customer sentences before it)",
        "rows": {s: sum(1 for r in rows if r.style == s) for s in sorted({r.style for r in rows})},
        "features": [*NAMED_FEATURES, f"turn[0..{EMBED_DIM - 1}]", f"said[0..{EMBED_DIM - 1}]"],
        "coefficients": {name: round(float(w), 4) for name, w in zip(NAMED_FEATURES, coef)},
        "embedding_coefficients": f"{2 * EMBED_DIM} more (turn, said) in weights.json",
        "intercept": round(icpt, 4),
        "threshold": threshold,
        "threshold_selection": f"best F{BETA:g} of OFFER_WITHOUT_NEED raised (confidence >= {REVIEW_THRESHOLD}) among {list(THRESHOLDS)} over leave-one-style-out predictions inside the styles it trains on",
        "accuracy_leave_one_style_out": {"unfit_tp": tp, "unfit_fp": fp, "unfit_fn": fn, "f1": round(f1(tp, fp, fn), 3),
                                         "offers": len(rows), "note": "gold offers and gold need; in the full analysis see README, Evaluation"},
    }
    return NeedFitModel(coef, icpt, threshold, model_id), card


def save(model: NeedFitModel, card: dict[str, Any], out: Path = MODEL_DIR) -> None:
    write_model(out, {"features": list(FEATURES), "coef": [float(w) for w in model.coef], "intercept": model.intercept,
                      "threshold": model.threshold}, card, indent=1)


@functools.lru_cache(maxsize=1)
def shipped() -> NeedFitModel | None:
    """The packaged model, or None when it has not been built."""
    if (built := read_model(MODEL_DIR)) is None:
        return None
    weights, card = built
    if tuple(weights["features"]) != FEATURES:
        raise RuntimeError(f"{MODEL_DIR} was trained on other features: python -m nlp.need_fit_model train")
    return NeedFitModel(np.array(weights["coef"]), float(weights["intercept"]), float(weights["threshold"]), card["model_id"])


def main() -> int:
    return train_command(__doc__ or "", train, save,
                         lambda model, card: f"wrote {MODEL_DIR} ({model.id}): {sum(card['rows'].values())} offers, line {model.threshold}")


if __name__ == "__main__":
    sys.exit(main())
