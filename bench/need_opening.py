"""Nested leave-one-style-out choice of what the learned need model reads (nlp/need_model.py
OPENING_TURNS): the mean embedding of the customer's first 1, 2, 3 or 6 turns before the first
gold offer, with or without the sentences tagged as stating the need as extra training rows.

For each held-out style: every option is scored on each other style by a model trained on the
rest (without the held-out style), the best option over them is scored on the held-out style.
The learned model alone is scored here, not its blend with the exemplars (bench/need_blend.py).

    PYTHONPATH=. .venv/bin/python bench/need_opening.py     # about a minute once embeddings are cached
"""

from __future__ import annotations

import sys

import numpy as np
from sklearn.linear_model import LogisticRegression

from callqa.eval.styles import style_labels
from nlp.acts import ROOT, STYLES, embed_cached
from nlp.need_model import SEED, opening_turns

OPTIONS = [(turns, need_rows) for turns in (1, 2, 3, 6) for need_rows in (False, True)]


def read_calls() -> list[dict]:
    calls = []
    for style, golds in style_labels(ROOT / "corpus", ROOT / "audio_samples").items():
        for gold in golds:
            first = min((o["start"] for o in gold.get("offers", [])), default=float("inf"))
            said = [(t["speaker"], t["text"]) for t in gold["transcript"] if t["start"] < first]
            turns = [" ".join(said[i][1] for i in turn) for turn in opening_turns(said, max(t for t, _ in OPTIONS))]
            quotes = [a["quote"] for a in gold.get("acts", []) if a["act"] == "need"] or [gold["need"]["evidence"]["quote"]]
            calls.append({"style": style, "need": gold["need"]["label"], "turns": turns, "quotes": quotes})
    texts = sorted({t for c in calls for t in c["turns"] + c["quotes"]})
    vectors = dict(zip(texts, embed_cached(texts)))
    for c in calls:
        c["turn_vectors"] = [vectors[t] for t in c["turns"]] or [np.zeros(384, dtype=np.float32)]
        c["quote_vectors"] = [vectors[q] for q in c["quotes"]]
    return calls


def right(calls: list[dict], option: tuple[int, bool], train: set[str], test: str) -> int:
    turns, need_rows = option
    X, y = [], []
    for c in (c for c in calls if c["style"] in train):
        X.append(np.mean(c["turn_vectors"][:turns], axis=0))
        y.append(c["need"])
        if need_rows:
            X += c["quote_vectors"]
            y += [c["need"]] * len(c["quote_vectors"])
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000, random_state=SEED).fit(np.array(X), y)
    held = [c for c in calls if c["style"] == test]
    found = model.predict(np.array([np.mean(c["turn_vectors"][:turns], axis=0) for c in held]))
    return int(sum(f == c["need"] for f, c in zip(found, held)))


def main() -> int:
    calls = read_calls()
    total = n = 0
    for held in STYLES:
        others = [s for s in STYLES if s != held]
        inner = {o: sum(right(calls, o, set(others) - {i}, i) for i in others) for o in OPTIONS}
        best = max(OPTIONS, key=lambda o: inner[o])
        got, size = right(calls, best, set(others), held), sum(c["style"] == held for c in calls)
        print(f"{held:<10} chosen {best[0]} turn(s), need sentences {'in' if best[1] else 'out'}: {got}/{size}", flush=True)
        if held != "dev":
            total, n = total + got, n + size
    print(f"nested choice, learned model alone, pooled over the styles but dev: {total}/{n} = {total / n:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
