"""Bundled synthetic calls through callqa's transcription: WER and domain-word recall.

The counterpart of bench/real_calls.py for the rendered calls in audio_samples/ (the labelled
ones): the same scoring (Whisper's English normaliser plus bench.real_calls.SAME_WORD), the
whole call's text in time order against the script. Domain-word recall is the share of the
reference's product and price words (numbers, the offered products' names, and the disclosure
vocabulary in KEY_WORDS) that the alignment matches exactly. Used to check that a change made
on the real calls does not make the synthetic ones worse.

    PYTHONPATH=. .venv/bin/python bench/synthetic_calls.py --model tiny.en [--domain-prompt] [--only CALL_ID]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jiwer  # noqa: E402

from bench import real_calls as rc  # noqa: E402
from bench.common import SAMPLES, bundled_samples  # noqa: E402

KEY_WORDS = {"month", "monthly", "months", "fee", "fees", "contract", "cancellation", "cancel", "plan", "year", "annual", "dollars", "dollar", "percent"}


def key_tokens(call_id: str) -> set[str]:
    data = json.loads((SAMPLES / f"{call_id}.labels.json").read_text())
    names = {t for offer in data.get("offers") or [] for t in rc._normalise(offer.get("product") or "").split()}
    return KEY_WORDS | names


def is_key(token: str, names: set[str]) -> bool:
    return token in names or any(ch.isdigit() for ch in token)


def score_call(reference: str, hypothesis: str, names: set[str]) -> tuple[int, int, int, int]:
    """(reference words, errors, key words in the reference, key words matched)."""
    ref, hyp = rc._normalise(reference), rc._normalise(hypothesis)
    out = jiwer.process_words(ref, hyp or "-")
    ref_tokens = ref.split()
    keys = sum(is_key(t, names) for t in ref_tokens)
    hit = 0
    for chunk in out.alignments[0]:
        if chunk.type == "equal":
            hit += sum(is_key(t, names) for t in ref_tokens[chunk.ref_start_idx : chunk.ref_end_idx])
    return len(ref_tokens), out.substitutions + out.deletions + out.insertions, keys, hit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    rc.add_asr_options(parser)
    parser.add_argument("--crosstalk-margin-db", type=float, default=None)
    parser.add_argument("--no-crosstalk-gate", action="store_true")
    parser.add_argument("--no-crosstalk-guard", action="store_true")
    parser.add_argument("--only", action="append", default=[], metavar="CALL_ID")
    parser.add_argument("--asr-cache", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--work-dir", default=os.environ.get("CALLQA_HOME", str(Path(__file__).resolve().parents[1] / ".callqa")))
    args = parser.parse_args()

    from callqa.env import configure_offline
    from callqa.settings import Settings

    configure_offline(Path(args.work_dir))
    if args.asr_cache:
        rc._cached_backend(args.asr_cache)
    from callqa.speech.transcription import transcribe_call

    settings = Settings(
        model=args.model, beam_size=args.beam, threads=args.threads, work_dir=Path(args.work_dir),
        domain_prompt=args.domain_prompt, channel_context=args.channel_context, crosstalk_guard=not args.no_crosstalk_guard,
    )
    settings = replace(settings, crosstalk_gate=not args.no_crosstalk_gate)
    if args.crosstalk_margin_db is not None:
        settings = replace(settings, crosstalk_margin_db=args.crosstalk_margin_db)
    if args.vad_threshold is not None:
        settings = replace(settings, vad_threshold=args.vad_threshold, vad_fallback_threshold=min(settings.vad_fallback_threshold, args.vad_threshold))
    samples = [s for s in bundled_samples() if not args.only or s.call_id in args.only]
    total = [0, 0, 0, 0]
    crosstalk = 0
    print(f"model={args.model} beam={args.beam} domain_prompt={args.domain_prompt} channel_context={args.channel_context} calls={len(samples)}")
    print("| call | layout | ref words | WER | key words matched |")
    print("|---|---|---|---|---|")
    for sample in samples:
        result = transcribe_call(sample.audio, settings)
        hyp = " ".join(s.text for s in sorted(result.transcript.segments, key=lambda s: s.start))
        n, err, keys, hit = score_call(sample.reference, hyp, key_tokens(sample.call_id))
        total = [a + b for a, b in zip(total, (n, err, keys, hit), strict=True)]
        crosstalk += sum(d.reason == "crosstalk" for c in result.channels for d in c.dropped)
        print(f"| {sample.call_id} | {sample.layout} | {n} | {err / n:.3f} | {hit}/{keys} |", flush=True)
    n, err, keys, hit = total
    print(
        f"RESULT model={args.model} beam={args.beam} domain_prompt={args.domain_prompt} channel_context={args.channel_context} "
        f"crosstalk_guard={not args.no_crosstalk_guard} gate={not args.no_crosstalk_gate} calls={len(samples)} ref_words={n} wer={err / max(n, 1):.3f} key_words={keys} key_recall={hit / max(keys, 1):.3f} crosstalk_drops={crosstalk}"
    )


if __name__ == "__main__":
    main()
