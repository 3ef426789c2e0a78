"""The shipped upset model is the one its data builds, and reads anger apart from a plain request."""

from __future__ import annotations

import json

import numpy as np

from nlp.need_model import NEED_STYLES
from nlp.upset_model import MODEL_DIR, by_turn, choose_line, data_hash, flag_counts, gold_rows, shipped, upset_confidence


def test_the_shipped_model_matches_its_training_data() -> None:
    model, card = shipped(), json.loads((MODEL_DIR / "model_card.json").read_text())
    rows = gold_rows()
    assert model is not None and model.id == card["model_id"] == f"upset-lr@{data_hash(rows)[:8]}"
    assert card["training_command"] == "python -m nlp.upset_model train" and model.threshold == card["threshold"]
    # every style the need model reads, each customer sentence once, the authors' upset tags as labels
    assert set(card["rows"]) == set(NEED_STYLES) and sum(card["rows"].values()) == len(rows)
    assert card["upset_rows"] == sum(r.upset for r in rows) > 100
    # the line is chosen on whole turns before a pitch, each as upset as its most upset sentence
    upset, _ = by_turn(rows, np.zeros(len(rows)))
    held = card["accuracy_leave_one_style_out"]
    assert held["tp"] + held["fn"] == held["upset"] == int(upset.sum()) and held["turns_before_a_pitch"] == len(upset)


def test_a_verdicts_confidence_is_half_on_the_line_and_whole_at_twice_it() -> None:
    assert upset_confidence(0.08, 0.08) == 0.5 and upset_confidence(0.16, 0.08) == 1.0 and upset_confidence(0.9, 0.08) == 1.0
    assert 0.5 < upset_confidence(0.1, 0.08) < 0.7


def test_the_line_counts_only_verdicts_raised_past_review() -> None:
    upset = np.array([True, True, True, False, False])
    probability = np.array([0.5, 0.11, 0.02, 0.3, 0.01])
    # at 0.1, 0.11 is past the line but its confidence (0.55) only just reaches review; 0.3 is a false verdict
    assert flag_counts(upset, probability, 0.1) == (2, 1, 1)
    assert flag_counts(upset, probability, 0.3) == (1, 0, 2)
    # F0.5 prefers one true verdict and no false one (0.71) to two true and one false (0.67)
    assert choose_line(upset, probability) == 0.3


def test_anger_reads_upset_and_a_plain_request_does_not() -> None:
    model = shipped()
    assert model is not None
    angry = model.probability(["I've just opened my unit and the whole back wall is wet.", "My sofa's covered in mould.",
                               "This is disgusting, I've paid you every month for a year."], "Stowfield Self Store, Gemma speaking.")
    plain = model.probability(["I keep running out before the next delivery.", "I wear them seven days now instead of five.",
                               "Can I get more each month?"], "Lenslink support, Chloe speaking, what can I do for you?")
    assert angry > model.threshold > plain
    # a name and a date of birth first do not drown the anger after them (a turn's most upset sentence decides)
    scores = model.sentence_probabilities(["Declan Moss.", "And I nearly went over the bars on the first descent.",
                                           "I'm absolutely livid, that could've been my face."], "And the name on the booking?")
    assert scores[-1] == max(scores) > model.threshold > scores[0]
