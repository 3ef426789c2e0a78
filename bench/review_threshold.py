"""The confidence/abstention trade-off on labelled text corpora: flag P/R/F1 among raised flags
and how many flags go to review, for several review thresholds.

Each call is analysed once with review_threshold 0 (every flag raised, with its confidence);
a threshold t then raises the flags with rule confidence >= t and sends the rest to review.
Text-only labels carry no ASR word probabilities, so only the rule part of the confidence
varies here (nlp/confidence.py).

    PYTHONPATH=. python bench/review_threshold.py corpus/dev corpus/styles
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from callqa.eval.compare import load_labels, transcript_from_labels
from nlp.analyse import AnalysisSettings, analyse
from nlp.policy import load_policy

THRESHOLDS = (0.0, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def main(dirs: list[str]) -> None:
    policy = load_policy().model_copy(update={"review_threshold": 0.0})
    settings = AnalysisSettings(policy)
    for folder in dirs:
        calls = []
        for gold in load_labels(Path(folder)):
            analysis = analyse(transcript_from_labels(gold), settings)
            calls.append((set(gold.get("flags", [])), [(f.code, f.confidence) for f in analysis.flags]))
        print(f"\n{folder}: {len(calls)} calls\n")
        print("| threshold | precision | recall | F1 | to review | of them in labels |")
        print("|---|---|---|---|---|---|")
        for t in THRESHOLDS:
            c = Counter()
            for gold, flags in calls:
                raised = {code for code, conf in flags if conf >= t}
                review = {code for code, conf in flags if conf < t} - raised
                c["tp"] += len(gold & raised)
                c["fp"] += len(raised - gold)
                c["fn"] += len(gold - raised)
                c["review"] += len(review)
                c["review_true"] += len(review & gold)
            p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
            r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            print(f"| {t:.2f} | {p:.3f} | {r:.3f} | {f1:.3f} | {c['review']} | {c['review_true']} |")


if __name__ == "__main__":
    main(sys.argv[1:] or ["corpus/dev", "corpus/styles"])
