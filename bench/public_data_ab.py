"""Does training the turn-act model on the public extracts help? `callqa eval --styles`, combined
reading, with and without them, style by style.

    PYTHONPATH=. python bench/public_data_ab.py --styles casual,rambling --json out.jsonl
    PYTHONPATH=. python bench/public_data_ab.py --public p4g   # the PersuasionForGood extract

For each held-out style the need model is trained once (it does not read the public data) and
the turn-act model twice, without the style: on the scripts alone, and on the scripts plus the
public extracts named by --public (nlp.acts.PUBLIC_SOURCE_CANDIDATES; default sgd, the first one
measured). Every other step is eval --styles' own (train_reader, analyse,
score_call, summarise), and each style's rows are printed when it finishes, so a run cut short
still gives paired figures. On these 2 shared cores a style takes 5-10 minutes per variant.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from callqa.cli import _settings
from callqa.eval.compare import transcript_from_labels
from callqa.eval.styles import markdown, score_call, style_labels, summarise
from nlp import acts
from nlp.analyse import AnalysisSettings, analyse
from nlp.need_model import train as train_need
from nlp.policy import cached_policy


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--styles", default=",".join(acts.STYLES))
    ap.add_argument("--variants", default="scripts,scripts+public")
    ap.add_argument("--public", default="sgd", help=f"comma-separated, of {sorted(acts.PUBLIC_SOURCE_CANDIDATES)}")
    ap.add_argument("--json", type=Path, help="append one JSON line per (variant, style)")
    args = ap.parse_args()
    settings = _settings(None, None)
    policy = cached_policy(str(settings.policy) if settings.policy else None)
    labels = style_labels(Path("corpus"), Path("audio_samples"))
    public = {name: acts.PUBLIC_SOURCE_CANDIDATES[name] for name in args.public.split(",")}
    variants = {"scripts": {}, "scripts+public": public}
    chosen = args.variants.split(",")
    shipped_sources = acts.PUBLIC_SOURCES
    try:
        for style in args.styles.split(","):
            needs = train_need(style)[0]
            for name in chosen:
                acts.PUBLIC_SOURCES = variants[name]  # read by training_rows() inside train_reader
                reader = acts.train_reader(style)
                result = summarise(style, [score_call(g, analyse(transcript_from_labels(g),
                                                                 AnalysisSettings(policy, turn_acts=reader, need_model=needs, need_fit_model=None)))
                                           for g in labels[style]])
                print(markdown(f"{name}, held out {style}", [result]), flush=True)
                if args.json:
                    with args.json.open("a") as f:
                        f.write(json.dumps({"variant": name, "public": sorted(variants[name]), **result.to_dict()}) + "\n")
    finally:
        acts.PUBLIC_SOURCES = shipped_sources
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
