"""Nested leave-one-style-out check of the learned need fit (nlp/need_fit_model.py) in the full
analysis, against the similarity rule it replaces, and the choice of its line there.

The model's own line is chosen on gold offers with the gold need. In the analysis it sees the
need as read (right on about two calls in three held out) and the offers as found (some of them
not offers at all), so the line that serves OFFER_WITHOUT_NEED best may differ. Every style's
calls are analysed with the turn-act, need and need-fit models trained without that style; each
found offer keeps the model's probability of no fit. Per call, the flag is raised when any offer
is judged unfit. For each held-out style the line with the best flag F1 over the other styles is
scored on it (nested), beside the model's own line and the similarity rule.

    PYTHONPATH=. .venv/bin/python bench/need_fit_model.py     # about 6 minutes on two cores
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from callqa.eval.compare import transcript_from_labels
from callqa.eval.styles import style_labels
from nlp.acts import ROOT, STYLES, train_reader
from nlp.analyse import AnalysisSettings, analyse
from nlp.need_fit_model import f1
from nlp.need_fit_model import train as train_need_fit
from nlp.need_model import train as train_need
from nlp.policy import load_policy

LINES = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
CODE = "OFFER_WITHOUT_NEED"


@dataclass(frozen=True)
class CallVerdicts:
    style: str
    gold_flag: bool
    rule_flag: bool  # the similarity rule's reading of the same offers
    fixed: tuple[bool, ...]  # offers judged unfit by a rule before the model (catalog), whatever the line
    unfit: tuple[float, ...]  # the model's P(no fit) of the other offers
    model_line: float


def verdicts() -> list[CallVerdicts]:
    policy = load_policy(None)
    labels = style_labels(ROOT / "corpus", ROOT / "audio_samples")
    out = []
    for style in STYLES:
        acts, needs, fits = train_reader(style), train_need(style)[0], train_need_fit(style)[0]
        with_model = AnalysisSettings(policy, turn_acts=acts, need_model=needs, need_fit_model=fits)
        rules = AnalysisSettings(policy, turn_acts=acts, need_model=needs, need_fit_model=None)
        for gold in labels[style]:
            transcript = transcript_from_labels(gold)
            found, by_rules = analyse(transcript, with_model), analyse(transcript, rules)
            fixed, unfit = [], []
            for offer in found.offers:
                rule = offer.need_fit_rule or ""
                if rule.startswith(fits.id + ":"):
                    unfit.append(float(rule.removeprefix(fits.id + ":").split(":")[0]))
                else:
                    fixed.append(not offer.need_fit)
            out.append(CallVerdicts(style, CODE in set(gold.get("flags", [])), any(f.code == CODE for f in by_rules.flags),
                                    tuple(fixed), tuple(unfit), fits.threshold))
    return out


def _raised(call: CallVerdicts, line: float | None) -> bool:
    """The flag at a line (None: the model's own line for that style)."""
    line = call.model_line if line is None else line
    return any(call.fixed) or any(p > line for p in call.unfit)


def _counts(calls: list[CallVerdicts], raised) -> tuple[int, int, int]:
    said = [(raised(c), c.gold_flag) for c in calls]
    return sum(s and g for s, g in said), sum(s and not g for s, g in said), sum(g and not s for s, g in said)


def main() -> int:
    calls = verdicts()
    pooled = {"similarity rule": [0, 0, 0], "model, its own line": [0, 0, 0], "model, nested line": [0, 0, 0]}
    for held in STYLES:
        mine = [c for c in calls if c.style == held]
        others = [c for c in calls if c.style != held]
        best = max(LINES, key=lambda t: (f1(*_counts(others, lambda c: _raised(c, t))), t))
        rows = {
            "similarity rule": _counts(mine, lambda c: c.rule_flag),
            "model, its own line": _counts(mine, lambda c: _raised(c, None)),
            "model, nested line": _counts(mine, lambda c: _raised(c, best)),
        }
        print(f"{held:<10} nested line {best:.1f} | " + " | ".join(f"{k}: tp {tp} fp {fp} fn {fn}" for k, (tp, fp, fn) in rows.items()))
        if held != "dev":
            for k, counts in rows.items():
                pooled[k] = [a + b for a, b in zip(pooled[k], counts)]
    for k, (tp, fp, fn) in pooled.items():
        p = tp / (tp + fp) if tp + fp else 0.0
        print(f"pooled over the six styles, {k}: tp {tp} fp {fp} fn {fn}, P {p:.2f}, R {tp / (tp + fn):.2f}, F1 {f1(tp, fp, fn):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
