"""Tell two voices apart in a mono recording, for the turns the text alone cannot place.

Each piece of speech becomes a speaker embedding (Resemblyzer's GE2E encoder, packaged with
its weights, see models/speaker_encoder.py), and the pieces are split into two groups by
average-linkage clustering on cosine distance. On the 24 labelled calls (bundled samples and
the dev corpus, stereo ones mixed down to mono) this put every piece with its own speaker,
where the earlier mean log-mel features managed 81-100% per call and failed outright on some
8 kHz calls. The groups carry no names: callqa.speech.roles names them from what each group says.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import silhouette_score

from models.speaker_encoder import embed_voices
from callqa.speech.roles import VoiceGroups

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
