"""Tell two voices apart in a mono recording, for the turns the text alone cannot place.

Each piece of speech becomes a speaker embedding (Resemblyzer's GE2E encoder, packaged with
its weights, see models/speaker_encoder.py), and the pieces are split into two groups by
average-linkage clustering on cosine distance. On the 24 labelled calls (bundled samples and
the dev corpus, stereo ones mixed down to mono) this put every piece with its own speaker,
where the earlier mean log-mel features managed 81-100% per call and failed outright on some
8 kHz calls. The groups carry no names: callqa.speech.roles names them from what each group says.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import silhouette_score

from models.speaker_encoder import SAMPLE_RATE, embed_voices
from callqa.speech.roles import VoiceGroups, VoiceSplit

MIN_PIECES = 4
MIN_SPAN_S = 0.6
MIN_VOICE_SHARE = 0.2


def voice_features(audio: np.ndarray, spans: list[tuple[float, float]], offset_s: float = 0.0) -> list[np.ndarray | None]:
    """Per span (in call time; `audio` starts at offset_s): its speaker embedding, or None for a
    span shorter than MIN_SPAN_S. Spans that short say too little about a voice (and Whisper
    gives some words no duration at all): they get no group, and the text and turn-taking place
    them. A long recording is summarised block by block this way, never held whole."""
    usable = [i for i, (start, end) in enumerate(spans) if end - start >= MIN_SPAN_S]
    rows: list[np.ndarray | None] = [None] * len(spans)
    if usable:
        embedded = embed_voices(audio, [(spans[i][0] - offset_s, spans[i][1] - offset_s) for i in usable])
        for i, row in zip(usable, embedded, strict=True):
            rows[i] = row
    return rows


def cluster_voices(rows: list[np.ndarray | None], spans: list[tuple[float, float]]) -> VoiceGroups | None:
    """Two voice groups over the embedded spans (None rows get no group), or None when there is
    too little to go on."""
    usable = [i for i, row in enumerate(rows) if row is not None]
    if len(usable) < MIN_PIECES:
        return None
    features = np.asarray([rows[i] for i in usable])
    found = AgglomerativeClustering(n_clusters=2, metric="cosine", linkage="average").fit_predict(features)
    if len(set(found)) < 2:
        return None
    # Both parties of a call talk a fair share of it: a split that leaves one side almost
    # nothing has found a few odd pieces (a cough, a garbled word), not a second voice.
    seconds = [sum(spans[i][1] - spans[i][0] for i, g in zip(usable, found, strict=True) if g == group) for group in (0, 1)]
    if min(seconds) < MIN_VOICE_SHARE * sum(seconds):
        return None
    labels: list[int | None] = [None] * len(spans)
    for i, group in zip(usable, found, strict=True):
        labels[i] = int(group)
    return VoiceGroups(tuple(labels), float(silhouette_score(features, found, metric="cosine")))


# --- who spoke when: voice embeddings on short sliding windows, two voices or one -------------
# Windows of WINDOW_S seconds every STEP_S over the speech (the words' spans), each a GE2E
# embedding. Pieces cut at pauses mix both voices when a turn follows another without a pause,
# and a piece of one short word says little; windows see every stretch of speech the same way.
WINDOW_S = 1.0
STEP_S = 0.25
MIN_WINDOW_S = 0.4
RUN_GAP_S = 0.3  # words closer than this are one stretch of speech
MAX_CLUSTER_ROWS = 1500
TARGET_RMS = 10 ** (-30 / 20)  # average-linkage runs on at most this many windows; the rest join the nearest voice


@dataclass(frozen=True)
class VoiceWindows:
    spans: np.ndarray  # (n, 2) start, end in call time
    rows: np.ndarray  # (n, 256) unit-length embeddings

    @staticmethod
    def empty() -> "VoiceWindows":
        return VoiceWindows(np.zeros((0, 2), np.float32), np.zeros((0, 256), np.float32))

    def __add__(self, other: "VoiceWindows") -> "VoiceWindows":
        return VoiceWindows(np.concatenate([self.spans, other.spans]), np.concatenate([self.rows, other.rows]))


def _runs(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    runs: list[list[float]] = []
    for start, end in sorted(spans):
        if runs and start - runs[-1][1] < RUN_GAP_S:
            runs[-1][1] = max(runs[-1][1], end)
        else:
            runs.append([start, end])
    return [(a, b) for a, b in runs]


def voice_windows(audio: np.ndarray, spans: list[tuple[float, float]], offset_s: float = 0.0) -> VoiceWindows:
    """Embeddings of sliding windows over the stretches of speech that `spans` (word spans in
    call time; `audio` starts at offset_s) cover. A stretch shorter than a window is one
    window, if at least MIN_WINDOW_S long."""
    import torch
    from resemblyzer import audio as rz_audio

    from models.speaker_encoder import load_voice_encoder

    per_s = 100  # mel frames per second
    win, step = int(WINDOW_S * per_s), int(STEP_S * per_s)
    times: list[tuple[float, float]] = []
    batches: dict[int, list[np.ndarray]] = {}
    order: dict[int, list[int]] = {}
    for start, end in _runs(spans):
        a = max(0, int((start - offset_s - 0.05) * SAMPLE_RATE))
        b = min(len(audio), int((end - offset_s + 0.05) * SAMPLE_RATE))
        if (b - a) / SAMPLE_RATE < MIN_WINDOW_S:
            continue
        n = (b - a) * per_s // SAMPLE_RATE
        starts = list(range(0, max(1, n - win + 1), step)) if n >= win else [0]
        if n >= win and starts[-1] + win < n:
            starts.append(n - win)
        for f in starts:
            lo = a + f * SAMPLE_RATE // per_s
            hi = min(b, lo + win * SAMPLE_RATE // per_s)
            chunk = audio[lo:hi].astype(np.float32)
            # The encoder reads linear mel power: each window at the level it was trained on
            # (-30 dBFS), so a loud and a quiet party are not told apart by loudness alone.
            rms = float(np.sqrt(np.mean(chunk**2))) if len(chunk) else 0.0
            if rms < 1e-5:
                continue
            mel = rz_audio.wav_to_mel_spectrogram(chunk * (TARGET_RMS / rms))
            order.setdefault(len(mel), []).append(len(times))
            batches.setdefault(len(mel), []).append(mel)
            times.append((lo / SAMPLE_RATE + offset_s, hi / SAMPLE_RATE + offset_s))
    if not times:
        return VoiceWindows.empty()
    encoder = load_voice_encoder()
    rows = np.zeros((len(times), 256), np.float32)
    with torch.no_grad():
        for length, chunks in batches.items():
            for k in range(0, len(chunks), 256):
                out = encoder(torch.from_numpy(np.asarray(chunks[k : k + 256]))).cpu().numpy()
                rows[order[length][k : k + 256]] = out
    return VoiceWindows(np.asarray(times, np.float32), rows)


BETA = 20.0  # how strongly a word's window evidence counts (per unit of cosine difference)


def _centroids(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two voice centroids: average-linkage on (a subsample of) the windows, refined by a few
    nearest-centroid passes over all of them. Returns (centroids (2, d), labels)."""
    pick = rows
    if len(rows) > MAX_CLUSTER_ROWS:
        pick = rows[np.linspace(0, len(rows) - 1, MAX_CLUSTER_ROWS).astype(int)]
    found = KMeans(n_clusters=2, n_init=10, random_state=0).fit_predict(pick)
    cents = np.stack([pick[found == k].mean(axis=0) for k in (0, 1)])
    for _ in range(5):
        cents /= np.linalg.norm(cents, axis=1, keepdims=True)
        labels = np.argmax(rows @ cents.T, axis=1)
        if len(set(labels.tolist())) < 2:
            break
        cents = np.stack([rows[labels == k].mean(axis=0) for k in (0, 1)])
    cents /= np.linalg.norm(cents, axis=1, keepdims=True)
    return cents, np.argmax(rows @ cents.T, axis=1)


def _word_evidence(windows: VoiceWindows, words: list[tuple[float, float]], cents: np.ndarray) -> np.ndarray:
    """Per word: the mean (sim to voice 0 - sim to voice 1) of the windows over its middle,
    weighted by how centred the word is in each window; 0 where no window covers it."""
    diff = windows.rows @ cents[0] - windows.rows @ cents[1]
    mids = np.asarray([(a + b) / 2 for a, b in words])
    starts, ends = windows.spans[:, 0], windows.spans[:, 1]
    out = np.zeros(len(words))
    for i, m in enumerate(mids):
        inside = (starts <= m) & (ends >= m)
        if inside.any():
            centre = (starts[inside] + ends[inside]) / 2
            half = (ends[inside] - starts[inside]) / 2
            weight = 1.0 - np.abs(m - centre) / np.maximum(half, 1e-3) + 0.1
            out[i] = float(np.average(diff[inside], weights=weight))
    return out


def _switch_prob(gap_s: float) -> float:
    """Prior that the speaker changes between two words gap_s apart: rare inside a stretch of
    speech, likelier across a pause; never forced."""
    return float(min(0.5, 0.03 + 0.6 * max(0.0, gap_s)))


def _forward_backward(evidence: np.ndarray, words: list[tuple[float, float]]) -> np.ndarray:
    """Posterior of voice 0 per word under a two-state HMM (sticky, pause-dependent switches)."""
    n = len(evidence)
    emit = np.stack([np.exp(BETA * evidence / 2), np.exp(-BETA * evidence / 2)], axis=1)
    emit /= emit.sum(axis=1, keepdims=True)
    trans = []
    for i in range(1, n):
        p = _switch_prob(words[i][0] - words[i - 1][1])
        trans.append(np.array([[1 - p, p], [p, 1 - p]]))
    alpha = np.zeros((n, 2))
    alpha[0] = 0.5 * emit[0]
    alpha[0] /= alpha[0].sum()
    for i in range(1, n):
        alpha[i] = (alpha[i - 1] @ trans[i - 1]) * emit[i]
        alpha[i] /= alpha[i].sum()
    beta = np.ones((n, 2))
    for i in range(n - 2, -1, -1):
        beta[i] = trans[i] @ (emit[i + 1] * beta[i + 1])
        beta[i] /= beta[i].sum()
    post = alpha * beta
    return post[:, 0] / post.sum(axis=1)


def separate_voices(windows: VoiceWindows, words: list[tuple[float, float]]) -> VoiceSplit | None:
    """Which of two voices said each word (spans in call time order), or one voice for all of
    them; None when there are too few windows to tell."""
    if len(words) == 0 or len(windows.rows) < MIN_PIECES:
        return None
    cents, labels = _centroids(windows.rows)
    similarity = float(cents[0] @ cents[1])
    minor = float(min(np.mean(labels == 0), np.mean(labels == 1)))
    coherence = _coherence(windows, labels)
    post0 = _forward_backward(_word_evidence(windows, words, cents), words)
    word_labels = tuple(0 if p >= 0.5 else 1 for p in post0)
    posterior = tuple(float(max(p, 1 - p)) for p in post0)
    return VoiceSplit(word_labels, posterior, similarity, minor, coherence, len(windows.rows))


def _coherence(windows: VoiceWindows, labels: np.ndarray) -> float:
    """How often a window and the next non-overlapping window of the same stretch of speech
    fall in the same group: near 1 when the groups are two people taking turns, near 0.5 when
    one voice's windows were split by what was said (measured on the real and bundled calls).
    1.0 when there are no such pairs."""
    spans = windows.spans
    agree = []
    for i in range(len(spans)):
        following = np.where((spans[:, 0] >= spans[i, 1] - 0.01) & (spans[:, 0] < spans[i, 1] + RUN_GAP_S))[0]
        if len(following):
            agree.append(labels[i] == labels[following[0]])
    return float(np.mean(agree)) if agree else 1.0
