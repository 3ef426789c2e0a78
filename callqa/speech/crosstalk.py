"""Crosstalk on stereo calls: one party's voice in the other party's channel.

A stereo recording keeps each party on its own channel, but line echo, a headset's sidetone
or a bridge that mixes a little of each side into the other can leak one party's voice into
the other's channel, typically 20-30 dB down. Whisper sees each channel alone, hears the leak
and writes it as the wrong party's words. Two steps (settings crosstalk_gate, crosstalk_guard,
crosstalk_margin_db; measured in the README, "Voice activity and hallucinations"):

gate_echo, before decoding: the voiced 30 ms frames of a channel under which the other channel
is crosstalk_margin_db louder and whose level follows the other channel's over the surrounding
GATE_FRAMES are silenced. A channel with nothing to gate is returned as it was.

drop_crosstalk, after decoding: a run of consecutive words under which the other channel is
crosstalk_margin_db louder is dropped when its loudness contour follows the other channel's
(frame levels correlated at ENVELOPE_R or more: Whisper often writes a quiet leak as other
words), or when at least half its words (normalised) are among the words the other channel's
transcript has within CONTEXT_S of it (then words at either end of the run that the other channel
did not say are kept, e.g. a "yes" said under the other party's sentence). Every drop is recorded
beside the hallucination guard's, reason "crosstalk", rule XTALK-ECHO:<which evidence>.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from callqa.settings import Settings
from callqa.speech.guard import Dropped
from callqa.speech.vad import FRAME_S
from nlp.phrases import normalise
from nlp.transcript import Segment, Word

RULE = "XTALK-ECHO"
CONTEXT_S = 1.0  # how far around an echo word the other channel's words are looked for
MIN_SPAN_S = 0.12  # Whisper's word times are loose: a word's level is read over at least this
ENVELOPE_R = 0.8  # correlation of the two channels' frame levels over a run that marks an echo
ENVELOPE_MIN_FRAMES = 10  # ... over at least this many 30 ms frames (the run is padded to it)


def _tokens(text: str) -> list[str]:
    return normalise(text).split()


def span_level_db(frame_db: np.ndarray, start_s: float, end_s: float) -> float:
    """Mean power (in dB) of the 30 ms frames under [start_s, end_s], times relative to frame_db's start."""
    if end_s - start_s < MIN_SPAN_S:
        mid = (start_s + end_s) / 2
        start_s, end_s = mid - MIN_SPAN_S / 2, mid + MIN_SPAN_S / 2
    first = max(0, int(start_s / FRAME_S))
    last = max(first + 1, int(np.ceil(end_s / FRAME_S)))
    part = frame_db[first:last]
    if part.size == 0:
        return -200.0
    return float(10 * np.log10(np.mean(10 ** (part / 10))))


def _nearby_words(other: list[Segment], start: float, end: float) -> set[str]:
    found: set[str] = set()
    for seg in other:
        if seg.end < start - CONTEXT_S or seg.start > end + CONTEXT_S:
            continue
        for w in seg.words:
            if w.end >= start - CONTEXT_S and w.start <= end + CONTEXT_S:
                found.update(_tokens(w.text))
    return found


def _follows(own_db: np.ndarray, other_db: np.ndarray, start_s: float, end_s: float) -> bool:
    """Whether own's frame levels rise and fall with other's over [start_s, end_s] (block
    times): an echo is a scaled copy, one's own speech has its own contour."""
    first = max(0, int(start_s / FRAME_S))
    last = int(np.ceil(end_s / FRAME_S))
    if last - first < ENVELOPE_MIN_FRAMES:
        pad = (ENVELOPE_MIN_FRAMES - (last - first) + 1) // 2
        first, last = max(0, first - pad), last + pad
    a = np.maximum(own_db[first:last], -100.0)
    b = np.maximum(other_db[first:last], -100.0)
    n = min(a.size, b.size)
    if n < ENVELOPE_MIN_FRAMES or np.std(a[:n]) < 1e-6 or np.std(b[:n]) < 1e-6:
        return False
    return float(np.corrcoef(a[:n], b[:n])[0, 1]) >= ENVELOPE_R


def _repeats(word: Word, nearby: set[str]) -> bool:
    return any(t in nearby for t in _tokens(word.text))


def _segment_of(seg: Segment, words: list[Word]) -> Segment:
    return replace(
        seg,
        start=words[0].start,
        end=words[-1].end,
        text=" ".join(w.text for w in words if w.text).strip(),
        confidence=round(float(np.mean([w.prob for w in words])), 3),
        words=tuple(words),
    )


def drop_crosstalk(
    own: list[Segment],
    other: list[Segment],
    own_db: np.ndarray,
    other_db: np.ndarray,
    offset_s: float,
    settings: Settings,
) -> tuple[list[Segment], list[Dropped]]:
    """own's segments without the words that echo the other channel, and what was dropped.

    own_db and other_db are the two channels' frame levels (callqa.speech.vad.frame_energy_db)
    of the same block of audio, which starts offset_s into the call; segment times are call times.
    """
    margin = settings.crosstalk_margin_db
    kept: list[Segment] = []
    dropped: list[Dropped] = []
    for seg in own:
        louder = [
            span_level_db(other_db, w.start - offset_s, w.end - offset_s) - span_level_db(own_db, w.start - offset_s, w.end - offset_s) >= margin
            for w in seg.words
        ]
        if not any(louder):
            kept.append(seg)
            continue
        # Runs of consecutive words under louder speech on the other channel.
        runs: list[tuple[int, int]] = []
        i = 0
        while i < len(louder):
            if louder[i]:
                j = i
                while j + 1 < len(louder) and louder[j + 1]:
                    j += 1
                runs.append((i, j + 1))
                i = j + 1
            else:
                i += 1
        echo = [False] * len(seg.words)
        for a, b in runs:
            words = seg.words[a:b]
            tokens = [t for w in words for t in _tokens(w.text)]
            if not tokens:
                continue
            nearby = _nearby_words(other, words[0].start, words[-1].end)
            if _follows(own_db, other_db, words[0].start - offset_s, words[-1].end - offset_s):
                # A loudness contour that follows the other channel's is an echo whatever Whisper
                # made of it (it often writes a quiet leak as other words: "cowbellies" for
                # "account balance").
                rule = f"{RULE}:other_louder>={margin:g}dB&follows_other_r>={ENVELOPE_R:g}"
            elif sum(t in nearby for t in tokens) * 2 >= len(tokens):
                # What the other channel said; a word of one's own at the run's edge that the
                # other channel did not say ("okay" under the other's sentence) stays.
                while a < b and not _repeats(seg.words[a], nearby):
                    a += 1
                while b > a and not _repeats(seg.words[b - 1], nearby):
                    b -= 1
                rule = f"{RULE}:other_louder>={margin:g}dB&repeats_other"
            else:
                continue
            words = seg.words[a:b]
            if words:
                for k in range(a, b):
                    echo[k] = True
                dropped.append(
                    Dropped(
                        seg.channel,
                        round(words[0].start, 2),
                        round(words[-1].end, 2),
                        " ".join(w.text for w in words),
                        "crosstalk",
                        rule,
                    )
                )
        if not any(echo):
            kept.append(seg)
            continue
        # What is left of the segment, split where echo words were taken out.
        current: list[Word] = []
        for word, is_echo in zip(seg.words, echo, strict=True):
            if is_echo:
                if current:
                    kept.append(_segment_of(seg, current))
                current = []
            else:
                current.append(word)
        if current:
            kept.append(_segment_of(seg, current))
    return kept, dropped


GATE_FRAMES = 10  # the sliding window (30 ms frames) over which the gate compares contours


def gate_echo(own: np.ndarray, other: np.ndarray, settings: Settings) -> np.ndarray:
    """own with the frames that hold only the other party's echo silenced, before the VAD and
    Whisper see it: frames where the other channel is crosstalk_margin_db louder and own's level
    follows other's over the surrounding GATE_FRAMES (r >= ENVELOPE_R). own itself (not a copy)
    when nothing is gated, so a clean channel decodes exactly as without the gate."""
    from callqa.speech.vad import frame_energy_db

    return _gated(own, frame_energy_db(own), frame_energy_db(other), settings)


def gate_pair(left: np.ndarray, right: np.ndarray, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """gate_echo both ways on a stereo block, each channel's frame levels measured once (the
    levels were two thirds of the gate's time when each direction measured both again)."""
    from callqa.speech.vad import frame_energy_db

    left_db, right_db = frame_energy_db(left), frame_energy_db(right)
    return _gated(left, left_db, right_db, settings), _gated(right, right_db, left_db, settings)


def _gated(own: np.ndarray, own_db: np.ndarray, other_db: np.ndarray, settings: Settings) -> np.ndarray:
    from callqa.speech.vad import SAMPLE_RATE, voiced_from_db

    n = min(own_db.size, other_db.size)
    if n < GATE_FRAMES:
        return own
    a, b = np.maximum(own_db[:n], -100.0), np.maximum(other_db[:n], -100.0)
    louder = b - a >= settings.crosstalk_margin_db
    if not louder.any():
        return own
    wa = np.lib.stride_tricks.sliding_window_view(a, GATE_FRAMES)
    wb = np.lib.stride_tricks.sliding_window_view(b, GATE_FRAMES)
    da, db = wa - wa.mean(axis=1, keepdims=True), wb - wb.mean(axis=1, keepdims=True)
    denom = np.sqrt((da**2).sum(axis=1) * (db**2).sum(axis=1))
    r = np.where(denom > 1e-9, (da * db).sum(axis=1) / np.maximum(denom, 1e-9), 0.0)
    # A frame follows when any window holding it does (windows start at 0 .. n - GATE_FRAMES):
    # frame j is in the windows starting at j - GATE_FRAMES + 1 .. j.
    follows = np.convolve((r >= ENVELOPE_R).astype(np.int64), np.ones(GATE_FRAMES, dtype=np.int64))[:n] > 0
    # Only frames with something in them: silencing a line's noise floor changes nothing a
    # listener hears but changes what Whisper writes elsewhere in the window.
    gate = louder & follows & voiced_from_db(own_db)[:n]
    if not gate.any():
        return own
    frame = int(SAMPLE_RATE * FRAME_S)
    out = own.copy()
    out[: n * frame].reshape(n, frame)[gate] = 0.0
    return out
