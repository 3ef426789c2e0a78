"""Nested leave-one-style-out choice of the learned need model's weight against the exemplar
classifier (nlp/need_model.py MODEL_WEIGHT), and of whether the upset-opening complaint rule
stays beside it.

For each held-out style h: every option is scored on every other style i by a model trained
without h and i; the option best over those is then scored on h by a model trained without h.
So no style's result influenced the option it is scored with. The need is read before the
first GOLD offer here (the analysis uses the first offer it finds), so figures differ a little
from `callqa eval --styles`. 
    PYTHONPATH=. .venv/bin/python bench/need_blend.py
"""
import sys
from dataclasses import replace

import numpy as np
from sklearn.linear_model import LogisticRegression

from nlp.acts import ROOT, STYLES, embed_cached
from nlp.parse import parse
from nlp.policy import load_policy
from nlp.need import as_complaint_when_upset, classify_need
from nlp.sentiment import SentimentConfig, score_sentiment
from nlp import need_model as nm
from callqa.eval.compare import transcript_from_labels
from callqa.eval.styles import style_labels
LABELS = nm.DEFAULT_NEEDS
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
OPTIONS = [(w, upset_rule) for w in WEIGHTS for upset_rule in (True, False)]


def read_calls(policy) -> list[dict]:
    """Per labelled call: its style, gold need, the exemplar classifier's finding, the customer's
    opening sentiment and the mean embedding of the opening turns."""
    calls = []
    for style, golds in style_labels(ROOT / "corpus", ROOT / "audio_samples").items():
        for gold in golds:
            parsed = parse(transcript_from_labels(gold))
            first = min((o["start"] for o in gold.get("offers", [])), default=None)
            opening = score_sentiment(parsed, first, SentimentConfig()).to_dict()["customer"]["start"]
            before = [s for s in parsed.sentences if first is None or s.start < first]
            turns = [" ".join(before[i].text for i in t) for t in nm.opening_turns([(s.speaker, s.text) for s in before])]
            calls.append({"style": style, "gold": gold["need"]["label"], "exemplars": classify_need(parsed, policy, until=first),
                          "opening": opening["score"] if opening else None,
                          "vector": embed_cached(turns).mean(axis=0) if turns else None})
    return calls


def label(policy, model: LogisticRegression, call: dict, weight: float, upset_rule: bool) -> str:
    exemplars = call["exemplars"]
    learned = np.zeros(len(LABELS))
    if call["vector"] is not None:
        learned[model.classes_] = model.predict_proba(call["vector"][None])[0]
    scores = {name: weight * learned[k] + (1 - weight) * exemplars.scores[name] for k, name in enumerate(LABELS)}
    best = max(scores, key=lambda k: scores[k])
    need = replace(exemplars, label=best, confidence=scores[best], scores=scores)
    if upset_rule:
        need = as_complaint_when_upset(need, call["opening"], exemplars.evidence, policy.upset_threshold)
    return need.label


def main() -> int:
    policy = load_policy(None)
    calls = read_calls(policy)
    rows = nm._call_rows(None)
    features = nm._features(rows)
    models: dict[tuple[str, ...], LogisticRegression] = {}

    def without(styles: set[str]) -> LogisticRegression:
        key = tuple(sorted(styles))
        if key not in models:
            keep = [i for i, r in enumerate(rows) if r.style not in styles]
            models[key] = LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000, random_state=nm.SEED).fit(
                features[keep], [LABELS.index(rows[i].need) for i in keep])
        return models[key]

    def right(model, style: str, option) -> int:
        return sum(label(policy, model, c, *option) == c["gold"] for c in calls if c["style"] == style)

    chosen_right, n, fixed = 0, 0, {o: 0 for o in OPTIONS}
    for held in STYLES:
        inner = {o: sum(right(without({held, other}), other, o) for other in STYLES if other != held) for o in OPTIONS}
        best = max(OPTIONS, key=lambda o: inner[o])
        outer = {o: right(without({held}), held, o) for o in OPTIONS}
        size = sum(1 for c in calls if c["style"] == held)
        print(f"{held:<10} chosen weight {best[0]:.2f}, upset rule {'on' if best[1] else 'off'}: {outer[best]}/{size}", flush=True)
        if held != "dev":
            chosen_right, n = chosen_right + outer[best], n + size
            for o in OPTIONS:
                fixed[o] += outer[o]
    print(f"nested choice, pooled over the styles but dev: {chosen_right}/{n} = {chosen_right / n:.2f}")
    for (w, upset_rule), k in fixed.items():
        print(f"  weight {w:.2f}, upset rule {'on ' if upset_rule else 'off'}: {k}/{n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
