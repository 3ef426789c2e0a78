"""Amounts and durations as people say them and Whisper writes them.

"twenty nine ninety nine a month", "$29.99/month", "29 99 a month", "a forty dollar fee",
"a 12-month contract": text2num turns number words into digits (it is maintained and handles
English compounds), and the patterns below read money and durations from the result. Whisper
garbles amounts ("$19 and $19" for "$19.99"), so callers should treat a value as a hint and
the presence of an amount as the fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from text_to_num import alpha2digit

_CURRENCY = r"(?:dollars?|bucks|pounds?|quid|euros?)"
_PER_UNIT = r"(?:a|per) (?:night|day|seat|person|head|user|line|session|visit|delivery)"
# what a number after "for" counts when it is no price
_NOT_PRICE = (r"am|pm|o'clock|minutes?|hours?|days?|weeks?|months?|years?|nights?|people|persons?|adults?|kids|children|"
              r"seats?|users?|lines?|gigs?|gb|mb|tb|percent|%|sessions?|visits?|items?|pairs?|of\b|and\b|or\b|to\b|-|"
              r"on\s(?!top)|tomorrow|today|tonight|this\b|next\b|\d")
_NOT_MONEY_DECIMAL = r"am\b|pm\b|a\.m|p\.m|percent|%|per ?cent|kg|kilos?|km|miles?|gb|mb|mbps|tb|litres?|liters?|metres?|meters?|cm|mm|inch|inches|degrees?|hours?|h\b|x\b"
# "$29.99", "$ 29", "29.99 dollars", "29 99 a month" (spoken dollars-and-cents), "40 dollar"
_MONEY = re.compile(
    rf"(?P<sym>[$£€])\s?(?P<a>\d+(?:[.,]\d{{1,2}})?)"
    rf"|(?P<b>\d+(?:\.\d{{1,2}})?)\s?(?P<cents>\d{{2}})?\s?-?\s?{_CURRENCY}"
    rf"|(?P<c>\d+)\s(?P<c2>\d{{2}})(?=\s(?:a|per|each|every)\s(?:month|year|week|fortnight))"
    # "29 a month": a bare number with a billing period is a price
    rf"|(?P<d>\d+(?:\.\d{{1,2}})?)(?=\s(?:(?:plus|ex|excluding|including|inc) vat\s)?(?:a|per|each|every)\s(?:month|year|week|fortnight)\b)"
    # Prices said without a currency: "8 99 each", "35 a night", "9 a seat", "15 more a month",
    # "for 6 99", "for just 40" (after "for", two or three digits or with cents: "for one" is not one
    # dollar, "for 2024" is a year; "for a 120" is how "for a hundred and twenty" reads). A count
    # ("for 10 nights", "for 2 people") or a time ("at 8 15") is no price.
    rf"|(?P<e>\d+(?:\.\d{{1,2}})?)(?:\s(?P<e2>\d{{2}}))?(?=\s(?:each|{_PER_UNIT}|on top|one[- ]off|one time)\b)"
    # "that's 79 once", "89 for the year", "120 up front", "349 all in": two digits or more (a
    # count said "for the year" is small: "you get 3 for the year")
    rf"|(?P<k>[1-9]\d{{1,4}}(?:\.\d{{1,2}})?)(?:\s(?P<k2>\d{{2}}))?(?=\s(?:once|outright|up ?front|in total|all in|"
    rf"for the (?:year|month|week|lot|pair|pack|set|whole (?:year|thing))|for both)\b)"
    # "a quid a month", "a pound a day", "a dollar more": one of the currency
    rf"|\ba\s(?P<one>quid|pound|dollar|buck|euro)(?=\s(?:a|per|each|every|more|extra|on top)\b)"
    # "69 pence per 100 pounds", "99 cents each": pence and cents
    rf"|(?P<p>\d{{1,2}})\s?(?:pence|p\b|cents?)(?=\s(?:a|per|for|each|every|on)\b)"
    rf"|(?P<f>\d+)\s(?:more|extra)(?=\s*(?:[.,;!?]|$|\s(?:a|per|on|for)\b))"
    rf"|(?<=\bfor\s)(?:(?:just|only|a)\s)?(?P<g>\d+\s\d{{2}}|\d+\.\d{{1,2}}|[1-9]\d{{1,2}})\b(?!\s?(?:{_NOT_PRICE}))"
    # "it's twelve forty-nine", "costs eighty-nine ninety-nine": units and cents after a word that
    # states a price; a clock time goes on with am, pm, a day or "on" ("it's nine fifteen tomorrow")
    rf"|\b(?:it's|it is|that's|that is|costs?|only|just|priced at)\s(?P<h>[1-9]\d{{0,3}}\s\d{{2}})\b(?!\s?(?:{_NOT_PRICE}))"
    # "express is three ninety-five", "a single club at twenty-two ninety-five": after "is" or "at"
    # only with cents no clock shows (60-99), since "at eight fifteen" is a time
    rf"|\b(?:is|are|was|at)\s(?P<j>[1-9]\d{{0,3}}\s[6-9]\d)\b(?!\s?(?:{_NOT_MONEY_DECIMAL}|o'clock|minutes?|days?|weeks?|months?|years?|\d))"
    # Typed and exported transcripts write prices without a currency ("your total is 186.40",
    # "14.50 for the cover"): a number with two decimals is money, unless it is a time ("at
    # 8.30", "8.30am"), a rate, a measure or part of a version or a code.
    rf"|(?<![\w.:$£€])(?<!\bat\s)(?P<i>\d{{1,5}}\.\d{{2}})\b(?![\d.]|\s?(?:{_NOT_MONEY_DECIMAL}))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Amount:
    value: float
    text: str  # as matched in the normalised text


def spoken_to_digits(text: str) -> str:
    """Number words to digits ("forty five dollars" -> "45 dollars"); the rest unchanged."""
    return alpha2digit(text, "en", threshold=0) if text else text


# a currency named: "$", "forty-five pounds", "a quid"
_CURRENCY_SAID = re.compile(rf"[$£€]|\b{_CURRENCY}\b", re.IGNORECASE)
# "at ninety-five", "for a hundred and twenty": a number of two to four digits said as a price,
# not a clock time ("at ten thirty") or a count ("for 12 months")
_BARE_AMOUNT = re.compile(r"\b(?:at|for)\s(?:just\s|only\s)?(\d{2,4})\b(?!\s?(?:\d|%|percent|am\b|pm\b|o'clock|minutes?|hours?|days?|weeks?|months?|years?|nights?|people|users?|seats?|gigs?|gb))")


def says_currency(text: str) -> bool:
    return _CURRENCY_SAID.search(text) is not None


def bare_amount(text: str) -> float | None:
    """A price said with no currency after "at" or "for" ("the World voucher at ninety-five"), which
    money_amounts leaves out: a price only where the context says it is one (nlp.sales.choice_offer)."""
    match = _BARE_AMOUNT.search(spoken_to_digits(text))
    return float(match.group(1)) if match else None


def money_amounts(text: str) -> list[Amount]:
    normalised = spoken_to_digits(text)
    found = []
    for m in _MONEY.finditer(normalised):
        if m.group("a"):
            value = float(m.group("a").replace(",", "."))
        elif m.group("b"):
            value = float(m.group("b")) + (float(m.group("cents")) / 100 if m.group("cents") else 0.0)
        elif m.group("c"):
            value = float(m.group("c")) + float(m.group("c2")) / 100
        elif m.group("d"):
            value = float(m.group("d"))
        elif units := m.group("e") or m.group("k"):
            cents = m.group("e2") or m.group("k2")
            value = float(units) + (float(cents) / 100 if cents else 0.0)
        elif m.group("f"):
            value = float(m.group("f"))
        elif m.group("i"):
            value = float(m.group("i"))
        elif m.group("one"):
            value = 1.0
        elif m.group("p"):
            value = float(m.group("p")) / 100
        else:
            whole, _, cents = (m.group("g") or m.group("h") or m.group("j")).partition(" ")
            value = float(whole) + (float(cents) / 100 if cents else 0.0)
        found.append(Amount(value, (m.group("h") or m.group("j") or m.group(0)).strip()))
    return found

