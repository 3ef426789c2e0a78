"""A learned reading of whether the customer was upset in their turn before a pitch.

OFFER_TO_UPSET_CUSTOMER is labelled when the customer's last turn before the pitch is tagged
`upset` (clearly angry or distressed; audio_samples/render.py derives the flag from that tag). The
sentiment scorer (VADER with MiniLM anchors) reads that turn badly: "I keep running out before the
next delivery" scores -0.46 and "This is disgusting, I've paid you every month for a year" -0.21.
The turn-act model's complaint act reads grumbles as readily as anger, so it is used only on
complaint calls.

This is a logistic regression over the packaged MiniLM embeddings of one sentence of the
customer's and of the agent's turn before it (the context: "Can I take the booking reference?"
before "And don't tell me it was already there" is not "Would you like the cover?" before "No
thanks"); a turn reads as upset as its most upset sentence. Sentences, not whole turns: callers
give their name or their email and then say they are livid in the same breath, and a turn's one
embedding is mostly the name (leave-one-style-out on the turns before a pitch, F1 0.73 for whole
turns against 0.76 for their sentences, precision 0.71 against 0.79). It is trained on every
customer sentence of the styles the need model reads (`nlp.need_model.NEED_STYLES`: the training
styles and every style once scored blind), upset where it overlaps the words an author tagged
`upset`, and decides "upset" above a line chosen by leave-one-style-out inside those styles for the
flags it raises past review on the turns just before a gold pitch (F0.5: precision counts twice
recall, as for the need-fit model). Upset sentences are rare
(under 2 %), so the line sits low on the probability scale; the flag's confidence is 0.5 on the
line and 1.0 at twice it (nlp.confidence).

    python -m nlp.upset_model train     # writes models/upset_model (weights, card with data hash)
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nlp.acts import CACHE_FILE, ROOT, embed_cached, split_sentences
from nlp.confidence import margin_confidence
from nlp.need_fit_model import f1, f_beta
from nlp.need_model import NEED_STYLES
from nlp.policy import REVIEW_THRESHOLD
from nlp.training import labelled_calls, read_model, train_command, write_model

MODEL_DIR = ROOT / "models" / "upset_model"
SEED = 0
C = 1.0
# Candidate lines on P(upset); the one with the best F0.5 of the flags raised (confidence at least the
# review threshold) over leave-one-style-out predictions on the turns before a gold pitch is kept.
LINES = (0.05, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3)
# Precision counts twice recall, as for the need-fit model: in the analysis over 1,803 read calls
# (the model trained without each style) F1's line (0.05) raised 74 true OFFER_TO_UPSET_CUSTOMER
# flags and 31 false, a line of 0.12 61 and 9, with flags F1 0.641 against 0.639 overall; on the 526
# training-style calls 27 and 12 against 19 and 1.
BETA = 0.5


@dataclass(frozen=True)
class Row:
    style: str
    turn: int  # the customer turn the sentence is in, numbered over all rows
    text: str  # one sentence of the customer's turn
    context: str  # the agent's turn before it ("" at the start of the call)
    upset: bool  # the sentence overlaps words its author tagged upset
    before_pitch: bool  # in the customer's last turn before a gold pitch: where the flag is decided


def gold_rows(exclude: str | None = None, styles: tuple[str, ...] = NEED_STYLES) -> list[Row]:
    """One row per sentence of every customer turn of the labelled corpus (every style of `styles`
    but `exclude`)."""
    rows: list[Row] = []
    number = 0
    for style, gold in labelled_calls(styles, exclude):
        turns = gold["transcript"]
        before_pitch = set()
        for offer in gold.get("offers", []):
            said = [t["id"] for t in turns if t["speaker"] == "customer" and t["id"] < offer["evidence"]["segment_id"]]
            if said:
                before_pitch.add(said[-1])
        context = ""
        for turn in turns:
            if turn["speaker"] != "customer":
                context = turn["text"]
                continue
            number += 1
            tagged = [_span(turn["text"], a["quote"]) for a in gold.get("acts", []) if a["act"] == "upset" and a["segment_id"] == turn["id"]]
            for a, b in split_sentences(turn["text"]):
                rows.append(Row(style, number, turn["text"][a:b].strip(), context, any(a < end and start < b for start, end in tagged),
                                turn["id"] in before_pitch))
    return rows


def _span(text: str, quote: str) -> tuple[int, int]:
    """Where the tagged words are in the turn (the whole turn when they cannot be found)."""
    at = text.find(quote)
    return (at, at + len(quote)) if at >= 0 else (0, len(text))


def by_turn(rows: list[Row], probability: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per turn before a pitch: whether its author tagged it upset, and its most upset sentence's probability."""
    upset: dict[int, bool] = {}
    most: dict[int, float] = {}
    for row, p in zip(rows, probability):
        if row.before_pitch:
            upset[row.turn] = upset.get(row.turn, False) or row.upset
            most[row.turn] = max(most.get(row.turn, 0.0), float(p))
    turns = sorted(upset)
    return np.array([upset[t] for t in turns], dtype=bool), np.array([most[t] for t in turns])


def data_hash(rows: list[Row]) -> str:
    digest = hashlib.sha256()
    for r in rows:
        digest.update(f"{r.style}\t{r.turn}\t{r.context}\t{r.text}\t{r.upset:d}{r.before_pitch:d}\n".encode())
    return digest.hexdigest()


def features(texts: list[str], contexts: list[str], cache: Path | None = None) -> np.ndarray:
    """The turn's embedding beside its context's (an empty context embeds as zeros)."""
    unique = sorted({t for t in (*texts, *contexts) if t})
    vectors = dict(zip(unique, embed_cached(unique, cache=cache))) if unique else {}
    zero = np.zeros(384, dtype=np.float32)
    return np.stack([np.concatenate([vectors.get(t, zero), vectors.get(c, zero)]) for t, c in zip(texts, contexts)])


@dataclass(frozen=True)
class UpsetModel:
    coef: np.ndarray  # (features,): log-odds of upset
    intercept: float
    threshold: float  # upset above this probability
    id: str

    def probability(self, sentences: list[str], context: str) -> float:
        """The turn's probability of upset: its most upset sentence's."""
        return max(self.sentence_probabilities(sentences, context), default=0.0)

    def sentence_probabilities(self, sentences: list[str], context: str) -> list[float]:
        if not sentences:
            return []
        return [float(p) for p in self.of_rows(features(sentences, [context] * len(sentences)))]

    def of_rows(self, X: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(X @ self.coef + self.intercept)))


def upset_confidence(probability: float, line: float) -> float:
    return margin_confidence(probability - line, line)


def _fit(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    fit = LogisticRegression(C=C, max_iter=3000, random_state=SEED).fit(X, y)
    return fit.coef_[0].astype(np.float64), float(fit.intercept_[0])


def out_of_fold(rows: list[Row], X: np.ndarray) -> np.ndarray:
    """P(upset) of each row from a model trained on the other styles of `rows`."""
    styles = np.array([r.style for r in rows])
    y = np.array([r.upset for r in rows])
    out = np.zeros(len(rows))
    for style in sorted(set(styles)):
        held = styles == style
        coef, icpt = _fit(X[~held], y[~held])
        out[held] = 1.0 / (1.0 + np.exp(-(X[held] @ coef + icpt)))
    return out


def flag_counts(upset: np.ndarray, probability: np.ndarray, line: float) -> tuple[int, int, int]:
    """(true, false, missed) upset verdicts raised past review at a line."""
    said = np.array([p > line and upset_confidence(p, line) >= REVIEW_THRESHOLD for p in probability], dtype=bool)
    return int(np.sum(said & upset)), int(np.sum(said & ~upset)), int(np.sum(~said & upset))


def choose_line(upset: np.ndarray, probability: np.ndarray) -> float:
    """The line with the best F0.5 (BETA) of the raised verdicts (ties: the higher line)."""
    return max(reversed(LINES), key=lambda t: f_beta(*flag_counts(upset, probability, t), BETA))


def train(exclude: str | None = None, styles: tuple[str, ...] = NEED_STYLES, line: float | None = None) -> tuple[UpsetModel, dict[str, Any]]:
    """Trained on every style but `exclude`; its line chosen by leave-one-style-out inside them, or
    `line` when given (a leave-one-style-out evaluation reuses the shipped line)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    rows = gold_rows(exclude, styles)
    X = features([r.text for r in rows], [r.context for r in rows], cache=CACHE_FILE)
    y = np.array([r.upset for r in rows])
    turns_upset = held_out = None
    if line is None:
        turns_upset, held_out = by_turn(rows, out_of_fold(rows, X))
        line = choose_line(turns_upset, held_out)
    coef, icpt = _fit(X, y)
    dhash = data_hash(rows)
    model_id = f"upset-lr@{dhash[:8]}" if exclude is None else f"upset-lr@without-{exclude}"
    card: dict[str, Any] = {
        "model_id": model_id,
        "kind": f"logistic regression (C={C}) of P(upset) on the MiniLM embeddings of a customer sentence and the agent's turn before it; a turn reads as its most upset sentence",
        "training_command": "python -m nlp.upset_model train",
        "seed": SEED,
        "data_sha256": dhash,
        "data": "every customer sentence of corpus/styles/<NEED_STYLES>/text, corpus/dev and audio_samples, upset where it overlaps the words an author tagged upset",
        "rows": {s: sum(1 for r in rows if r.style == s) for s in sorted({r.style for r in rows})},
        "upset_rows": int(y.sum()),
        "threshold": line,
        "threshold_selection": f"best F{BETA:g} of the verdicts raised (confidence >= {REVIEW_THRESHOLD}) among {list(LINES)} over leave-one-style-out "
                               "predictions on the customer turns just before a gold pitch",
    }
    if held_out is not None and turns_upset is not None:
        tp, fp, fn = flag_counts(turns_upset, held_out, line)
        card["accuracy_leave_one_style_out"] = {"turns_before_a_pitch": len(turns_upset), "upset": int(turns_upset.sum()), "tp": tp, "fp": fp, "fn": fn,
                                                "precision": round(tp / max(tp + fp, 1), 3), "recall": round(tp / max(tp + fn, 1), 3),
                                                "f1": round(f1(tp, fp, fn), 3)}
    return UpsetModel(coef, icpt, line, model_id), card


def save(model: UpsetModel, card: dict[str, Any], out: Path = MODEL_DIR) -> None:
    write_model(out, {"coef": [round(float(w), 6) for w in model.coef], "intercept": model.intercept, "threshold": model.threshold}, card)


@functools.lru_cache(maxsize=1)
def shipped() -> UpsetModel | None:
    """The packaged model, or None when it has not been built."""
    if (built := read_model(MODEL_DIR)) is None:
        return None
    weights, card = built
    return UpsetModel(np.array(weights["coef"]), float(weights["intercept"]), float(weights["threshold"]), card["model_id"])


def main() -> int:
    return train_command(__doc__ or "", train, save, lambda model, card: f"wrote {MODEL_DIR} ({model.id}): {sum(card['rows'].values())} sentences, "
                         f"line {model.threshold}, held out {card['accuracy_leave_one_style_out']}")


if __name__ == "__main__":
    raise SystemExit(main())
