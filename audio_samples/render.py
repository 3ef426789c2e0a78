#!/usr/bin/env python3
"""Render the bundled sample calls: scripts/<call_id>.yaml -> <call_id>.<ext> + <call_id>.labels.json.

Usage: python audio_samples/render.py [--only CALL_ID ...] [--exclude CALL_ID ...] [--voices flite|espeak]
                                      [--scripts DIR] [--out DIR] [--text-only] [--closing-scope offer|call]

--scripts/--out render another set of scripts (default: scripts/ here, written here).
--text-only writes only <call_id>.labels.json, with turn timings estimated from the text and
laid out with the same gap logic as the audio (no synthesis, `audio.path` null).
--closing-scope call counts EXCESSIVE_CLOSING_ATTEMPTS over the whole call (all offers
together) instead of per offer (the default, which the bundled samples use).

Needs flite (speech; or espeak-ng with --voices espeak) and ffmpeg (mp3/ogg encoding) from
Debian, numpy/soundfile/pyyaml from the project venv.

The gold labels are derived from the script's per-turn tags plus its `annotation` block; where
the annotation states something the tags also imply (customer response, disclosure status,
flags) the two are cross-checked and rendering fails on any disagreement, so script, audio and
labels cannot drift apart.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import subprocess
import sys
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import yaml

from nlp import vocabulary

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "scripts"

WORK_RATE = 16000  # flite's native rate; calls are laid out at this rate, then resampled
TELEPHONE_RATE = 8000
NOISE_DBFS = -60.0  # line/room noise so silence is never digital zero (VADs and codecs see real audio)
MAX_CLOSES = 2  # policy default: more closing attempts than this on one offer is excessive
CLOSING_SCOPES = ("offer", "call")  # what MAX_CLOSES counts over: each offer, or the whole call

# --text-only: seconds of speech for a turn, from its text, per role:
# intercept + per letter/digit + per punctuation pause. Fitted by least squares on the flite
# voices' turn lengths in the bundled samples (mean error about 4% agent, 10% customer).
SPEECH_TIME = {"agent": (-0.29, 0.0666, 0.237), "customer": (-0.05, 0.0757, 0.242)}
MIN_TURN_S = 0.35

ROLES = vocabulary.ROLES
ITEMS = vocabulary.DISCLOSURE_ITEMS
STATUSES = vocabulary.DISCLOSURE_STATUSES
NEEDS = vocabulary.DEFAULT_NEEDS
SENTIMENTS = vocabulary.SENTIMENT_LABELS
KINDS = vocabulary.OFFER_KINDS
RESPONSES = vocabulary.RESPONSES
# Who may carry which tag: catches a tag put on the wrong turn while writing a script.
TAG_SPEAKER = {"need": "customer", "upset": "customer", "complain": "customer", "accept": "customer",
               "decline": "customer", "undecided": "customer",
               "offer": "agent", "close": "agent", "book": "agent", "disclose": "agent", "recap": "agent",
               "question": "agent"}
# Tags without an offer id, and tags that name one.
PLAIN_TAGS = ("need", "recap", "upset", "complain", "question")
OFFER_TAGS = ("offer", "close", "decline", "accept", "undecided", "book", "recap")
LAYOUTS = ("stereo_agent_left", "stereo_agent_right", "mono")
FORMATS = ("wav", "flac", "mp3", "ogg")
# Fixed order, so the labels list flags the same way every time.
FLAG_CODES = vocabulary.FLAG_CODES
MISSING_FLAG = vocabulary.MISSING_FLAG  # no flag for restrictions


@dataclass(frozen=True)
class Voice:
    engine: str  # "flite" | "espeak-ng"
    name: str  # flite voice, or espeak-ng voice+variant
    rms_dbfs: float  # speech level: the customer's line is usually a little quieter
    wpm: int = 165  # espeak-ng only
    pitch: int = 50  # espeak-ng only (0-99)


# Two clearly different speakers: a female US agent and a male US customer.
# flite's CMU voices are the default: through an 8 kHz phone band Whisper tiny.en gets about
# 9% WER on them but 25-40% on every espeak-ng voice tried (formant synthesis leans on the
# energy above 4 kHz that the phone band removes). espeak-ng stays as a fallback.
VOICE_SETS = {
    "flite": {"agent": Voice("flite", "slt", -20.0), "customer": Voice("flite", "rms", -23.0)},
    "espeak": {"agent": Voice("espeak-ng", "en-us+f2", -20.0), "customer": Voice("espeak-ng", "en-us+klatt", -23.0)},
}


# ---------------------------------------------------------------- script and tags

@dataclass
class Tag:
    kind: str  # one of TAG_SPEAKER
    offer: str | None = None
    items: tuple[str, ...] = ()
    quote: str | None = None  # the phrase the label rests on; default: the whole turn


@dataclass
class Turn:
    id: int
    speaker: str
    text: str
    tags: list[Tag] = field(default_factory=list)
    start: float = 0.0
    end: float = 0.0


def parse_tag(raw: Any, text: str) -> Tag:
    """Tags are PLAIN_TAGS, or one-key maps like `close: offer_id`, optionally with `quote`."""
    if isinstance(raw, str):
        if raw not in PLAIN_TAGS:
            raise ValueError(f"unknown tag {raw!r}")
        return Tag(raw)
    quote = raw.get("quote")
    keys = [k for k in raw if k != "quote"]
    if len(keys) != 1:
        raise ValueError(f"tag must have exactly one kind: {raw!r}")
    kind, value = keys[0], raw[keys[0]]
    if quote is not None and quote not in text:
        raise ValueError(f"quote {quote!r} is not in turn text {text!r}")
    if kind == "disclose":
        items = tuple(value["items"])
        if bad := set(items) - set(ITEMS):
            raise ValueError(f"unknown disclosure items {bad}")
        return Tag(kind, value["offer"], items, quote)
    if kind in OFFER_TAGS and value is not None:
        return Tag(kind, value, (), quote)
    if kind in PLAIN_TAGS:
        return Tag(kind, None, (), quote)
    raise ValueError(f"unknown tag {raw!r}")


def load_script(path: Path) -> tuple[dict[str, Any], list[Turn]]:
    script = yaml.safe_load(path.read_text())
    if script["call_id"] != path.stem:
        raise ValueError(f"{path.name}: call_id {script['call_id']!r} must equal the file stem")
    if script["layout"] not in LAYOUTS or script["format"] not in FORMATS:
        raise ValueError(f"{path.name}: bad layout or format")
    turns = []
    for i, t in enumerate(script["turns"]):
        if t["speaker"] not in ROLES:
            raise ValueError(f"{path.name}: turn {i} speaker {t['speaker']!r}")
        tags = [parse_tag(x, t["text"]) for x in t.get("tags") or []]
        if wrong := [g.kind for g in tags if TAG_SPEAKER[g.kind] != t["speaker"]]:
            raise ValueError(f"{path.name}: turn {i} ({t['speaker']}) cannot carry {wrong}")
        turns.append(Turn(i, t["speaker"], t["text"].strip(), tags))
    return script, turns


# ---------------------------------------------------------------- audio

def dbfs(level: float) -> float:
    return 10 ** (level / 20)


# Spoken respellings: the script (and so the labels) keep normal spelling, the synthesiser gets
# a spelling it says right. flite's male voice says "yeah" as two syllables ("you add").
RESPELL = {r"\b([Yy])eah\b": r"\1eh"}


def synth(text: str, voice: Voice) -> np.ndarray:
    """One turn of speech at WORK_RATE, trimmed to the voiced part so label times are tight."""
    for pattern, spoken in RESPELL.items():
        text = re.sub(pattern, spoken, text)
    if voice.engine == "flite":
        with tempfile.TemporaryDirectory() as tmp:  # flite writes only to a file
            out = Path(tmp) / "turn.wav"
            subprocess.run(["flite", "-voice", voice.name, "-t", text, "-o", str(out)], check=True)
            x, rate = sf.read(out, dtype="float64")
    else:
        wav = subprocess.run(["espeak-ng", "-v", voice.name, "-s", str(voice.wpm), "-p", str(voice.pitch),
                              "--stdout", text], check=True, capture_output=True).stdout
        x, rate = sf.read(io.BytesIO(wav), dtype="float64")
    x = resample(x, rate, WORK_RATE)
    loud = np.flatnonzero(np.abs(x) > 0.01 * np.abs(x).max())
    x = x[loud[0]:loud[-1] + 1]
    voiced = x[np.abs(x) > 0.02 * np.abs(x).max()]
    x = x * dbfs(voice.rms_dbfs) / np.sqrt(np.mean(voiced ** 2))
    return x / max(1.0, np.abs(x).max() / 0.95)  # never clip


def place(turns: list[Turn], lengths: list[float], rng: np.random.Generator) -> None:
    """Set each turn's start/end (seconds): turns one after another with natural gaps."""
    pos = rng.uniform(0.4, 0.8)  # the recorder starts a moment before the agent speaks
    for i, (turn, length) in enumerate(zip(turns, lengths)):
        if i:
            # A back-channel ("Okay.") comes in quickly and the speaker picks up quickly after
            # it; other turns follow a normal pause. Turns never overlap.
            quick = len(turn.text.split()) <= 2 or len(turns[i - 1].text.split()) <= 2
            pos = turns[i - 1].end + (rng.uniform(0.15, 0.3) if quick else rng.uniform(0.3, 1.0))
        turn.start = round(pos, 3)
        turn.end = round(pos + length, 3)


def speech_time(turn: Turn) -> float:
    """Estimated length of a turn's speech (seconds) without synthesising it (--text-only)."""
    a, per_char, per_pause = SPEECH_TIME[turn.speaker]
    chars = len(re.sub(r"[^A-Za-z0-9]", "", turn.text))
    pauses = len(re.findall(r"[.,?!;:]", turn.text))
    return max(MIN_TURN_S, a + per_char * chars + per_pause * pauses)


def layout(script: dict[str, Any], turns: list[Turn], voices: dict[str, Voice],
           rng: np.random.Generator) -> np.ndarray:
    """Place turns one after another with natural gaps; returns (channels, samples) at WORK_RATE.

    Stereo recorders give each party its own channel, so each channel holds only its party's
    speech and is (near) silent while the other one talks. Mono mixes both.
    """
    clips = [synth(t.text, voices[t.speaker]) for t in turns]
    place(turns, [len(clip) / WORK_RATE for clip in clips], rng)
    # Pad to a whole tenth of a second: every target rate then gets an exact integer length.
    n = int(np.ceil((turns[-1].end + 0.8) * 10)) * (WORK_RATE // 10)
    if script["layout"] == "mono":
        channel_of = {"agent": 0, "customer": 0}
    else:
        agent = 0 if script["layout"] == "stereo_agent_left" else 1
        channel_of = {"agent": agent, "customer": 1 - agent}
    audio = np.zeros((1 if script["layout"] == "mono" else 2, n))
    for turn, clip in zip(turns, clips):
        i = round(turn.start * WORK_RATE)
        audio[channel_of[turn.speaker], i:i + len(clip)] += clip
    return audio + rng.normal(0.0, dbfs(NOISE_DBFS), audio.shape)


def resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    """Band-limited resampling in the frequency domain (whole-call FFT; calls are short)."""
    if src == dst:
        return x
    m = round(x.shape[-1] * dst / src)
    spec = np.fft.rfft(x, axis=-1)
    keep = min(spec.shape[-1], m // 2 + 1)
    out = np.zeros(x.shape[:-1] + (m // 2 + 1,), dtype=complex)
    out[..., :keep] = spec[..., :keep]
    return np.fft.irfft(out, n=m, axis=-1) * (m / x.shape[-1])


def telephony(x: np.ndarray, rate: int) -> np.ndarray:
    """A PSTN leg: 8 kHz, 300-3400 Hz band-pass, G.711 mu-law encode/decode."""
    x = resample(x, rate, TELEPHONE_RATE)
    spec = np.fft.rfft(x, axis=-1)
    f = np.fft.rfftfreq(x.shape[-1], 1 / TELEPHONE_RATE)
    # Raised-cosine skirts (200-300 Hz, 3400-3600 Hz) instead of a brick wall, which would ring.
    lo = np.clip((f - 200) / 100, 0, 1)
    hi = np.clip((3600 - f) / 200, 0, 1)
    mask = (0.5 - 0.5 * np.cos(np.pi * lo)) * (0.5 - 0.5 * np.cos(np.pi * hi))
    x = np.fft.irfft(spec * mask, n=x.shape[-1], axis=-1)
    # libsndfile's G.711 codec: the same one a recorder writing mu-law WAV uses, so a `wav`
    # telephony call can be stored as mu-law without any further loss.
    buf = io.BytesIO()
    sf.write(buf, x.T, TELEPHONE_RATE, format="WAV", subtype="ULAW")
    buf.seek(0)
    return sf.read(buf, dtype="float64", always_2d=True)[0].T


def encode(path: Path, x: np.ndarray, rate: int, fmt: str, mu_law: bool) -> None:
    data = np.clip(x.T, -1.0, 1.0)
    if fmt in ("wav", "flac"):
        subtype = "ULAW" if fmt == "wav" and mu_law else "PCM_16"
        sf.write(path, data, rate, format=fmt.upper(), subtype=subtype)
        return
    # mp3/ogg via ffmpeg; bitexact drops the random Ogg serial and encoder tags, so a re-render
    # is byte-identical and git sees no change.
    codec = ["-c:a", "libmp3lame", "-b:a", "32k" if rate <= 8000 else "64k"] if fmt == "mp3" \
        else ["-c:a", "libvorbis", "-q:a", "3"]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.wav"
        sf.write(src, data, rate, subtype="PCM_16")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), *codec, "-map_metadata", "-1",
                        "-fflags", "+bitexact", "-flags:a", "+bitexact", str(path)], check=True)


# ---------------------------------------------------------------- labels

def evidence(turn: Turn, tag: Tag | None = None) -> dict[str, Any]:
    return {"segment_id": turn.id, "speaker": turn.speaker, "start": turn.start, "end": turn.end,
            "quote": (tag.quote if tag and tag.quote else turn.text), "rule": "gold"}


def tagged(turns: list[Turn], kind: str, offer: str | None = None) -> list[tuple[Turn, Tag]]:
    return [(t, g) for t in turns for g in t.tags if g.kind == kind and (offer is None or g.offer == offer)]


def build_labels(script: dict[str, Any], turns: list[Turn], closing_scope: str = "offer") -> dict[str, Any]:
    """Gold labels in the CallRecord (schema v1) shape; raises if annotation and tags disagree.

    closing_scope: "offer" flags EXCESSIVE_CLOSING_ATTEMPTS when one offer has more than
    MAX_CLOSES `close` tags, "call" when the whole call (all offers together) has.
    """
    ann = script["annotation"]
    problems: list[str] = []

    def expect(what: str, derived: Any, annotated: Any) -> None:
        if derived != annotated:
            problems.append(f"{what}: tags give {derived!r}, annotation says {annotated!r}")

    if ann["need"] not in NEEDS:
        problems.append(f"need {ann['need']!r} not in taxonomy")
    need_tags = tagged(turns, "need")
    if not need_tags:
        problems.append("no turn tagged `need`")

    annotated_offers = {o["id"]: o for o in ann.get("offers") or []}
    used = {g.offer for t in turns for g in t.tags if g.offer}
    expect("offer ids", sorted(used), sorted(annotated_offers))

    flags: set[str] = set()
    offers: list[dict[str, Any]] = []
    total_closes = after_decline = 0
    for oid, o in annotated_offers.items():
        if o["kind"] not in KINDS or o["customer_response"] not in RESPONSES \
                or sorted(o["disclosures"]) != sorted(ITEMS) \
                or any(v not in STATUSES for v in o["disclosures"].values()):
            problems.append(f"offer {oid}: bad kind, customer_response or disclosures")
            continue
        pitch = tagged(turns, "offer", oid)
        if not pitch:
            problems.append(f"offer {oid}: no `offer` tag")
            continue
        first_turn, first_tag = pitch[0]
        accepts, declines = tagged(turns, "accept", oid), tagged(turns, "decline", oid)
        # The customer's final word on the offer decides the response; a deferral ("I'll think
        # about it") after a yes or a no leaves it undecided.
        answers = sorted(accepts + declines + tagged(turns, "undecided", oid), key=lambda a: a[0].id)
        response = "undecided" if not answers else \
            {"accept": "accepted", "decline": "declined", "undecided": "undecided"}[answers[-1][1].kind]
        expect(f"offer {oid} customer_response", response, o["customer_response"])
        consent = accepts[0][0].id if accepts else None

        disclosures: dict[str, Any] = {}
        for item in ITEMS:
            hits = [(t, g) for t, g in tagged(turns, "disclose", oid) if item in g.items]
            before = [(t, g) for t, g in hits if consent is None or t.id < consent]
            if before:
                status, ev = "disclosed_before_consent", evidence(*before[0])
            elif hits:
                status, ev = "disclosed_after_consent", evidence(*hits[0])
            else:
                status, ev = "missing", None
            # "not applicable" is a judgement the tags cannot express, so it comes from the annotation.
            if o["disclosures"][item] == "not_applicable" and not hits:
                status = "not_applicable"
            expect(f"offer {oid} disclosure {item}", status, o["disclosures"][item])
            disclosures[item] = {"status": status, "evidence": ev}

        closes = tagged(turns, "close", oid)
        first_decline = declines[0][0].id if declines else None
        late = sum(1 for t, _ in closes if first_decline is not None and t.id > first_decline)
        total_closes += len(closes)
        after_decline += late

        if not o["need_fit"]:
            flags.add("OFFER_WITHOUT_NEED")
        if closing_scope == "offer" and len(closes) > MAX_CLOSES:
            flags.add("EXCESSIVE_CLOSING_ATTEMPTS")
        if late:
            flags.add("CONTINUED_AFTER_DECLINE")
        # Upset customer: the customer's last turn before the pitch is tagged `upset`.
        previous = [t for t in turns if t.speaker == "customer" and t.id < first_turn.id]
        if previous and any(g.kind == "upset" for g in previous[-1].tags):
            flags.add("OFFER_TO_UPSET_CUSTOMER")
        # Booked or added before any yes: a yes after the booking does not make it consent.
        bookings = tagged(turns, "book", oid)
        if bookings and (consent is None or bookings[0][0].id < consent):
            flags.add("SALE_WITHOUT_CONSENT")
        if response == "accepted" and consent is not None:
            flags.update(MISSING_FLAG[i] for i in MISSING_FLAG if disclosures[i]["status"] == "missing")
            if any(d["status"] == "disclosed_after_consent" for d in disclosures.values()):
                flags.add("DISCLOSURE_AFTER_CONSENT")
            recaps = [t for t, g in tagged(turns, "recap") if g.offer in (None, oid) and t.id > consent]
            if not recaps:
                flags.add("NO_COST_RECAP")

        offers.append({"id": oid, "product": o["product"], "kind": o["kind"], "need_fit": o["need_fit"],
                       "customer_response": response, "start": first_turn.start,
                       "evidence": evidence(first_turn, first_tag),
                       "closing_attempts": [evidence(t, g) for t, g in closes],
                       "disclosures": disclosures})

    if closing_scope == "call" and total_closes > MAX_CLOSES:
        flags.add("EXCESSIVE_CLOSING_ATTEMPTS")
    derived_flags = [c for c in FLAG_CODES if c in flags]
    expect("flags", derived_flags, [c for c in FLAG_CODES if c in set(ann.get("flags") or [])])
    if unknown := set(ann.get("flags") or []) - set(FLAG_CODES):
        problems.append(f"unknown flags {unknown}")
    for role in ROLES:
        for end in ("start", "end"):
            if ann["sentiment"][role][end] not in SENTIMENTS:
                problems.append(f"sentiment {role}.{end}")
    if problems:
        raise ValueError(f"{script['call_id']}: " + "; ".join(problems))

    stereo = script["layout"] != "mono"
    return {
        "schema_version": "1",
        "call_id": script["call_id"],
        "status": "scored",
        "audio": {},  # filled in after encoding
        "speakers": {"method": "channel" if stereo else "text",
                     "agent_channel": script["layout"].removeprefix("stereo_agent_") if stereo else None,
                     "confidence": 1.0},
        "transcript": [{"id": t.id, "speaker": t.speaker, "start": t.start, "end": t.end, "text": t.text}
                       for t in turns],
        "need": {"label": ann["need"], "confidence": 1.0, "evidence": evidence(*need_tags[0])},
        "offers": offers,
        "closing_attempts": {"total": total_closes, "after_decline": after_decline},
        "sentiment": {role: dict(ann["sentiment"][role]) for role in ROLES},
        "flags": derived_flags,
        # Sentence-level act labels (what the turn-act model learns from): every tag with the
        # phrase it rests on.
        "acts": [{"segment_id": t.id, "speaker": t.speaker, "act": g.kind, "offer": g.offer,
                  "items": list(g.items), "quote": g.quote or t.text} for t in turns for g in t.tags],
        # Not part of the record: where the sample came from, for the README and evaluations.
        "sample": {k: script[k] for k in ("industry", "company", "layout", "telephony", "format", "situation")},
    }


# ---------------------------------------------------------------- main

def render(path: Path, voices: dict[str, Voice], out_dir: Path = HERE,
           closing_scope: str = "offer") -> dict[str, Any]:
    script, turns = load_script(path)
    call_id, rate, fmt = script["call_id"], int(script["sample_rate"]), script["format"]
    rng = np.random.default_rng(zlib.crc32(call_id.encode()))  # deterministic per call
    audio = layout(script, turns, voices, rng)
    labels = build_labels(script, turns, closing_scope)  # validate before writing anything
    work_rate = WORK_RATE
    if script["telephony"]:
        audio, work_rate = telephony(audio, work_rate), TELEPHONE_RATE
    audio = resample(audio, work_rate, rate)
    out = out_dir / f"{call_id}.{fmt}"
    encode(out, audio, rate, fmt, mu_law=bool(script["telephony"]))
    labels["audio"] = {"path": out.name, "sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
                       "duration_s": round(audio.shape[-1] / rate, 3), "sample_rate": rate,
                       "channels": audio.shape[0]}
    (out_dir / f"{call_id}.labels.json").write_text(json.dumps(labels, indent=2) + "\n")
    return labels


def render_text_only(path: Path, out_dir: Path, closing_scope: str = "offer") -> dict[str, Any]:
    """Labels only: turn times estimated from the text (speech_time), gaps as in `layout`."""
    script, turns = load_script(path)
    call_id, rate = script["call_id"], int(script["sample_rate"])
    rng = np.random.default_rng(zlib.crc32(call_id.encode()))  # same gaps as a real render
    place(turns, [speech_time(t) for t in turns], rng)
    labels = build_labels(script, turns, closing_scope)
    labels["audio"] = {"path": None, "sha256": None,
                       "duration_s": round(np.ceil((turns[-1].end + 0.8) * 10) / 10, 3),
                       "sample_rate": rate, "channels": 1 if script["layout"] == "mono" else 2}
    labels["sample"]["timing"] = "estimated"  # no audio: times come from the text
    (out_dir / f"{call_id}.labels.json").write_text(json.dumps(labels, indent=2) + "\n")
    return labels


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", metavar="CALL_ID", action="append",
                    help="render just this call (repeat for several)")
    ap.add_argument("--exclude", metavar="CALL_ID", action="append", default=[],
                    help="skip this call (repeat for several)")
    ap.add_argument("--voices", choices=sorted(VOICE_SETS), default="flite",
                    help="TTS voices (default flite; espeak transcribes much worse at 8 kHz)")
    ap.add_argument("--scripts", type=Path, default=SCRIPTS, metavar="DIR",
                    help="folder of <call_id>.yaml scripts (default: scripts/ beside this file)")
    ap.add_argument("--out", type=Path, default=HERE, metavar="DIR",
                    help="where audio and labels go (default: beside this file)")
    ap.add_argument("--text-only", action="store_true",
                    help="write only labels, with turn times estimated from the text (no audio)")
    ap.add_argument("--closing-scope", choices=CLOSING_SCOPES, default="offer",
                    help="EXCESSIVE_CLOSING_ATTEMPTS counts closes per offer (default) or over the whole call")
    args = ap.parse_args()
    paths = sorted(args.scripts.glob("*.yaml"))
    if args.only:
        if missing := set(args.only) - {p.stem for p in paths}:
            print(f"no script {', '.join(sorted(missing))} in {args.scripts}", file=sys.stderr)
            return 2
        paths = [p for p in paths if p.stem in args.only]
    paths = [p for p in paths if p.stem not in args.exclude]
    args.out.mkdir(parents=True, exist_ok=True)
    for p in paths:
        if args.text_only:
            lab = render_text_only(p, args.out, args.closing_scope)
        else:
            lab = render(p, VOICE_SETS[args.voices], args.out, args.closing_scope)
        a = lab["audio"]
        print(f"{lab['call_id']:<34} {a['duration_s']:6.1f} s  {a['sample_rate']:>5} Hz  "
              f"{a['channels']} ch  {a['path'] or '(text only)':<40} flags: {', '.join(lab['flags']) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
