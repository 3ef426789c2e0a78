"""Amounts as callers and agents say them: with a currency, with a period, and without either."""

import pytest

from nlp.numbers import money_amounts


@pytest.mark.parametrize(("text", "value"), [
    ("It's forty five dollars a month.", 45.0),
    ("that's nine ninety nine per month", 9.99),
    ("four pounds fifty a month", 4.0),  # the first amount said; the cents are a hint only
    ("three days of Roam Pass at eight ninety-nine each", 8.99),
    ("standard is free, or next-day for six ninety-nine?", 6.99),
    ("two extra seats at nine a seat", 9.0),
    ("Premium adds films, fifteen more.", 15.0),
    ("for just forty you get the lot", 40.0),
    ("the lounge is thirty-two a person", 32.0),
    ("What I do have is the FL260. It's twelve forty-nine, if you'd like it.", 12.49),
    ("It's eighty-nine ninety-nine against the seventy-four of the 600.", 89.99),
    ("The Pro costs nineteen ninety-nine.", 19.99),
    ("So your total is 186.40 for the flights plus 36 for the seats.", 186.40),  # typed, no currency
    ("We also offer single-trip cover, 14.50, covering cancellation.", 14.50),
    ("It's eighty-nine for the year, two services and a safety check.", 89.0),  # no currency, a period after "for the"
    ("That's seventy-nine once.", 79.0),
    ("three hundred and forty-nine all in", 349.0),
    ("four sessions for a hundred and twenty", 120.0),  # "for a 120" after the number words
    ("you can pause it for a quid a month", 1.0),
    ("it's sixty-nine pence for every hundred pounds you owe", 0.69),
    ("or express is three ninety-five and it'd be with you tomorrow", 3.95),  # cents no clock shows, after "is"
    ("a single club at twenty-two ninety-five a fortnight", 22.95),
    ("So that's seventy-five plus VAT a month from your next invoice.", 75.0),  # business prices ex VAT
])
def test_prices_are_read(text: str, value: float) -> None:
    amounts = money_amounts(text)
    assert amounts and amounts[0].value == pytest.approx(value)


@pytest.mark.parametrize("text", [
    "I can see you on Monday at eight fifteen.",
    "I've booked you in for ten thirty on Monday.",
    "That's for ten nights, two adults.",
    "It runs for twelve months.",
    "Is that for one?",
    "Your statement for 2024 is in the post.",
    "Just two more questions.",
    "The card ends four four one seven.",
    "It's nine fifteen tomorrow morning, is that okay?",
    "That's ten thirty on Tuesday with Dr Patel.",
    "It's twelve forty-five pm now.",
    "Yate has Wednesday 10th at 8.30 with a courtesy car.",
    "The two year fix is 4.49% with no fee.",
    "Update the app to version 2.10.4 first.",
    "It weighs 3.50 kg boxed.",
    "You get three for the year, then it renews.",  # a count, not a price
    "I'll ring you back once it ships.",
    "It's a pound of mince, not a kilo.",
    "That's for a ten minute call with the nurse.",
    "I'll see you at five pm on Friday.",
    "The train is at nine forty-five.",  # a clock time after "at"
    "The engineer is there at eight fifteen and again at ten thirty.",
])
def test_counts_times_and_numbers_are_no_price(text: str) -> None:
    assert money_amounts(text) == []
