"""Do more authors in training read unseen styles better? Held-out styles scored two ways.

    PYTHONPATH=. python bench/training_breadth.py --styles outbound,retention --json out.jsonl
    PYTHONPATH=. python bench/training_breadth.py          # every style not in nlp.acts.STYLES
    PYTHONPATH=. python bench/training_breadth.py --acts-only --groups 5   # the turn-act model alone

Each style named (by default every corpus style outside training) is scored with the default
reading three times, with the same analysis code:

- "narrow": the turn-act model's narrow half alone (trained on nlp.acts.STYLES, which holds none
  of these styles) and need and need-fit models trained on nlp.need_model.NEED_STYLES but the
  one scored (the shipped turn-act model before 2026-12-06);
- "broad": the same three models trained on every style of the corpus but the one scored
  (the training styles and all the other held-out ones);
- "average": the two turn-act models as one, by the mean of their logits (nlp.acts.averaged), with
  the narrow variant's need and need-fit models: the shipped model's form.

With `--acts-only` the broad variant changes the turn-act model alone (need and need-fit as in
"narrow"). With `--groups N` the styles are split into N groups (every Nth style) and each group
is scored by broad models trained once without the whole group: N trainings instead of one a
style, still whole styles held out. The product scorer is the shipped one in all three (it never saw a
held-out style). Per style and pooled, the figures are `callqa eval --styles`' own (score_call,
summarise, markdown). Each style's rows are printed when it finishes, so a run cut short still gives paired figures. On
these 2 shared cores a style takes about 2-5 minutes for the training and 1 for the scoring.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from callqa.cli import _settings
from callqa.eval.compare import transcript_from_labels
from callqa.eval.styles import markdown, score_call, style_labels, summarise
from nlp import acts, need_fit_model, need_model
from nlp.analyse import AnalysisSettings, analyse
from nlp.policy import cached_policy

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--styles", help="comma-separated held-out styles (default: every corpus style outside nlp.acts.STYLES)")
    ap.add_argument("--acts-only", action="store_true", help="broaden the turn-act model alone")
    ap.add_argument("--groups", type=int, default=0, help="train once per group of N styles held out together")
    ap.add_argument("--json", type=Path, help="append one JSON line per (variant, style)")
    args = ap.parse_args()
    settings = _settings(None, None)
    policy = cached_policy(str(settings.policy) if settings.policy else None)
    labels = style_labels(ROOT / "corpus", ROOT / "audio_samples")
    held = [s for s in labels if s not in acts.STYLES]
    styles = args.styles.split(",") if args.styles else held
    unknown = [s for s in styles if s not in held]
    if unknown:
        raise SystemExit(f"not held-out corpus styles: {', '.join(unknown)} (held out: {', '.join(held)})")
    every = (*acts.STYLES[:-1], *held, acts.STYLES[-1])  # "dev" stays last, as in nlp.acts.STYLES
    rows: dict[str, list] = {"narrow": [], "broad": [], "average": []}
    narrow = acts.train_reader(None, acts.STYLES)
    groups = [styles[k::args.groups] for k in range(args.groups)] if args.groups else [[s] for s in styles]
    for group in groups:
        trained_on = tuple(s for s in every if s not in group)
        turn_acts = acts.train_reader(None, trained_on)
        average = acts.averaged(narrow, turn_acts, f"{narrow.id}+{turn_acts.id}")
        # the broad need and need-fit models depend on the group only: trained once for it
        broad_need = None if args.acts_only else need_model.train(None, trained_on)[0]
        broad_fit = None if args.acts_only else need_fit_model.train(None, trained_on)[0]
        for style in group:
            # the shipped need and need-fit models have read the held-out styles: ones trained without this style
            need, fit = need_model.train(style)[0], need_fit_model.train(style)[0]
            narrow_only = AnalysisSettings(policy, turn_acts=narrow, need_model=need, need_fit_model=fit)
            if args.acts_only:
                broad = AnalysisSettings(policy, turn_acts=turn_acts, need_model=need, need_fit_model=fit)
            else:
                broad = AnalysisSettings(policy, turn_acts=turn_acts, need_model=broad_need, need_fit_model=broad_fit)
            readings = [("narrow", narrow_only), ("broad", broad),
                        ("average", AnalysisSettings(policy, turn_acts=average, need_model=need, need_fit_model=fit))]
            for variant, analysis_settings in readings:
                scored = [score_call(gold, analyse(transcript_from_labels(gold), analysis_settings)) for gold in labels[style]]
                rows[variant] += scored
                result = summarise(style, scored)
                print(markdown(f"{variant}: {style}", [result]), flush=True)
                if args.json:
                    with args.json.open("a") as out:
                        out.write(json.dumps({"variant": variant, **result.to_dict()}) + "\n")
    for variant, scored in rows.items():
        print(markdown(f"{variant}, pooled over {', '.join(styles)}", [summarise("pooled", scored)]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
