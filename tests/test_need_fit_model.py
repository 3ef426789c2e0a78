"""The shipped need-fit model is the one its data builds, and judges plain offers as the labels do."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nlp.confidence import need_fit_confidence
from nlp.need_fit import Cues
from nlp.need_fit_model import FEATURES, MODEL_DIR, NeedFitModel, choose_threshold, f1, f_beta, flag_counts, gold_rows, data_hash, shipped
from nlp.need_model import NEED_STYLES


def test_a_model_verdicts_confidence_is_half_on_its_line_and_rises_with_the_probability() -> None:
    assert need_fit_confidence("need-fit-lr@abc:0.30:0.30", 0.35)[0] == 0.5
    assert need_fit_confidence("need-fit-lr@abc:1.00:0.30", 0.35)[0] == 1.0
    low, basis = need_fit_confidence("need-fit-lr@abc:0.40:0.30", 0.35)
    assert 0.5 < low < 0.6 and "0.40" in basis


def test_flag_counts_and_f1_at_a_line() -> None:
    unfit = np.array([True, True, False, False])
    probability = np.array([0.9, 0.2, 0.6, 0.1])
    assert flag_counts(unfit, probability, 0.5) == (1, 1, 1)
    assert f1(1, 1, 1) == 0.5 and f1(0, 3, 2) == 0.0


def test_the_line_weighs_precision_above_recall() -> None:
    # ten unfit offers and ten fitting ones: a low line finds all ten unfit with three false
    # verdicts (F1 0.87, F0.5 0.81), a line above 0.42 finds seven with none false (F1 0.82, F0.5 0.92)
    unfit = np.array([True] * 10 + [False] * 10)
    probability = np.array([0.95] * 7 + [0.42] * 3 + [0.42] * 3 + [0.05] * 7)
    assert flag_counts(unfit, probability, 0.2) == (10, 3, 0) and flag_counts(unfit, probability, 0.5) == (7, 0, 3)
    assert f1(10, 3, 0) > f1(7, 0, 3) and f_beta(10, 3, 0, 0.5) < f_beta(7, 0, 3, 0.5)
    assert choose_threshold(unfit, probability) > 0.42


def test_the_model_trains_on_every_style_the_need_model_reads() -> None:
    assert {r.style for r in gold_rows()} == set(NEED_STYLES)


def test_the_model_reads_the_features_it_names() -> None:
    # a hand-set model: only "pivot" counts, so its probability moves with that cue alone
    coef = np.zeros(len(FEATURES))
    coef[FEATURES.index("pivot")] = 4.0
    model = NeedFitModel(coef, -2.0, 0.5, "need-fit-test")
    X = np.zeros((2, len(FEATURES)))
    X[1, FEATURES.index("pivot")] = 1.0
    low, high = model.of_rows(X)
    assert low < 0.5 < high


@pytest.mark.slow  # embeds the corpus's offers
def test_the_shipped_model_matches_its_training_data() -> None:
    card = json.loads((MODEL_DIR / "model_card.json").read_text())
    assert card["data_sha256"] == data_hash(gold_rows()), "retrain: python -m nlp.need_fit_model train"
    model = shipped()
    assert model is not None and model.id == card["model_id"] and model.threshold == card["threshold"]


@pytest.mark.slow
def test_plain_offers_are_judged_as_the_labels_judge_them() -> None:
    model = shipped()
    assert model is not None
    warranty = Cues("new_purchase", "cross_sell", "Since it's a laptop you'll carry around, you might want our accident cover.",
                    ("I'd like to buy the fourteen inch laptop.",), pivot=False, link=True, serves=True, response="undecided")
    pivot = Cues("complaint", "cross_sell", "While I have you, we have a great deal on our Sports Plus TV package.",
                 ("My bill is wrong again and nobody has fixed it.",), pivot=True, link=False, serves=False, response="undecided")
    assert model.no_fit_probability(warranty) <= model.threshold < model.no_fit_probability(pivot)


@pytest.mark.slow
def test_a_declined_offer_reads_less_fitting_than_the_same_offer_taken() -> None:
    model = shipped()
    assert model is not None
    offer = dict(need="billing", kind="cross_sell", turn="We also do home insurance, it's nine pounds a month.",
                 said=("I've a question about a charge on my bill.",), pivot=False, link=False, serves=False)
    assert model.no_fit_probability(Cues(**offer, response="declined")) > model.no_fit_probability(Cues(**offer, response="accepted"))
