"""Nested leave-one-style-out choice of need fit's similarity threshold (nlp/rules/need_fit.yaml
`min_similarity`).

Every style's calls are analysed with the turn-act and need models trained without that style;
the offers matched to a gold offer whose need fit was decided by embedding similarity give
(similarity, gold need fit) pairs. For each held-out style, the threshold that is right most
often on the other styles is scored on it, so no style's result influences the threshold it is
scored with. Prints the choice per style and the pooled result of the choice against the
current threshold.

    PYTHONPATH=. .venv/bin/python bench/need_fit_threshold.py     # about 5 minutes on two cores
"""

from __future__ import annotations

import sys

from callqa.eval.compare import match_offers, transcript_from_labels
from callqa.eval.styles import style_labels
from nlp.acts import ROOT, STYLES, train_reader
from nlp.analyse import AnalysisSettings, analyse
from nlp.need_fit import fit_rules
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
        settings = AnalysisSettings(policy, turn_acts=train_reader(style), need_model=train_need(style)[0])
        for gold in labels[style]:
            found = analyse(transcript_from_labels(gold), settings)
            for g, p in match_offers(gold.get("offers", []), found.offers):
                if (p.need_fit_rule or "").startswith(PREFIX):
                    out.append((style, float(p.need_fit_rule.removeprefix(PREFIX)), bool(g["need_fit"])))
    return out


def main() -> int:
    rows = similarity_verdicts()

    def right(threshold: float, styles: set[str]) -> int:
        return sum((s >= threshold) == fit for style, s, fit in rows if style in styles)

    current = fit_rules().min_similarity
    chosen_right = current_right = n = 0
    for held in STYLES:
        others = set(STYLES) - {held}
        best = max(GRID, key=lambda t: (right(t, others), t))
        size = sum(1 for style, _, _ in rows if style == held)
        print(f"{held:<10} chosen {best:.2f}: {right(best, {held})}/{size} right (at {current:.2f}: {right(current, {held})})")
        if held != "dev":
            chosen_right, current_right, n = chosen_right + right(best, {held}), current_right + right(current, {held}), n + size
    print(f"pooled over the styles but dev: nested choice {chosen_right}/{n}, current threshold {current:.2f} {current_right}/{n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
