"""The product of a pitch, chosen by the learned scorer: the shipped model is the one its data
builds, and it never names an address, a unit, an amount, an account number or the company."""

from __future__ import annotations

import json

import pytest

from nlp.parse import load_pipeline, parse
from nlp.policy import load_policy
from nlp.product_span import (MODEL_DIR, candidates, choose, company_names, data_hash, fit, model_id, pitches, quiet_turns, same_product,
                               shipped, shipped_weights, training_data)
from nlp.sales import find_offers
from nlp.transcript import Segment, Transcript


def _sentence(text: str):
    return load_pipeline()(text)[:]


def test_the_shipped_model_matches_its_training_data() -> None:
    card = json.loads((MODEL_DIR / "model_card.json").read_text())
    assert card["data_sha256"] == data_hash(pitches() + quiet_turns()), "retrain: python -m nlp.product_span train"
    model = shipped()
    assert model is not None and model.id == card["model_id"] == model_id(card["data_sha256"], shipped_weights(model))
    assert model.min_probability == card["min_probability"]


@pytest.mark.slow
def test_retraining_writes_the_shipped_weights() -> None:
    """Features are code: a change to them leaves the data hash as it was but not the weights, and
    the shipped model would then score features it was not trained on."""
    _, _, examples, quiet = training_data()
    retrained, model = fit(examples, quiet, ""), shipped()
    assert model is not None and retrained.min_probability == model.min_probability
    assert retrained.weights.keys() == model.weights.keys(), "retrain: python -m nlp.product_span train"
    assert retrained.intercept == pytest.approx(model.intercept, abs=1e-4)
    assert all(retrained.weights[k] == pytest.approx(w, abs=1e-4) for k, w in model.weights.items()), "retrain: python -m nlp.product_span train"


# (sentence, the company, what must never be named, the product)
NEVER = [
    ("We can move you to our Green Saver tariff at eleven cents per kilowatt hour.", (), ["kilowatt hour", "eleven cents"], "Green Saver tariff"),
    ("We could deliver the mesh kit to 22 Acacia Avenue, or you could add our Premium Care plan.", (),
     ["22 Acacia Avenue", "Acacia Avenue"], "Premium Care plan"),
    ("Have you thought about our Home Protect cover for your flat on Baker Street?", (), ["Baker Street", "flat"], "Home Protect cover"),
    ("For account 44172391 I'd recommend our Travel Pass.", (), ["account", "44172391", "account 44172391"], "Travel Pass"),
    ("I see your account number ends four four one seven, and we also have the sixty megabit plan.", (),
     ["account number", "four four one seven"], "sixty megabit plan"),
    ("At Carrington Motors we'd recommend the Tyre Safety Pack.", ("Carrington Motors",), ["Carrington Motors"], "Tyre Safety Pack"),
    ("You might like Carrington Motors.", ("Carrington Motors",), ["Carrington Motors"], None),
    ("would you like the same box", (), ["same box", "box"], None),
    ("we also have the sixty megabit plan for thirty dollars a month", (), ["thirty dollars", "month"], "sixty megabit plan"),
    ("with finance most people add gap insurance", (), ["most people"], "gap insurance"),
    ("I'll put it as two stroke L, fifty Dalkeith Road, D D four seven H Z.", (), ["D D four seven H Z.", "D D four seven H Z"], None),
    # the customer addressed by name, a day and a time (a read blind-set call each)
    ("While I've got you, Ms Farah, we've got a forty-minute massage slot at two fifteen on Sunday.", (), ["Ms Farah"], None),
    ("It's still flexible, you can skip or cancel any week before Friday noon.", (), ["Friday noon"], None),
    # a name spaCy tags as an adjective and a conjunction, or opened by one ("Forkful" is the company)
    ("Since you order that often, Forkful Plus would probably save you money.", ("Forkful",), ["Forkful"], "Forkful Plus"),
    ("Or All Access is twenty-two ninety-nine a week.", (), ["Or All Access"], "All Access"),
    # a thanks before the agent books something names nothing
    ("Lovely, I've added it.", (), ["Lovely"], None),
    ("Good stuff, I've added it to the booking.", (), ["Good stuff", "stuff"], None),
    # a service word vetoes the phrase unless its head is what pays for the service
    ("I can book an engineer visit for Tuesday.", (), ["engineer visit"], None),
]


def test_a_models_rating_after_its_name_is_no_unit() -> None:
    """"the Vantage nine kilowatt" names a stove (a read blind-set call); "kilowatt hour" and "ten
    gigs" stay units of what is sold."""
    named = {c.text: c.vetoed_by for c in candidates(_sentence("What a lot of customers do is upgrade to the Vantage nine kilowatt."))}
    rate = {c.text: c.vetoed_by for c in candidates(_sentence("It's thirty pence a kilowatt hour, or ten gigs for five pounds."))}
    assert named["Vantage nine kilowatt"] == ""
    assert rate["kilowatt hour"] == rate["ten gigs"] == "SPAN-NOT-UNIT"


def test_a_plan_that_pays_for_a_service_is_a_product() -> None:
    plan = {c.text: c.vetoed_by for c in candidates(_sentence("Honestly, what you want is our repair protection plan."))}
    visit = {c.text: c.vetoed_by for c in candidates(_sentence("We can book you a repair visit on Tuesday."))}
    assert plan["repair protection plan"] == ""
    assert visit["repair visit"] == "SPAN-SERVICE-NOT-SALE"


@pytest.mark.parametrize(("text", "companies", "never", "product"), NEVER)
def test_never_an_address_a_unit_an_account_number_or_the_company(text: str, companies: tuple[str, ...], never: list[str],
                                                                    product: str | None) -> None:
    model = shipped()
    assert model is not None
    sentence = _sentence(text)
    chosen = choose(model, sentence, companies)
    assert (chosen.text if chosen else None) not in never
    assert (chosen.text if chosen else None) == product
    # the rules take them out whatever the weights: no retraining can bring them back
    assert all(c.vetoed_by for c in candidates(sentence, companies) if c.text in never)


def test_the_company_is_read_from_the_greeting() -> None:
    greeting = _sentence("Good afternoon, Carrington Motors customer line, Hyacinth speaking. How may I help you?")
    assert "Carrington Motors" in company_names([greeting])


@pytest.mark.parametrize(("found", "gold", "same"), [
    ("Easy Access Saver", "Easy Access Saver account", True),
    ("Sports Pack", "Sports Pack TV add-on", True),
    ("Card Guard", "Card Guard fraud protection", True),
    ("weekday membership", "Weekday climbing membership (retention)", True),
    ("card", "Card spending text alerts", False),
    ("plan", "PCP finance plan", False),
    ("same cover", "Discounted renewal price (retention)", False),
])
def test_what_counts_as_naming_the_annotated_product(found: str, gold: str, same: bool) -> None:
    assert same_product(found, gold) is same


def test_the_offer_names_the_scorer_in_its_product_evidence() -> None:
    lines = [("agent", "Good morning, Brightwave Energy, Sam speaking. How can I help?"),
             ("customer", "Hi, my bill went up and I want to know why."),
             ("agent", "I can see the unit rate changed. We also have our Green Saver tariff at eleven cents per kilowatt hour."),
             ("customer", "No thanks.")]
    segments = tuple(Segment(f"t-{s}-{i:04d}", s, "left" if s == "agent" else "right", 5.0 * i, 5.0 * i + 4, text, 1.0)
                     for i, (s, text) in enumerate(lines))
    offers = find_offers(parse(Transcript("t", segments)), load_policy())
    model = shipped()
    assert model is not None
    assert [o.product for o in offers] == ["Green Saver tariff"]
    evidence = offers[0].product_evidence
    assert evidence is not None and evidence.rule == model.id and evidence.quote == "Green Saver tariff"
    assert evidence.model_score is not None and evidence.model_score >= model.min_probability
