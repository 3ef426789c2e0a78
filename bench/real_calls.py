"""Real-speech benchmark: transcription and who-spoke on real recorded telephone calls.

Builds, in a temp dir, from the 3 Harper Valley Bank calls in ../shared/data/real_calls
(one 8 kHz file per party, human transcript per segment):
  - a stereo call: each party's file shifted by the median (offset_ms - start_ms) of its
    segments and laid side by side (agent left on the even calls, right on the odd ones);
  - a mono mix of the same two channels (who-spoke-when known from the transcript);
  - one-voice recordings: the agent's file alone and the caller's file alone, as mono.
Runs callqa's transcription on each and reports per call and overall:
  - WER after Whisper's English normaliser, stereo and mono, with the share of insertions
    (insertions per reference word, and insertions among all errors);
  - who-spoke accuracy per word on the mono mixes: hypothesis words aligned to reference
    words (jiwer), each matched word (hit or substitution) counted right when its speaker
    role is the reference segment's;
  - the one-voice case: share of the agent file's words given to the agent, and of the caller
    file's words given to the customer, and whether the speaker decision says one voice.
Every figure says how many calls and words it rests on. Ends with one RESULT line.

    PYTHONPATH=. .venv/bin/python bench/real_calls.py --model tiny.en --beam 5
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jiwer  # noqa: E402
from whisper.normalizers import EnglishTextNormalizer  # noqa: E402

DATA = Path(os.environ.get("CALLQA_REAL_CALLS", Path(__file__).resolve().parents[2] / "shared" / "data" / "real_calls"))
HVB = DATA / "hvb_src"
CALLS = ("0002f70f7386445b", "0091a706bc604188", "010eaccb7a23436f")
RATE = 8000
_whisper_normalise = EnglishTextNormalizer()
# Spellings Whisper's normaliser leaves apart that are one word to a listener: the human
# transcripts write "alright", Whisper writes "All right" (an insertion and a substitution
# each time, 3 of the 5 stereo insertions with tiny.en before this). --whisper-normaliser-only
# scores without them.
SAME_WORD = ((re.compile(r"\ball right\b"), "alright"),)
SPELLINGS = True


def _normalise(text: str) -> str:
    out = _whisper_normalise(text)
    if SPELLINGS:
        for pattern, word in SAME_WORD:
            out = pattern.sub(word, out)
    return out


@dataclass(frozen=True)
class RealCall:
    sid: str
    agent: np.ndarray  # aligned to the call timeline, same length as customer
    customer: np.ndarray
    ref_words: list[tuple[str, str]]  # (normalised word, role) in call-time order
    turns: tuple[tuple[str, float, float], ...] = ()  # (role, start s, end s) of each reference segment


def _aligned(sid: str, party: str, segments: list[dict]) -> np.ndarray:
    audio, rate = sf.read(HVB / f"{sid}_{party}_8k.wav", dtype="float32")
    assert rate == RATE, (sid, party, rate)
    if audio.ndim > 1:
        audio = audio.mean(axis=1)
    shifts = [s["offset_ms"] - s["start_ms"] for s in segments if s["speaker_role"] == ("agent" if party == "agent" else "caller")]
    shift = int(round(float(np.median(shifts)) * RATE / 1000)) if shifts else 0
    return np.concatenate([np.zeros(shift, np.float32), audio]) if shift >= 0 else audio[-shift:]


def load_call(sid: str) -> RealCall:
    segments = json.loads((HVB / f"{sid}.transcript_human.json").read_text())
    agent = _aligned(sid, "agent", segments)
    customer = _aligned(sid, "caller", segments)
    n = max(len(agent), len(customer))
    agent, customer = (np.pad(a, (0, n - len(a))) for a in (agent, customer))
    words: list[tuple[str, str]] = []
    for seg in sorted(segments, key=lambda s: s["offset_ms"]):
        role = "agent" if seg["speaker_role"] == "agent" else "customer"
        words += [(w, role) for w in _normalise(seg["human_transcript"]).split()]
    turns = tuple(
        ("agent" if s["speaker_role"] == "agent" else "customer", s["offset_ms"] / 1000, (s["offset_ms"] + s["duration_ms"]) / 1000)
        for s in segments
    )
    return RealCall(sid, agent, customer, words, turns)


def _level_db(audio: np.ndarray, start: float, end: float) -> float:
    part = audio[max(0, int(start * RATE)) : max(int(end * RATE), int(start * RATE) + 1)]
    return float(20 * np.log10(np.sqrt(np.mean(part.astype(np.float64) ** 2)) + 1e-10)) if part.size else -200.0


def show_insertions(call: RealCall, result, kind: str) -> list[dict]:
    """Each inserted hypothesis word with its time, channel and speaker, the level of both
    parties' audio under it, and whether the reference has either party speaking then."""
    timed = []
    for seg in sorted(result.transcript.segments, key=lambda s: s.start):
        for w in seg.words:
            timed += [(tok, seg.speaker, seg.channel, w.start, w.end, w.prob) for tok in _normalise(w.text).split()]
    if not timed:
        return []
    out = jiwer.process_words(" ".join(w for w, _ in call.ref_words), " ".join(t[0] for t in timed))
    found = []
    for chunk in out.alignments[0]:
        if chunk.type != "insert":
            continue
        for k in range(chunk.hyp_start_idx, chunk.hyp_end_idx):
            tok, speaker, channel, start, end, prob = timed[k]
            own, other = (call.agent, call.customer) if speaker == "agent" else (call.customer, call.agent)
            lo, hi = start - 0.1, end + 0.1
            ref_own = any(r == speaker and a < hi and b > lo for r, a, b in call.turns)
            ref_other = any(r != speaker and a < hi and b > lo for r, a, b in call.turns)
            row = {
                "call": call.sid, "input": kind, "word": tok, "start": round(start, 2), "end": round(end, 2), "channel": channel,
                "speaker": speaker, "prob": round(prob, 2), "own_db": round(_level_db(own, start, end), 1),
                "other_db": round(_level_db(other, start, end), 1), "ref_own_speaking": ref_own, "ref_other_speaking": ref_other,
            }
            found.append(row)
            print("  INS " + " ".join(f"{k}={v}" for k, v in row.items() if k not in ("call", "input")), flush=True)
    return found


def write_inputs(call: RealCall, folder: Path, agent_left: bool, leak_db: float | None = None) -> dict[str, Path]:
    """leak_db: each stereo channel also carries the other party at this level (echo, e.g. -25),
    to measure the crosstalk guard on real voices; the mono mix is left as it is."""
    pair = (call.agent, call.customer) if agent_left else (call.customer, call.agent)
    if leak_db is not None:
        gain = 10 ** (leak_db / 20)
        pair = (np.clip(pair[0] + gain * pair[1], -1, 1), np.clip(pair[1] + gain * pair[0], -1, 1))
    stereo = np.stack(pair, axis=1)
    mono = np.clip(call.agent + call.customer, -1.0, 1.0)
    paths = {"stereo": folder / f"{call.sid}_stereo.wav", "mono": folder / f"{call.sid}_mono.wav", "agent_only": folder / f"{call.sid}_agent_only.wav"}
    sf.write(paths["stereo"], stereo, RATE, subtype="PCM_16")
    sf.write(paths["mono"], mono, RATE, subtype="PCM_16")
    sf.write(paths["agent_only"], call.agent, RATE, subtype="PCM_16")
    paths["caller_only"] = folder / f"{call.sid}_caller_only.wav"
    sf.write(paths["caller_only"], call.customer, RATE, subtype="PCM_16")
    return paths


def hyp_words(result) -> list[tuple[str, str]]:
    """(normalised word, speaker) in time order; segments are normalised one at a time."""
    out = []
    for seg in sorted(result.transcript.segments, key=lambda s: s.start):
        out += [(w, seg.speaker) for w in _normalise(seg.text).split()]
    return out


@dataclass
class Score:
    ref: int = 0
    sub: int = 0
    dele: int = 0
    ins: int = 0
    matched: int = 0  # aligned word pairs (hits and substitutions)
    role_right: int = 0

    def add(self, other: "Score") -> None:
        for k in vars(self):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    @property
    def wer(self) -> float:
        return (self.sub + self.dele + self.ins) / self.ref if self.ref else float("nan")

    @property
    def ins_rate(self) -> float:
        return self.ins / self.ref if self.ref else float("nan")

    @property
    def ins_share(self) -> float:
        errors = self.sub + self.dele + self.ins
        return self.ins / errors if errors else 0.0

    @property
    def who(self) -> float:
        return self.role_right / self.matched if self.matched else float("nan")


def score(ref: list[tuple[str, str]], hyp: list[tuple[str, str]]) -> Score:
    if not hyp:
        return Score(ref=len(ref), dele=len(ref))
    out = jiwer.process_words(" ".join(w for w, _ in ref), " ".join(w for w, _ in hyp))
    s = Score(ref=len(ref), sub=out.substitutions, dele=out.deletions, ins=out.insertions)
    for chunk in out.alignments[0]:
        if chunk.type in ("equal", "substitute"):
            for k in range(chunk.ref_end_idx - chunk.ref_start_idx):
                s.matched += 1
                s.role_right += ref[chunk.ref_start_idx + k][1] == hyp[chunk.hyp_start_idx + k][1]
    return s


CACHE_OPTIONS = ("domain_prompt", "channel_context")


def _cached_backend(cache_dir: Path):
    """Dev aid (--asr-cache): Whisper's output per input audio kept on disk, so a change to the
    speaker separation can be measured again without decoding again."""
    import hashlib
    import pickle

    from callqa.speech import asr, transcription

    real = asr.load_backend

    class Cached:
        def __init__(self, inner) -> None:
            self.inner, self.name, self.model = inner, inner.name, inner.model

        def transcribe(self, audio, settings):
            # Decoding options beyond model and beam enter the key only when set, so entries
            # written before they existed stay valid.
            from callqa.speech.asr import domain_prompt

            extra = tuple((f, getattr(settings, f)) for f in CACHE_OPTIONS if getattr(settings, f, None))
            if settings.domain_prompt:
                extra += (("prompt", domain_prompt(settings)),)
            key = hashlib.sha1(audio.tobytes() + repr((settings.model, settings.beam_size, *extra)).encode()).hexdigest()
            path = cache_dir / f"{key}.pkl"
            if path.exists():
                return pickle.loads(path.read_bytes())
            found = self.inner.transcribe(audio, settings)
            path.write_bytes(pickle.dumps(found))
            return found

        def describe(self):
            return self.inner.describe()

    cache_dir.mkdir(parents=True, exist_ok=True)
    transcription.load_backend = lambda settings: Cached(real(settings))


def add_asr_options(parser: argparse.ArgumentParser) -> None:
    """The ASR settings both speech benchmarks (this one and synthetic_calls.py) sweep."""
    parser.add_argument("--model", default="tiny.en", choices=("tiny.en", "base"))
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--vad-threshold", type=float, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--domain-prompt", action="store_true", help="Whisper's initial prompt names the domain words (setting domain_prompt)")
    parser.add_argument("--channel-context", action="store_true", help="condition on the channel's previous text (setting channel_context)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_asr_options(parser)
    parser.add_argument("--crosstalk-margin-db", type=float, default=None)
    parser.add_argument("--no-crosstalk-gate", action="store_true", help="stereo: do not silence echo-only frames before decoding (setting crosstalk_gate)")
    parser.add_argument("--no-crosstalk-guard", action="store_true", help="stereo: keep words that echo the other channel")
    parser.add_argument("--leak-db", type=float, default=None, help="stereo: leak each party into the other's channel at this level (e.g. -25)")
    parser.add_argument("--only", choices=("stereo", "mono", "agent_only", "caller_only"), action="append", default=[], help="run only these inputs")
    parser.add_argument("--asr-cache", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--show-insertions", action="store_true", help="print every inserted word: time, channel, both parties' level under it")
    parser.add_argument("--work-dir", default=os.environ.get("CALLQA_HOME", str(Path(__file__).resolve().parents[1] / ".callqa")))
    parser.add_argument("--whisper-normaliser-only", action="store_true", help="score without SAME_WORD (figures before 2026-12-02)")
    args = parser.parse_args()
    global SPELLINGS
    SPELLINGS = not args.whisper_normaliser_only

    from callqa.env import configure_offline
    from callqa.settings import Settings

    configure_offline(Path(args.work_dir))
    if args.asr_cache:
        _cached_backend(args.asr_cache)
    from callqa.speech.transcription import transcribe_call

    settings = Settings(model=args.model, beam_size=args.beam, threads=args.threads, work_dir=Path(args.work_dir))
    settings = replace(settings, domain_prompt=args.domain_prompt, channel_context=args.channel_context, crosstalk_guard=not args.no_crosstalk_guard)
    settings = replace(settings, crosstalk_gate=not args.no_crosstalk_gate)
    if args.crosstalk_margin_db is not None:
        settings = replace(settings, crosstalk_margin_db=args.crosstalk_margin_db)
    if args.vad_threshold is not None:
        settings = replace(settings, vad_threshold=args.vad_threshold, vad_fallback_threshold=min(settings.vad_fallback_threshold, args.vad_threshold))
    kinds = args.only or ["stereo", "mono", "agent_only", "caller_only"]
    totals = {k: Score() for k in ("stereo", "mono")}
    one_voice = {"words": 0, "agent": 0, "calls": 0, "said_one": 0}
    caller_alone = {"words": 0, "customer": 0, "calls": 0, "said_one": 0}
    one_party = {"agent_only": ("agent", one_voice, "agent alone"), "caller_only": ("customer", caller_alone, "caller alone")}
    audio_s = wall_s = 0.0
    crosstalk_drops = 0
    options = f"domain_prompt={settings.domain_prompt} channel_context={settings.channel_context} crosstalk_guard={settings.crosstalk_guard} margin_db={settings.crosstalk_margin_db:g} gate={settings.crosstalk_gate} leak_db={args.leak_db}"
    print(f"model={args.model} beam={args.beam} vad_threshold={settings.vad_threshold} {options} calls={len(CALLS)}")
    print("| call | input | ref words | WER | ins/ref | ins share | who-spoke | speakers |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n, sid in enumerate(CALLS):
            call = load_call(sid)
            paths = write_inputs(call, Path(tmp), agent_left=n % 2 == 0, leak_db=args.leak_db)
            for kind in kinds:
                started = time.perf_counter()
                result = transcribe_call(paths[kind], settings, call_id=f"{sid}-{kind}")
                wall_s += time.perf_counter() - started
                audio_s += result.audio.duration_s
                hyp = hyp_words(result)
                sp = result.speakers
                how = f"{sp.method} {sp.confidence:.2f}: {sp.reason}"
                if kind in one_party:
                    # one party's file alone: how many words go to that party, and was one voice heard
                    role, tally, label = one_party[kind]
                    given = sum(r == role for _, r in hyp)
                    tally["words"] += len(hyp)
                    tally[role] += given
                    tally["calls"] += 1
                    tally["said_one"] += "one voice" in sp.reason
                    print(f"| {sid} | {label} | - | - | - | - | {given}/{len(hyp)} to {role} | {how} |", flush=True)
                    continue
                s = score(call.ref_words, hyp)
                crosstalk_drops += sum(d.reason == "crosstalk" for c in result.channels for d in c.dropped)
                if args.show_insertions:
                    show_insertions(call, result, kind)
                totals[kind].add(s)
                who = f"{s.who:.3f} ({s.role_right}/{s.matched})" if kind == "mono" else "-"
                print(f"| {sid} | {kind} | {s.ref} | {s.wer:.3f} | {s.ins_rate:.3f} | {s.ins_share:.2f} | {who} | {how} |", flush=True)
    print()
    for kind, s in totals.items():
        if s.ref:
            extra = f", who-spoke {s.who:.3f} over {s.matched} matched words" if kind == "mono" else ""
            print(f"{kind}: {len(CALLS)} calls, {s.ref} reference words: WER {s.wer:.3f}, insertions {s.ins_rate:.3f} per reference word ({s.ins_share:.2f} of errors){extra}")
    share = one_voice["agent"] / one_voice["words"] if one_voice["words"] else float("nan")
    if one_voice["calls"]:
        print(f"one voice (agent file alone): {one_voice['calls']} calls, {one_voice['words']} words, {share:.3f} given to the agent, one voice said on {one_voice['said_one']}/{one_voice['calls']}")
    if caller_alone["calls"]:
        c = caller_alone
        print(f"one voice (caller file alone): {c['calls']} calls, {c['words']} words, {c['customer'] / max(c['words'], 1):.3f} given to the customer, one voice said on {c['said_one']}/{c['calls']}")
    print(f"speed: {audio_s:.0f} s of audio in {wall_s:.0f} s ({audio_s / max(wall_s, 1e-9):.1f}x real time)")
    st, mo = totals["stereo"], totals["mono"]
    print(
        f"RESULT model={args.model} beam={args.beam} vad_threshold={settings.vad_threshold} {options} calls={len(CALLS)} "
        f"ref_words={max(st.ref, mo.ref)} wer_stereo={st.wer:.3f} wer_mono={mo.wer:.3f} ins_stereo={st.ins_rate:.3f} "
        f"ins_mono={mo.ins_rate:.3f} who_spoke_mono={mo.who:.3f} who_words={mo.matched} one_voice_agent_share={share:.3f} "
        f"one_voice_words={one_voice['words']} one_voice_customer_share={caller_alone['customer'] / max(caller_alone['words'], 1):.3f} "
        f"caller_alone_words={caller_alone['words']} crosstalk_drops={crosstalk_drops} xrt={audio_s / max(wall_s, 1e-9):.2f}"
    )


if __name__ == "__main__":
    main()
