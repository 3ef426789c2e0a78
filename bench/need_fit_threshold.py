"""Nested leave-one-style-out choice of need fit's similarity threshold (nlp/rules/need_fit.yaml
`min_similarity`).

Every style's calls are analysed with the turn-act and need models trained without that style;
the offers matched to a gold offer whose need fit was decided by embedding similarity give
(similarity, gold need fit) pairs. For each held-out style, the threshold that is right most
often on the other styles is scored on it, so no style's result influences the threshold it is
scored with. Two objectives: the verdict's accuracy, and the F1 of OFFER_WITHOUT_NEED (an offer
that serves no need is the positive). Prints each choice per style and the pooled results.

    PYTHONPATH=. .venv/bin/python bench/need_fit_threshold.py     # about 5 minutes on two cores
"""

from __future__ import annotations

import sys

from callqa.eval.compare import match_offers, transcript_from_labels
from callqa.eval.styles import style_labels
from nlp.acts import ROOT, STYLES, train_reader
from nlp.analyse import AnalysisSettings, analyse
from nlp.need_fit import fit_rules
from nlp.need_fit_model import f1
from nlp.need_model import train as train_need
from nlp.policy import load_policy

GRID = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
PREFIX = "NEEDFIT-SIMILARITY:"


def similarity_verdicts() -> list[tuple[str, float, bool]]:
    """(style, similarity, gold need fit) for matched offers decided by similarity."""
    policy = load_policy(None)
    labels = style_labels(ROOT / "corpus", ROOT / "audio_samples")
    out = []
    for style in STYLES:
        settings = AnalysisSettings(policy, turn_acts=train_reader(style), need_model=train_need(style)[0], need_fit_model=None)
        for gold in labels[style]:
            found = analyse(transcript_from_labels(gold), settings)
            for g, p in match_offers(gold.get("offers", []), found.offers):
                if (p.need_fit_rule or "").startswith(PREFIX):
                    out.append((style, float(p.need_fit_rule.removeprefix(PREFIX)), bool(g["need_fit"])))
    return out


def _counts(rows: list[tuple[str, float, bool]], threshold: float, styles: set[str]) -> tuple[int, int, int, int]:
    """(right, tp, fp, fn) of "serves no need" (similarity under the threshold) against gold."""
    mine = [(s < threshold, not fit) for style, s, fit in rows if style in styles]
    return (sum(p == g for p, g in mine), sum(p and g for p, g in mine), sum(p and not g for p, g in mine),
            sum(g and not p for p, g in mine))


def main() -> int:
    rows = similarity_verdicts()
    current = fit_rules().min_similarity
    objectives = {"accuracy": lambda c: c[0], "flag F1": lambda c: f1(*c[1:])}
    for name, objective in objectives.items():
        pooled = [0, 0, 0, 0]
        for held in STYLES:
            others = set(STYLES) - {held}
            best = max(GRID, key=lambda t: (objective(_counts(rows, t, others)), t))
            right, tp, fp, fn = _counts(rows, best, {held})
            size = sum(1 for style, _, _ in rows if style == held)
            print(f"{name:<8} {held:<10} chosen {best:.2f}: {right}/{size} right, tp {tp} fp {fp} fn {fn}")
            if held != "dev":
                pooled = [a + b for a, b in zip(pooled, (right, tp, fp, fn))]
        print(f"{name:<8} pooled over the styles but dev: {pooled[0]} right, flag F1 {f1(*pooled[1:]):.2f} "
              f"(tp {pooled[1]} fp {pooled[2]} fn {pooled[3]})")
    six = set(STYLES) - {"dev"}
    for threshold in GRID:
        right, tp, fp, fn = _counts(rows, threshold, six)
        mark = "  <- current" if threshold == current else ""
        print(f"threshold {threshold:.2f} on the six styles: {right} right, flag F1 {f1(tp, fp, fn):.2f} (tp {tp} fp {fp} fn {fn}){mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
