"""A learned reading of whether the customer was upset in their turn before a pitch.

OFFER_TO_UPSET_CUSTOMER is labelled when the customer's last turn before the pitch is tagged
`upset` (clearly angry or distressed; audio_samples/render.py derives the flag from that tag). The
sentiment scorer (VADER with MiniLM anchors) reads that turn badly: "I keep running out before the
next delivery" scores -0.46 and "This is disgusting, I've paid you every month for a year" -0.21.
The turn-act model's complaint act reads grumbles as readily as anger, so it is used only on
complaint calls.

This is a logistic regression over the packaged MiniLM embeddings of the customer's turn and of
the agent's turn before it (the context: "Can I take the booking reference?" before "And don't tell
me it was already there" is not "Would you like the cover?" before "No thanks"). It is trained on
every customer turn of the styles the need model reads (`nlp.need_model.NEED_STYLES`: the training
styles and every style once scored blind), labelled by the authors' `upset` tags, and decides
"upset" above a line chosen by leave-one-style-out inside those styles for the flags it raises past
review on the turns just before a gold pitch (F1). Upset turns are rare (about 3 % of customer
turns), so the line sits low on the probability scale; the flag's confidence is 0.5 on the line and
1.0 at twice it (nlp.confidence).

    python -m nlp.upset_model train     # writes models/upset_model (weights, card with data hash)
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nlp.acts import CACHE_FILE, ROOT, embed_cached
from nlp.confidence import margin_confidence
from nlp.need_model import NEED_STYLES, labelled_calls
from nlp.policy import REVIEW_THRESHOLD

MODEL_DIR = ROOT / "models" / "upset_model"
SEED = 0
C = 1.0
# Candidate lines on P(upset); the one with the best F1 of the flags raised (confidence at least the
# review threshold) over leave-one-style-out predictions on the turns before a gold pitch is kept.
LINES = (0.05, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3)


@dataclass(frozen=True)
class Row:
    style: str
    text: str  # the customer's turn
    context: str  # the agent's turn before it ("" at the start of the call)
    upset: bool
    before_pitch: bool  # the customer's last turn before a gold pitch: where the flag is decided


def gold_rows(exclude: str | None = None, styles: tuple[str, ...] = NEED_STYLES) -> list[Row]:
    """One row per customer turn of the labelled corpus (every style of `styles` but `exclude`)."""
    rows = []
    for style, gold in labelled_calls(styles, exclude):
        turns = gold["transcript"]
        upset = {a["segment_id"] for a in gold.get("acts", []) if a["act"] == "upset"}
        before_pitch = set()
        for offer in gold.get("offers", []):
            said = [t["id"] for t in turns if t["speaker"] == "customer" and t["id"] < offer["evidence"]["segment_id"]]
            if said:
                before_pitch.add(said[-1])
        context = ""
        for turn in turns:
            if turn["speaker"] == "customer":
                rows.append(Row(style, turn["text"], context, turn["id"] in upset, turn["id"] in before_pitch))
            else:
                context = turn["text"]
    return rows


def data_hash(rows: list[Row]) -> str:
    digest = hashlib.sha256()
    for r in rows:
        digest.update(f"{r.style}\t{r.context}\t{r.text}\t{r.upset:d}{r.before_pitch:d}\n".encode())
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

    def probability(self, turn: str, context: str) -> float:
        return float(self.of_rows(features([turn], [context]))[0])

    def of_rows(self, X: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(X @ self.coef + self.intercept)))

    def confidence(self, probability: float) -> float:
        """0.5 on the line, 1.0 at twice it."""
        return upset_confidence(probability, self.threshold)


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


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def choose_line(upset: np.ndarray, probability: np.ndarray) -> float:
    """The line with the best F1 of the raised verdicts (ties: the higher line)."""
    return max(reversed(LINES), key=lambda t: f1(*flag_counts(upset, probability, t)))


def train(exclude: str | None = None, styles: tuple[str, ...] = NEED_STYLES, line: float | None = None) -> tuple[UpsetModel, dict[str, Any]]:
    """Trained on every style but `exclude`; its line chosen by leave-one-style-out inside them, or
    `line` when given (a leave-one-style-out evaluation reuses the shipped line)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    rows = gold_rows(exclude, styles)
    X = features([r.text for r in rows], [r.context for r in rows], cache=CACHE_FILE)
    y = np.array([r.upset for r in rows])
    pre = np.array([r.before_pitch for r in rows])
    held_out = None
    if line is None:
        held_out = out_of_fold(rows, X)
        line = choose_line(y[pre], held_out[pre])
    coef, icpt = _fit(X, y)
    dhash = data_hash(rows)
    model_id = f"upset-lr@{dhash[:8]}" if exclude is None else f"upset-lr@without-{exclude}"
    card: dict[str, Any] = {
        "model_id": model_id,
        "kind": f"logistic regression (C={C}) of P(upset) on the MiniLM embeddings of the customer's turn and the agent's turn before it",
        "training_command": "python -m nlp.upset_model train",
        "seed": SEED,
        "data_sha256": dhash,
        "data": "every customer turn of corpus/styles/<NEED_STYLES>/text, corpus/dev and audio_samples, labelled by the authors' upset tags",
        "rows": {s: sum(1 for r in rows if r.style == s) for s in sorted({r.style for r in rows})},
        "upset_rows": int(y.sum()),
        "threshold": line,
        "threshold_selection": f"best F1 of the verdicts raised (confidence >= {REVIEW_THRESHOLD}) among {list(LINES)} over leave-one-style-out "
                               "predictions on the customer turns just before a gold pitch",
    }
    if held_out is not None:
        tp, fp, fn = flag_counts(y[pre], held_out[pre], line)
        card["accuracy_leave_one_style_out"] = {"turns_before_a_pitch": int(pre.sum()), "upset": int(y[pre].sum()), "tp": tp, "fp": fp, "fn": fn,
                                                "precision": round(tp / max(tp + fp, 1), 3), "recall": round(tp / max(tp + fn, 1), 3),
                                                "f1": round(f1(tp, fp, fn), 3)}
    return UpsetModel(coef, icpt, line, model_id), card


def save(model: UpsetModel, card: dict[str, Any], out: Path = MODEL_DIR) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "weights.json").write_text(json.dumps({"coef": [round(float(w), 6) for w in model.coef], "intercept": model.intercept,
                                                  "threshold": model.threshold}) + "\n")
    (out / "model_card.json").write_text(json.dumps(card, indent=2) + "\n")


@functools.lru_cache(maxsize=1)
def shipped() -> UpsetModel | None:
    """The packaged model, or None when it has not been built."""
    if not (MODEL_DIR / "weights.json").is_file():
        return None
    weights = json.loads((MODEL_DIR / "weights.json").read_text())
    card = json.loads((MODEL_DIR / "model_card.json").read_text())
    return UpsetModel(np.array(weights["coef"]), float(weights["intercept"]), float(weights["threshold"]), card["model_id"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=("train",))
    ap.parse_args()
    model, card = train()
    save(model, card)
    print(f"wrote {MODEL_DIR} ({model.id}): {sum(card['rows'].values())} turns, line {model.threshold}, "
          f"held out {card['accuracy_leave_one_style_out']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
