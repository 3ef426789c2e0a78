"""The line from which the turn-act model's likeliest answer (yes, no, "let me think") counts in
the window after a pitch or close (nlp.sales.ANSWER_LINE), over the ten training styles held out
one at a time: each style analysed with the models trained without it, at each line of the grid
("off" leaves answers to the rules and the model's own per-act thresholds). Prints, per line, the
customer response right on offers matched to a gold offer, closes exact, flags P/R/F1 and the
no-sale false alarms, pooled over the styles. Not nested: the line was chosen on these figures.

    PYTHONPATH=. .venv/bin/python bench/answer_line.py     # about 15 minutes on two cores
"""

from __future__ import annotations

from collections import Counter

import nlp.sales
from callqa.eval.compare import match_offers, transcript_from_labels
from callqa.eval.styles import style_labels, summarise
from callqa.eval.styles import score_call
from nlp.acts import ROOT, STYLES, train_reader
from nlp.analyse import AnalysisSettings, analyse
from nlp.need_fit_model import train as train_need_fit
from nlp.need_model import train as train_need
from nlp.policy import load_policy

LINES: tuple[float, ...] = (0.5, 0.6, 0.7, 1.01)  # 1.01: off


def main() -> int:
    labels = style_labels(ROOT / "corpus", ROOT / "audio_samples")
    policy = load_policy(None)
    held_out = [s for s in STYLES if s != "dev"]
    settings = {s: AnalysisSettings(policy, turn_acts=train_reader(s), need_model=train_need(s)[0],
                                    need_fit_model=train_need_fit(s)[0]) for s in held_out}
    for line in LINES:
        nlp.sales.ANSWER_LINE = line  # read at call time by nlp.sales.model_answer
        calls, answers = [], Counter()
        for style in held_out:
            for gold in labels[style]:
                found = analyse(transcript_from_labels(gold), settings[style])
                calls.append(score_call(gold, found))
                answers.update(g["customer_response"] == p.customer_response for g, p in match_offers(gold.get("offers", []), found.offers))
        r = summarise("ten styles", calls)
        name = "off" if line > 1 else f"{line:.2f}"
        print(f"line {name}: response right {answers[True]}/{answers[True] + answers[False]}, closes exact {r.closes_exact.text()}, "
              f"flags P {r.flags_precision.text()} R {r.flags_recall.text()} F1 {r.flags_f1.text()}, "
              f"no-sale offer {r.no_sale_offer.text()} flag {r.no_sale_flag.text()}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
