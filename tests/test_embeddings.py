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


LONG_TURN = " ".join(["I have been on hold for forty minutes and nobody has called me back about the refund."] * 20)
TEXTS = [CLOSE, THANKS, FEE, "", "No.", LONG_TURN, LONG_TURN[:700], "mm hmm yeah so um the the router thing",
         "It's nine ninety-nine a month on a twelve-month contract, and you can cancel in the first fourteen days.",
         "Would you like me to add the premium sports pack to your package today?", "Can I take your postcode, please?",
         "This is the third time I've rung about it and I'm absolutely sick of it.", "Go on then, add it.",
         "i'm not sure let me think about it and i'll call you back", "Your engineer is booked for Tuesday morning.",
         "We've got a deal on at the moment, most people in your situation go for it."]


@pytest.fixture(scope="module")
def fp32_export(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from models.embeddings import FP32_BATCH, export_fp32, open_encoder

    return open_encoder(export_fp32(tmp_path_factory.mktemp("minilm") / "fp32.onnx"), FP32_BATCH)


def test_the_fp32_export_gives_sentence_transformers_vectors(fp32_export) -> None:  # type: ignore[no-untyped-def]
    """The int8 model is quantised from this export of the packaged weights, which must give
    sentence-transformers' vectors (a broken export, pooling over padding, or a truncation at the
    tokenizer file's 128 tokens would not)."""
    from sentence_transformers import SentenceTransformer

    from models.embeddings import package_dir

    reference = SentenceTransformer(str(package_dir()), device="cpu").encode(TEXTS, normalize_embeddings=True, batch_size=3)
    np.testing.assert_allclose(fp32_export.encode(TEXTS), reference, atol=1e-5)


def test_the_shipped_int8_model_stays_close_to_the_fp32_export(fp32_export) -> None:  # type: ignore[no-untyped-def]
    """Per-channel 7-bit weights keep every vector within cosine 0.93 of fp32's and 0.98 on
    average (per-tensor weights fall to 0.81 and 0.94 on a 10-minute call's texts)."""
    texts = [t for t in TEXTS if t]
    cosine = (encode(texts) * fp32_export.encode(texts)).sum(axis=1)
    assert cosine.min() >= 0.93 and cosine.mean() >= 0.98, cosine.round(3)


def test_a_texts_vector_does_not_depend_on_what_is_embedded_beside_it() -> None:
    """The int8 model quantises each run's activations with one scale: a text embedded in a run
    with a long turn would read differently than alone, and so would a call scored after another."""
    alone = encode([CLOSE, FEE])
    beside = encode([LONG_TURN, CLOSE, "mm hmm", FEE, TEXTS[8]])
    assert np.array_equal(alone[0], beside[1]) and np.array_equal(alone[1], beside[3])
