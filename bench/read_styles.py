"""A rule change measured on the read styles, call by call, against the same models.

The blind sets are scored once each; a rule change between them is measured here, on the styles
the shipped models have read (nlp.acts.READ_STYLES: 3,653 calls of 122 styles when last built),
each read by models trained without it. `callqa eval --styles` does the same, but retrains per run and gives pooled figures;
comparing two rule versions needs the same models twice and the calls that changed. So:

    PYTHONPATH=. .venv/bin/python bench/read_styles.py build            # once: the held-out models
    PYTHONPATH=. .venv/bin/python bench/read_styles.py score before.json  # on one checkout
    PYTHONPATH=. .venv/bin/python bench/read_styles.py score after.json   # after the change
    PYTHONPATH=. .venv/bin/python bench/read_styles.py compare before.json after.json

`build` deals the read styles into `--groups` groups (every n-th style, so each mixes old and new)
and trains, per group, every model the analysis uses without the whole group: the turn-act
model's two halves averaged (nlp.acts.train_held_out), the need, need-fit and upset models. Whole
styles are held out, never sentences. Three groups take about 40 minutes on two cores (most of it
the broad turn-act halves); the models are kept in .callqa/read_styles/, so `score` (about 12
minutes) reuses them; each group scores the styles it was trained without, so a style added to the
corpus since is scored after the next `build` (remove the folder first). Pickle is used for this
local cache only: the files are written and read by this script on one machine.

`score` writes one row per call (callqa.eval.styles.CallScore) and prints the pooled counts;
`compare` prints both versions' counts and every call whose offers or flags changed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pickle
import sys
from collections.abc import Sequence
from pathlib import Path

from callqa.eval.compare import transcript_from_labels
from callqa.eval.styles import score_call, style_labels
from nlp import acts
from nlp.analyse import AnalysisSettings, analyse
from nlp.need_fit_model import train as train_need_fit
from nlp.need_model import NEED_STYLES
from nlp.need_model import train as train_need
from nlp.policy import load_policy
from nlp.upset_model import train as train_upset

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".callqa" / "read_styles"


def groups(count: int, styles: Sequence[str] = acts.READ_STYLES) -> list[tuple[str, ...]]:
    return [tuple(styles[k::count]) for k in range(count)]


def _cache_dir(count: int) -> Path:
    return CACHE / f"g{count}"


def build(count: int) -> None:
    out = _cache_dir(count)
    out.mkdir(parents=True, exist_ok=True)
    data_hash = acts.data_hash()
    for k, group in enumerate(groups(count)):
        path = out / f"group{k}.pkl"
        if path.exists():
            continue
        need_styles = tuple(s for s in NEED_STYLES if s not in group)
        models = {
            "styles": group,
            "data_hash": data_hash,
            "turn_acts": acts.train_held_out(group),
            "need": train_need(None, need_styles)[0],
            "need_fit": train_need_fit(None, need_styles)[0],
            "upset": train_upset(None, need_styles)[0],
        }
        path.write_bytes(pickle.dumps(models))
        print(f"# group {k}: trained without {len(group)} styles", file=sys.stderr, flush=True)


def score(count: int, out: Path) -> list[dict]:
    cache = _cache_dir(count)
    if not all((cache / f"group{k}.pkl").exists() for k in range(count)):
        raise SystemExit(f"no held-out models in {cache}: run `bench/read_styles.py build --groups {count}` first")
    policy = load_policy(None)
    labels = style_labels(ROOT / "corpus", ROOT / "audio_samples")
    rows = []
    for k in range(count):
        models = pickle.loads((cache / f"group{k}.pkl").read_bytes())
        if k == 0 and models["data_hash"] != acts.data_hash():
            # still whole styles held out, and both versions compared read the same models
            print(f"# the models were trained on an earlier corpus: `build` again after removing {cache}",
                  file=sys.stderr, flush=True)
        settings = AnalysisSettings(policy, turn_acts=models["turn_acts"], need_model=models["need"],
                                    need_fit_model=models["need_fit"], upset_model=models["upset"])
        for style in models["styles"]:
            for gold in labels[style]:
                scored = score_call(gold, analyse(transcript_from_labels(gold), settings))
                rows.append({"style": style, **dataclasses.asdict(scored)})
        print(f"# group {k} scored: {counts(rows)}", file=sys.stderr, flush=True)
    out.write_text(json.dumps(rows))
    return rows


def counts(rows: Sequence[dict]) -> dict[str, float]:
    tp, fp, fn = (sum(r[f"flags_{x}"] for r in rows) for x in ("tp", "fp", "fn"))
    return {
        "calls": len(rows),
        "offers_matched": sum(r["matched_offers"] for r in rows),
        "offers_found": sum(r["found_offers"] for r in rows),
        "offers_gold": sum(r["gold_offers"] for r in rows),
        "flags_tp": tp, "flags_fp": fp, "flags_fn": fn,
        "flags_f1": round(2 * tp / (2 * tp + fp + fn), 4) if tp else 0.0,
        "need_right": sum(r["need_right"] for r in rows),
        "closes_exact": sum(r["closes_exact"] for r in rows),
        "no_sale": sum(r["no_sale"] for r in rows),
        "no_sale_offer": sum(r["no_sale"] and r["found_offers"] > 0 for r in rows),
        "no_sale_flag": sum(r["no_sale"] and r["any_flag"] for r in rows),
    }


_COMPARED = ("found_offers", "matched_offers", "found_flags", "need_found", "closes_exact")


def compare(before: Path, after: Path) -> None:
    a, b = (json.loads(p.read_text()) for p in (before, after))
    ca, cb = counts(a), counts(b)
    for key in ca:
        change = cb[key] - ca[key]
        print(f"{key:15} {ca[key]:>8} {cb[key]:>8} {change:+.4g}" if change else f"{key:15} {ca[key]:>8}")
    by_id = {(r["style"], r["call_id"]): r for r in a}
    for r in b:
        old = by_id.get((r["style"], r["call_id"]))
        if old is None or all(old[f] == r[f] for f in _COMPARED):
            continue
        changes = ", ".join(f"{f} {old[f]} -> {r[f]}" for f in _COMPARED if old[f] != r[f])
        print(f"{r['style']}/{r['call_id']}: {changes} (gold offers {r['gold_offers']}, gold flags {r['gold_flags']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("build", "score"):
        p = sub.add_parser(name)
        p.add_argument("--groups", type=int, default=3)
        if name == "score":
            p.add_argument("out", type=Path)
    p = sub.add_parser("compare")
    p.add_argument("before", type=Path)
    p.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.groups)
    elif args.command == "score":
        print(json.dumps(counts(score(args.groups, args.out))))
    else:
        compare(args.before, args.after)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
