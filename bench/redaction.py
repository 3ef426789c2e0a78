"""Precision and recall of nlp/redact.py per entity type on tests/data/pii_cases.yaml.

    python -m bench.redaction [--cases FILE] [--show-errors]

A case's predicted masks (their types, one per masked span) are matched to its labelled types:
a type masked more often than labelled counts false positives, less often false negatives.
A `keep` string (a price, a term) that does not survive the redaction is counted as well.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import yaml

from nlp.redact import TYPES, redact_segments

CASES = Path(__file__).resolve().parents[1] / "tests" / "data" / "pii_cases.yaml"


def load_cases(path: Path = CASES) -> list[dict]:
    return yaml.safe_load(path.read_text())["cases"]


def run_case(case: dict) -> tuple[Counter, str]:
    """The predicted types of a case, and its redacted text."""
    segments = []
    if case.get("context"):
        segments.append({"id": "q", "text": case["context"], "start": 0.0, "end": 1.0, "words": []})
    segments.append({"id": "a", "text": case["text"], "start": 1.0, "end": 2.0, "words": []})
    redacted, masked = redact_segments(segments)
    return Counter(m["type"] for m in masked if m["segment_id"] == "a"), redacted[-1]["text"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=CASES)
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    cases = load_cases(args.cases)
    tp, fp, fn = Counter(), Counter(), Counter()
    kept_lost = 0
    for case in cases:
        want = Counter(case["pii"])
        got, text = run_case(case)
        for t in TYPES:
            tp[t] += min(want[t], got[t])
            fp[t] += max(0, got[t] - want[t])
            fn[t] += max(0, want[t] - got[t])
        lost = [k for k in case.get("keep", []) if k not in text]
        kept_lost += len(lost)
        if args.show_errors and (want != got or lost):
            print(f"  want {dict(want)} got {dict(got)} lost {lost}: {case['text']!r} -> {text!r}")
    print(f"{len(cases)} sentences, {sum(1 for c in cases if c['pii'])} with PII ({args.cases.name})")
    print(f"{'type':8} {'n':>4} {'precision':>9} {'recall':>7}")
    for t in TYPES:
        n = tp[t] + fn[t]
        p = tp[t] / (tp[t] + fp[t]) if tp[t] + fp[t] else float("nan")
        r = tp[t] / n if n else float("nan")
        print(f"{t:8} {n:4d} {p:9.2f} {r:7.2f}")
    all_tp, all_fp, all_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    print(f"{'all':8} {all_tp + all_fn:4d} {all_tp / (all_tp + all_fp):9.2f} {all_tp / (all_tp + all_fn):7.2f}")
    print(f"money/terms that must survive and did not: {kept_lost}")


if __name__ == "__main__":
    main()
