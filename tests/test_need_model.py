"""The shipped need model is the one its data builds, and reads plain needs right."""

from __future__ import annotations

import json

import pytest

from nlp.acts import ROOT, STYLES
from nlp.need_model import MODEL_DIR, NEED_STYLES, READ_STYLES, _call_rows, data_hash, opening_turns, shipped

pytestmark = pytest.mark.slow  # loads the embedding model


def test_the_shipped_model_matches_its_training_data() -> None:
    card = json.loads((MODEL_DIR / "model_card.json").read_text())
    assert card["data_sha256"] == data_hash(_call_rows(None)), "retrain: python -m nlp.need_model train"
    assert shipped().id == card["model_id"]


def test_the_need_model_reads_the_scored_styles_and_eval_holds_each_out() -> None:
    assert not set(READ_STYLES) & set(STYLES) and NEED_STYLES == STYLES + READ_STYLES
    assert all((ROOT / "corpus" / "styles" / style / "text").is_dir() for style in READ_STYLES)
    shipped_styles = {row.style for row in _call_rows(None)}
    assert set(READ_STYLES) <= shipped_styles
    # callqa eval --styles trains train(style): the style it scores is never in its data
    assert "outbound" not in {row.style for row in _call_rows("outbound")}


@pytest.mark.parametrize(("text", "need"), [
    ("I'd like to cancel my contract, I'm moving abroad.", "cancel_service"),
    ("My internet has stopped working since this morning.", "technical_support"),
    # A bill that went up sits between billing and complaint in the corpus labels (the model says
    # complaint for "why is my bill higher?"); a charge read twice is plainly billing.
    ("I was charged twice on my last bill.", "billing"),
])
def test_plain_needs(text: str, need: str) -> None:
    model = shipped()
    probs = model.probabilities([text])[0]
    assert model.labels[int(probs.argmax())] == need


def test_the_opening_is_the_customers_first_turns() -> None:
    said = [("agent", "Hello, Acme."), ("customer", "Hi."), ("customer", "My router is dead."),
            ("agent", "Sorry to hear it."), ("customer", "It blinks red."), ("agent", "Name?"),
            ("customer", "Jo Bloggs.")]
    assert opening_turns(said, 2) == [[1, 2], [4]]
    assert opening_turns(said) == [[1, 2]]  # the default: the customer's first turn
    assert opening_turns([("agent", "Hello.")]) == []
    # no agent first: the customer's first words start a turn too
    assert opening_turns([("customer", "Hi"), ("agent", "Yes?"), ("customer", "Cancel please")], 2) == [[0], [2]]
