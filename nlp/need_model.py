"""A learned reading of the customer's need, beside the exemplar classifier (nlp/need.py).

A multinomial logistic head over the packaged MiniLM sentence embeddings, trained on the
sentences in which customers state their need in every labelled corpus style (the `need` acts
of corpus/styles, the need evidence of corpus/dev and audio_samples), plus the banking77
training queries whose intent maps onto the taxonomy (../shared/data, nlp/rules/public_need_maps.yaml).
At analysis time it reads the customer's sentences before the first offer, weighted by how much
the turn-act model thinks each states a need, and its probabilities are averaged with the
exemplar classifier's (half each, fixed beforehand, not tuned on any evaluation).

    python -m nlp.need_model train     # writes models/need_model (weights, card with data hash)
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from nlp.acts import ROOT, embed_cached
from nlp.vocabulary import DEFAULT_NEEDS

MODEL_DIR = ROOT / "models" / "need_model"
SHARED = ROOT.parent / "shared" / "data"
BANKING77_SAMPLE = 2000  # of the mapped training queries: breadth without drowning the call styles
SEED = 0
MODEL_WEIGHT = 0.5  # the learned probabilities' share against the exemplar classifier's


def _call_rows(exclude: str | None) -> list[tuple[str, str, str]]:
    """(style, text, need) for every need sentence of the labelled corpora."""
    rows = []
    styles = {d.name: d / "text" for d in sorted((ROOT / "corpus" / "styles").iterdir()) if (d / "text").is_dir()}
    styles["dev"] = ROOT / "corpus" / "dev"
    for style, folder in styles.items():
        if style == exclude:
            continue
        files = sorted(folder.rglob("*.labels.json")) + (sorted((ROOT / "audio_samples").glob("*.labels.json")) if style == "dev" else [])
        for path in files:
            gold = json.loads(path.read_text())
            quotes = [a["quote"] for a in gold.get("acts", []) if a["act"] == "need"]
            if not quotes and (gold.get("need") or {}).get("evidence"):
                quotes = [gold["need"]["evidence"]["quote"]]
            rows += [(style, q, gold["need"]["label"]) for q in quotes]
    return rows


def _banking77_rows() -> list[tuple[str, str, str]]:
    path = SHARED / "banking77" / "train.csv"
    if not path.is_file():
        return []
    mapping = yaml.safe_load((ROOT / "nlp" / "rules" / "public_need_maps.yaml").read_text())["banking77"]
    with path.open(newline="") as handle:
        mapped = [("banking77", r["text"], mapping[r["category"]]) for r in csv.DictReader(handle) if r["category"] in mapping]
    rng = np.random.default_rng(SEED)
    return [mapped[i] for i in sorted(rng.choice(len(mapped), min(BANKING77_SAMPLE, len(mapped)), replace=False))]


def data_hash(rows: list[tuple[str, str, str]]) -> str:
    digest = hashlib.sha256()
    for style, text, need in rows:
        digest.update(f"{style}\t{text}\t{need}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class NeedModel:
    coef: np.ndarray  # (labels, features)
    intercept: np.ndarray
    labels: tuple[str, ...]
    id: str

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """Per text, a probability per label (rows sum to one)."""
        z = embed_cached(texts, cache=None) @ self.coef.T + self.intercept
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)


def train(exclude: str | None = None) -> tuple[NeedModel, dict[str, Any]]:
    """Trained on every style but `exclude` (leave-one-style-out), with banking77's mapped queries."""
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    rows = _call_rows(exclude) + _banking77_rows()
    X = embed_cached([t for _, t, _ in rows])
    y = np.array([DEFAULT_NEEDS.index(n) for _, _, n in rows])
    fit = LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000, random_state=SEED).fit(X, y)
    coef = np.zeros((len(DEFAULT_NEEDS), X.shape[1]), dtype=np.float32)
    icpt = np.full(len(DEFAULT_NEEDS), -30.0, dtype=np.float32)
    for row, label in enumerate(fit.classes_):
        coef[label], icpt[label] = fit.coef_[row], fit.intercept_[row]
    dhash = data_hash(rows)
    model_id = f"need-lr@{dhash[:8]}" if exclude is None else f"need-lr@without-{exclude}"
    card = {
        "model_id": model_id,
        "kind": "multinomial logistic regression (class_weight=balanced, C=1) on MiniLM sentence embeddings",
        "training_command": "python -m nlp.need_model train",
        "seed": SEED,
        "data_sha256": dhash,
        "data": "need sentences of corpus/styles/*/text, corpus/dev and audio_samples labels; "
                f"{BANKING77_SAMPLE} mapped banking77 training queries (../shared/data)",
        "sentences": {s: sum(1 for r in rows if r[0] == s) for s in sorted({r[0] for r in rows})},
        "labels": list(DEFAULT_NEEDS),
        "blend": f"{MODEL_WEIGHT} x these probabilities + {1 - MODEL_WEIGHT} x the exemplar classifier's",
        "accuracy": "see README, Evaluation: callqa eval --styles (leave-one-style-out need accuracy)",
    }
    return NeedModel(coef, icpt, DEFAULT_NEEDS, model_id), card


def save(model: NeedModel, card: dict[str, Any], out: Path = MODEL_DIR) -> None:
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "weights.npz", coef=model.coef, intercept=model.intercept, labels=np.array(model.labels))
    (out / "model_card.json").write_text(json.dumps(card, indent=2) + "\n")


@functools.lru_cache(maxsize=1)
def shipped() -> NeedModel | None:
    """The packaged model, or None when it has not been built."""
    if not (MODEL_DIR / "weights.npz").is_file():
        return None
    z = np.load(MODEL_DIR / "weights.npz")
    card = json.loads((MODEL_DIR / "model_card.json").read_text())
    return NeedModel(z["coef"], z["intercept"], tuple(z["labels"].tolist()), card["model_id"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=("train",))
    ap.parse_args()
    model, card = train()
    save(model, card)
    print(f"wrote {MODEL_DIR} ({model.id}): {sum(card['sentences'].values())} sentences")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def with_learned_need(need: Any, parsed: Any, reading: list | None, model: NeedModel, until: float | None) -> Any:
    """The exemplar classifier's NeedFinding averaged with the learned model's reading of the
    customer's sentences before the first offer (each weighted by the turn-act model's `need`
    score when there is a reading). A label the blend changes gets the model's evidence: the
    customer sentence that weighs most for it."""
    from dataclasses import replace

    if set(need.scores) != set(model.labels):
        return need  # a policy with its own taxonomy: the model knows only the default one
    picked = [i for i, s in enumerate(parsed.sentences) if s.speaker == "customer" and (until is None or s.start < until)]
    if not picked:
        return need
    probs = model.probabilities([parsed.sentences[i].text for i in picked])
    weights = np.array([max(reading[i].score("need"), 0.05) if reading else 1.0 for i in picked])
    learned = (weights[:, None] * probs).sum(axis=0) / weights.sum()
    scores = {label: round(MODEL_WEIGHT * float(learned[k]) + (1 - MODEL_WEIGHT) * need.scores[label], 4)
              for k, label in enumerate(model.labels)}
    label = max(scores, key=lambda k: scores[k])
    evidence = need.evidence
    if label != need.label:
        k = model.labels.index(label)
        best = picked[int(np.argmax(weights * probs[:, k]))]
        evidence = parsed.sentences[best].evidence(parsed, model.id).decided_by(model.id, float(learned[k]))
    return replace(need, label=label, confidence=scores[label], evidence=evidence, scores=scores)
