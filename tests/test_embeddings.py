"""The embedding memo: each distinct text goes through MiniLM once, and what comes back is what
the model gives for it (to the 1e-6 the batch's padding allows)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from models.embeddings import MEMO_ROWS, configure_memo, embed, encode, memo_counts

pytestmark = pytest.mark.slow  # loads the embedding model

CLOSE = "I'd like to close my account."
THANKS = "Thanks, that's all."
FEE = "Is there a fee for that?"


@pytest.fixture(autouse=True)
def fresh_memo() -> Iterator[None]:
    configure_memo()
    yield
    configure_memo(MEMO_ROWS)


def test_a_text_repeated_in_a_call_and_across_calls_is_embedded_once() -> None:
    first = embed([CLOSE, THANKS, CLOSE])
    assert memo_counts() == {"hits": 1, "encoded": 2, "rows": 2}
    second = embed([THANKS, FEE])
    assert memo_counts() == {"hits": 2, "encoded": 3, "rows": 3}
    assert np.array_equal(first[0], first[2]) and np.array_equal(first[1], second[0])
    np.testing.assert_allclose(first, encode([CLOSE, THANKS, CLOSE]), atol=1e-6)
    np.testing.assert_allclose(second, encode([THANKS, FEE]), atol=1e-6)
    assert np.allclose(np.linalg.norm(second, axis=1), 1.0, atol=1e-5)


def test_a_caller_changing_its_rows_does_not_change_the_memo() -> None:
    rows = embed([CLOSE])
    kept = rows.copy()
    rows[:] = 0.0
    assert np.array_equal(embed([CLOSE]), kept)


def test_the_memo_keeps_the_most_recent_rows_and_can_be_off() -> None:
    configure_memo(rows=2)
    embed([CLOSE, THANKS])
    embed([CLOSE])  # CLOSE is now the most recent
    embed([FEE])  # pushes out THANKS, the least recently used
    assert memo_counts()["rows"] == 2
    embed([CLOSE])
    assert memo_counts()["encoded"] == 3
    embed([THANKS])
    assert memo_counts()["encoded"] == 4
    configure_memo(rows=0)
    out = embed([CLOSE, CLOSE])
    assert memo_counts() == {"hits": 0, "encoded": 0, "rows": 0} and out.shape == (2, 384)
    assert embed([]).shape == (0, 384)


def test_the_onnx_export_gives_sentence_transformers_vectors() -> None:
    """The shipped encoder is the packaged weights under ONNX Runtime; the models were trained on
    sentence-transformers' vectors of the same weights, so the two must agree (a broken export,
    pooling over padding, or a truncation at the tokenizer file's 128 tokens would not)."""
    from sentence_transformers import SentenceTransformer

    from models.embeddings import package_dir

    long_turn = " ".join(["I have been on hold for forty minutes and nobody has called me back about the refund."] * 20)
    texts = [CLOSE, THANKS, FEE, "", "No.", long_turn, long_turn[:700], "mm hmm yeah so um the the router thing"]
    reference = SentenceTransformer(str(package_dir()), device="cpu").encode(texts, normalize_embeddings=True, batch_size=3)
    np.testing.assert_allclose(encode(texts), reference, atol=1e-5)
