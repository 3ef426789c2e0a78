"""Nested leave-one-style-out choice of the turn-act model's pitch line in the full analysis.

The model's own line for `pitch` (0.9) was chosen for F0.5 on sentences: precision first, since a
sentence read as a pitch can open an offer on a call that sold nothing. In the analysis a model
pitch opens an offer only with a specific product named, and rules veto service questions, so a
lower line may find more offers without many more false ones. Every style is analysed with the
models trained without it at each line of the grid; for each held-out style the line with the
best pooled flags F1 over the other styles (ties: the higher line) is scored on it.

    PYTHONPATH=. .venv/bin/python bench/pitch_line.py     # about 10 minutes on two cores
"""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np

from callqa.eval.compare import transcript_from_labels
from callqa.eval.styles import CallScore, score_call, style_labels
from nlp.acts import ACTS, ROOT, STYLES, train_reader
from nlp.analyse import AnalysisSettings, analyse
from nlp.need_fit_model import f1
from nlp.need_fit_model import train as train_need_fit
from nlp.need_model import train as train_need
from nlp.policy import load_policy

LINES = (0.5, 0.6, 0.7, 0.8, 0.9)


def scores_per_line() -> dict[tuple[str, float], list[CallScore]]:
    policy = load_policy(None)
    labels = style_labels(ROOT / "corpus", ROOT / "audio_samples")
    out = {}
    for style in STYLES:
        reader, needs, fits = train_reader(style), train_need(style)[0], train_need_fit(style)[0]
        for line in LINES:
            thresholds = np.array(reader.thresholds, copy=True)
            thresholds[ACTS.index("pitch")] = line
            settings = AnalysisSettings(policy, turn_acts=replace(reader, thresholds=thresholds), need_model=needs, need_fit_model=fits)
            out[(style, line)] = [score_call(gold, analyse(transcript_from_labels(gold), settings)) for gold in labels[style]]
        print(f"{style} done", file=sys.stderr)
    return out


def totals(calls: list[CallScore]) -> dict[str, float]:
    tp, fp, fn = (sum(getattr(c, k) for c in calls) for k in ("flags_tp", "flags_fp", "flags_fn"))
    matched, found, gold = (sum(getattr(c, k) for c in calls) for k in ("matched_offers", "found_offers", "gold_offers"))
    no_sale = [c for c in calls if c.no_sale]
    return {"flags_f1": f1(tp, fp, fn), "tp": tp, "fp": fp, "fn": fn,
            "offers_p": matched / found if found else 0.0, "offers_r": matched / gold if gold else 0.0,
            "no_sale_offer": sum(c.found_offers > 0 for c in no_sale), "no_sale": len(no_sale),
            "closes": sum(c.closes_exact for c in calls), "calls": len(calls)}


def main() -> int:
    runs = scores_per_line()
    six = [s for s in STYLES if s != "dev"]
    for line in LINES:
        t = totals([c for s in six for c in runs[(s, line)]])
        print(f"line {line}: six styles flags F1 {t['flags_f1']:.3f} ({t['tp']}/{t['fp']}/{t['fn']}), offers P {t['offers_p']:.2f} "
              f"R {t['offers_r']:.2f}, no-sale offers {t['no_sale_offer']}/{t['no_sale']}, closes {t['closes']}/{t['calls']}")
    nested = []
    for held in STYLES:
        others = [s for s in STYLES if s != held]
        best = max(reversed(LINES), key=lambda line: totals([c for s in others for c in runs[(s, line)]])["flags_f1"])
        t = totals(runs[(held, best)])
        print(f"{held:<10} chosen {best}: flags {t['tp']}/{t['fp']}/{t['fn']}, offers P {t['offers_p']:.2f} R {t['offers_r']:.2f}, "
              f"no-sale offers {t['no_sale_offer']}/{t['no_sale']}")
        if held != "dev":
            nested += runs[(held, best)]
    t = totals(nested)
    print(f"nested, pooled over the six styles: flags F1 {t['flags_f1']:.3f} ({t['tp']}/{t['fp']}/{t['fn']}), offers P {t['offers_p']:.2f} "
          f"R {t['offers_r']:.2f}, no-sale offers {t['no_sale_offer']}/{t['no_sale']}, closes {t['closes']}/{t['calls']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
