"""The need-fit model's line measured where it is used: in the full analysis of the training
styles, each held out in turn.

`python -m nlp.need_fit_model train` chooses the line on gold offers with the gold need; there
the best line moved from 0.25 to 0.30 when MiniLM became int8, on a difference of 0.011 in F1.
This bench asks what each line does in the full analysis (offers and need as the analysis finds
them): each training style is analysed with the turn-act, need and need-fit models trained
without it, once per line, and every raised flag is scored (not only OFFER_WITHOUT_NEED). Only
training styles are read. About 45 minutes on two cores (14 trainings, then 480 calls per line).

    PYTHONPATH=. .venv/bin/python bench/need_fit_line.py [--lines 0.15 0.2 0.25 0.3 0.35 0.4] [--styles terse ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from callqa.eval.styles import evaluate_styles, style_labels
from nlp.acts import ROOT, STYLES, train_reader
from nlp.analyse import AnalysisSettings, analyse
from nlp.need_fit_model import THRESHOLDS, shipped
from nlp.need_fit_model import train as train_need_fit
from nlp.need_model import train as train_need
from nlp.policy import load_policy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=float, nargs="*", default=list(THRESHOLDS))
    parser.add_argument("--styles", nargs="*", help="training styles to read (default: all but dev)")
    args = parser.parse_args()
    policy = load_policy(None)
    labels = style_labels(ROOT / "corpus", ROOT / "audio_samples")
    styles = args.styles or [s for s in STYLES if s != "dev"]  # dev does not label every act (nlp.acts.UNLABELLED)
    readers = {}
    for style in styles:
        readers[style] = (train_reader(style), train_need(style)[0], train_need_fit(style)[0])
        print(f"# trained without {style}", file=sys.stderr, flush=True)
    best, current = None, shipped().threshold
    for line in args.lines:
        def reader_for(style: str, line: float = line):  # type: ignore[no-untyped-def]
            turn_acts, need, need_fit = readers[style]
            settings = AnalysisSettings(policy, turn_acts=turn_acts, need_model=need,
                                        need_fit_model=dataclasses.replace(need_fit, threshold=line))
            return lambda transcript: analyse(transcript, settings)

        r = evaluate_styles(reader_for, {s: labels[s] for s in styles}, pooled=True)[-1]  # the pooled row (the style, when one)
        unfit = r.flag_counts.get("OFFER_WITHOUT_NEED", {"tp": 0, "fp": 0, "fn": 0})
        mark = "  <- shipped" if line == current else ""
        print(f"line {line:.2f}: {r.calls} calls, flags F1 {r.flags_f1.value:.3f} (P {r.flags_precision.value:.3f} "
              f"R {r.flags_recall.value:.3f}), OFFER_WITHOUT_NEED tp {unfit['tp']} fp {unfit['fp']} fn {unfit['fn']}{mark}", flush=True)
        if best is None or r.flags_f1.value > best[1]:
            best = (line, r.flags_f1.value)
    print(f"RESULT need_fit_line best={best[0]:.2f} flags_f1={best[1]:.3f} shipped={current:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
