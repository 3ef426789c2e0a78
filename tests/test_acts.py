"""Turn acts: splitter, tag->sentence mapping, corpus labels (fast); the shipped model (slow)."""

from __future__ import annotations

import numpy as np
import pytest

from nlp import acts


def _texts(text: str) -> list[str]:
    return [text[a:b] for a, b in acts.split_sentences(text)]


def test_splitter_splits_on_end_punctuation_and_keeps_amounts():
    assert _texts("Thank you. The price is £9.99 a month! Shall I add it?") == [
        "Thank you.", "The price is £9.99 a month!", "Shall I add it?"]


def test_splitter_turn_without_punctuation_is_one_unit():
    text = "okay and were you thinking cash or monthly"
    assert acts.split_sentences(text) == [(0, len(text))]
    assert acts.split_sentences("") == [(0, 0)]


def test_quote_marks_only_overlapping_sentences():
    render = acts._render_module()
    text = "I can check that for you. Would you like our premium plan? It is ten pounds a month."
    tags = [render.parse_tag({"offer": "p", "quote": "Would you like our premium plan?"}, text),
            render.parse_tag({"disclose": {"offer": "p", "items": ["price", "recurring_charge"]},
                              "quote": "ten pounds a month"}, text),
            render.parse_tag("question", text)]  # no quote: the whole turn
    got = acts.map_tags(text, acts.split_sentences(text), tags)
    assert got == [{"service_question"}, {"pitch", "service_question"},
                   {"price", "recurring_charge", "service_question"}]


def test_quote_across_a_sentence_boundary_marks_both():
    render = acts._render_module()
    text = "No. Not today, thanks."
    tags = [render.parse_tag({"decline": "x", "quote": "No. Not today"}, text)]
    assert acts.map_tags(text, acts.split_sentences(text), tags) == [{"decline"}, {"decline"}]


def test_context_is_other_partys_previous_sentence():
    turns = [("agent", "Hello. Can I have your name?"), ("customer", "Sam."), ("customer", "Sam Jones."),
             ("agent", "Thanks. Anything else?")]
    got = [(s[1], s[2], s[3]) for s in acts.sentences_of_turns(turns)]
    assert got == [("agent", "Hello.", ""), ("agent", "Can I have your name?", ""),
                   ("customer", "Sam.", "Can I have your name?"), ("customer", "Sam Jones.", "Can I have your name?"),
                   ("agent", "Thanks.", "Sam Jones."), ("agent", "Anything else?", "Sam Jones.")]


def test_label_set_and_speakers():
    assert len(acts.ACTS) == 15 and len(set(acts.ACTS)) == 15
    assert set(acts.TAG_ACT.values()) | set(acts.ITEM_ACT.values()) == set(acts.ACTS)
    assert acts.ACT_SPEAKER["pitch"] == "agent" and acts.ACT_SPEAKER["accept"] == "customer"


def test_corpus_labels_respect_speakers():
    rows = acts.load_corpus()
    assert {r.style for r in rows} == set(acts.STYLES)
    for r in rows:
        assert all(acts.ACT_SPEAKER[a] == r.speaker for a in r.acts), r


def test_wilson_interval():
    lo, hi = acts.wilson(8, 10)
    assert 0.44 < lo < 0.5 and 0.94 < hi < 0.98


@pytest.mark.slow
def test_shipped_model_matches_corpus_and_reads_a_service_question():
    model = acts.load()
    dhash = acts.data_hash()
    assert model.card["data_sha256"] == dhash, "models/turn_acts is stale: run python -m nlp.acts train"
    assert model.id == acts.model_id(dhash)
    # the average of a narrow half (the training styles) and a broad one (every scored style too)
    assert model.card["narrow"]["styles"] == list(acts.STYLES) and model.card["broad"]["styles"] == list(acts.BROAD_STYLES)
    assert model.card["narrow"]["data_sha256"] == acts.data_hash(styles=acts.STYLES)
    assert set(acts.READ_STYLES) <= set(acts.BROAD_STYLES) and not set(acts.READ_STYLES) & set(acts.STYLES)
    assert list(model.card["acts"]) == list(acts.ACTS)
    out = model.tag_turns([("agent", "Can I have your name please?")])
    assert len(out) == 1
    assert "service_question" in out[0]["acts"]
    assert "pitch" not in out[0]["acts"]
    assert np.isfinite(list(out[0]["scores"].values())).all()


def test_averaged_readers_meet_at_the_mean_logit_and_an_unlearned_act_keeps_the_other_reader():
    n = len(acts.ACTS)
    rng = np.random.default_rng(0)
    first = acts.TurnActs(rng.normal(size=(n, 4)).astype(np.float32), rng.normal(size=n).astype(np.float32),
                          np.full(n, 0.9, dtype=np.float32), {"model_id": "first"})
    second_intercept = rng.normal(size=n).astype(np.float32)
    second_intercept[0] = acts.UNLEARNED_INTERCEPT  # the second never learned the first act
    second = acts.TurnActs(rng.normal(size=(n, 4)).astype(np.float32), second_intercept,
                           np.full(n, 0.5, dtype=np.float32), {"model_id": "second"})
    both = acts.averaged(first, second, "both")
    X = rng.normal(size=(3, 4))

    def logit(p):
        return np.log(p / (1 - p))

    expected = (logit(first.scores(X)) + logit(second.scores(X))) / 2
    np.testing.assert_allclose(logit(both.scores(X))[:, 1:], expected[:, 1:], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(both.scores(X)[:, 0], first.scores(X)[:, 0], rtol=1e-5)
    assert both.thresholds[0] == pytest.approx(0.9)
    assert both.thresholds[1] == pytest.approx(0.75, abs=1e-6)  # logits of 0.9 and 0.5: 2.197 and 0, mean 1.099
    assert both.id == "both" and both.card["averaged"] == ["first", "second"]


def test_unpunctuated_copies_keep_labels_and_are_marked():
    assert acts.strip_punctuation("Can I have your name, please? It's £5.") == "can i have your name please it's £5"
    rows = [acts.Sentence("formal", "c", 0, "agent", "Can I have your name?", "Hello.", {"service_question"}),
            acts.Sentence("asr", "d", 0, "agent", "can i have your name", "", {"service_question"})]
    out = acts.augment(rows)
    assert len(out) == 3 and out[2].augmented and out[2].text == "can i have your name" and out[2].context == "hello"
    assert out[2].acts == {"service_question"}


def test_sgd_labels_follow_the_scripts_convention_for_calls_without_an_offer():
    lab = acts.sgd_sentence_labels
    # An agent question about the user's own request is a service question, never a pitch.
    assert lab("agent", "Would you like to make a reservation?", {"OFFER_INTENT"}, set()) == ({"service_question"}, frozenset())
    assert lab("agent", "Is there anything else I can help with?", {"REQ_MORE"}, set())[0] == {"service_question"}
    # Putting an option in front of the user: no pitch/close label either way.
    assert lab("agent", "I found 3 options, one is Chez Marie in Soho.", {"OFFER"}, set()) == (
        set(), frozenset({"pitch", "close"}))
    # An imperative request without a question mark: not said for service_question.
    assert lab("agent", "Please tell me the city.", {"REQUEST"}, set()) == (set(), frozenset({"service_question"}))
    assert lab("agent", "Your table is booked.", {"NOTIFY_SUCCESS"}, set()) == (set(), frozenset())
    # Customer: replies to an option are unlabelled for the answer acts; other replies are negatives.
    assert lab("customer", "Yes, book it.", {"AFFIRM_INTENT"}, {"OFFER_INTENT"}) == (
        set(), frozenset({"accept", "decline", "undecided"}))
    assert lab("customer", "No, that's all.", {"NEGATE", "THANK_YOU"}, {"REQ_MORE"}) == (set(), frozenset())
    # Need and the disclosure acts are never labelled on SGD (see UNLABELLED).
    assert acts.UNLABELLED["sgd"] == set(acts.DISCLOSURE_ACTS) | {"need"}


def test_p4g_labels_read_the_donation_ask_as_the_offer_and_close():
    lab = acts.p4g_sentence_labels
    # The first ask for the donation offers it and asks for it; a later ask only closes.
    assert lab("agent", {"proposition-of-donation"}, False) == ({"pitch", "close"}, frozenset())
    assert lab("agent", {"proposition-of-donation"}, True) == ({"close"}, frozenset({"pitch"}))
    assert lab("agent", {"ask-donation-amount"}, False)[0] == {"pitch", "close"}
    assert lab("agent", {"ask-donate-more"}, False) == ({"close"}, frozenset({"pitch"}))
    # Describing or arguing for the charity: not a close, no evidence on pitch.
    assert lab("agent", {"credibility-appeal"}, False) == (set(), frozenset({"pitch"}))
    # Unclear ones are neither; small talk is a negative for both; a proposal wins over a 2nd label.
    assert lab("agent", {"foot-in-the-door"}, True) == (set(), frozenset({"pitch", "close"}))
    assert lab("agent", set(), True) == (set(), frozenset({"pitch", "close"}))
    assert lab("agent", {"greeting"}, False) == (set(), frozenset())
    assert lab("agent", {"greeting", "proposition-of-donation"}, False)[0] == {"pitch", "close"}
    # Persuadee: only explicit agreement or refusal is labelled.
    assert lab("customer", {"agree-donation"}, True) == ({"accept"}, frozenset())
    assert lab("customer", {"disagree-donation-more"}, True) == ({"decline"}, frozenset())
    assert lab("customer", {"positive-reaction-to-donation"}, True) == (set(), frozenset({"accept", "decline"}))
    assert {"book", "recap", "service_question", "need", "complaint", "undecided"} <= acts.UNLABELLED["p4g"]


def test_p4g_rows_mark_only_the_first_proposal_as_the_pitch_and_keep_the_other_partys_context():
    rows = acts.public_rows({"p4g": acts.P4G_EXTRACT})
    assert len(rows) == 10864 and {r.style for r in rows} == {"p4g"} and "p4g" not in acts.STYLES
    by_call: dict[str, list[acts.Sentence]] = {}
    for r in rows:
        assert all(acts.ACT_SPEAKER[a] == r.speaker for a in r.acts) and not r.acts & r.unlabelled, r
        by_call.setdefault(r.call, []).append(r)
    assert all(sum("pitch" in r.acts for r in rs) <= 1 for rs in by_call.values())
    assert sum(any("pitch" in r.acts for r in rs) for rs in by_call.values()) > 200
    first = rows[0]
    assert first.speaker == "agent" and first.context == ""
    reply = next(r for r in rows if r.speaker == "customer")
    assert reply.context == [r for r in rows if r.speaker == "agent" and r.turn < reply.turn and r.call == reply.call][-1].text


def test_public_rows_are_a_training_only_source_with_row_level_unlabelled_acts():
    rows = acts.public_rows({"sgd": acts.SGD_EXTRACT})
    assert rows and {r.style for r in rows} == {"sgd"} and "sgd" not in acts.STYLES
    for r in rows:
        assert all(acts.ACT_SPEAKER[a] == r.speaker for a in r.acts), r
        assert not r.acts & r.unlabelled, r
    assert not any(r.acts & acts.DISCLOSURE_ACTS or {"pitch", "close", "book", "recap"} & r.acts for r in rows)
    # Row-level unlabelled acts drop out of training for that act only.
    offered = next(r for r in rows if "pitch" in r.unlabelled)
    assert not acts.labelled_mask([offered], "pitch")[0] and acts.labelled_mask([offered], "service_question")[0]
    # The public extracts trained on are part of the data the model card's hash covers.
    assert acts.public_files() == sorted(acts.PUBLIC_SOURCES.values())
