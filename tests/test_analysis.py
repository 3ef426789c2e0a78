"""The analysis stages on hand-built calls, clean and as ASR writes them."""

from __future__ import annotations

import re

import pytest

from nlp.analyse import AnalysisSettings, analyse
from nlp.contract import dump
from nlp.policy import load_policy
from nlp.transcript import Segment, Transcript, Word

pytestmark = pytest.mark.slow  # loads spaCy and the embedding model (once per session)


def _analyse(transcript, settings) -> dict:
    """The analysis as the record will hold it (the typed findings, dumped)."""
    return dump(analyse(transcript, settings))


def _asr(text: str) -> str:
    """What Whisper-without-punctuation looks like: lower case, no punctuation."""
    return re.sub(r"[^\w\s']", "", text.lower())


def call(turns: list[tuple[str, str]], asr: bool = False, call_id: str = "t") -> Transcript:
    """Turns laid out 0.5 s apart at ~0.35 s a word, with word times, like a transcribed call."""
    segments, t, counters = [], 0.0, {"agent": 0, "customer": 0}
    for speaker, text in turns:
        text = _asr(text) if asr else text
        words, start = [], t
        for w in text.split():
            words.append(Word(w, round(t, 2), round(t + 0.3, 2), 0.9))
            t += 0.35
        counters[speaker] += 1
        channel = "left" if speaker == "agent" else "right"
        segments.append(Segment(f"{call_id}-{channel}-{counters[speaker]:04d}", speaker, channel, round(start, 2), round(t - 0.05, 2), text, 0.9, tuple(words)))
        t += 0.5
    return Transcript.merged(call_id, segments)


PUSHY = [
    ("agent", "Thank you for calling Blue Sky Internet, this is Karen. How can I help you?"),
    ("customer", "Hi, my internet keeps dropping every evening and I need it fixed."),
    ("agent", "I'm sorry about that. I've reset your modem and booked a technician for Thursday."),
    ("customer", "Okay, thank you."),
    ("agent", "While I have you, we have a great deal on our Sports Plus TV package. It's just nineteen ninety nine a month. Shall I add it?"),
    ("customer", "No thanks, I don't watch sports."),
    ("agent", "It has every football game this season. Can I go ahead and add it for you?"),
    ("customer", "No. I just want my internet fixed."),
    ("agent", "I'd hate for you to miss out. What if I put it on your account and you cancel later?"),
    ("customer", "Um, no. Please, just the internet."),
    ("agent", "Okay. The technician will be there Thursday morning. Thank you for calling Blue Sky Internet."),
]

RETENTION = [
    ("agent", "Thank you for calling North Star Mobile, this is Tom. How can I help?"),
    ("customer", "Hi, I'd like to cancel my service. I found a cheaper plan elsewhere."),
    ("agent", "I'm sorry to hear that. Before you go, I can offer you a loyalty discount of twenty dollars a month."),
    ("agent", "So you'd pay thirty five dollars a month on a new twelve month plan. Would you like me to apply the discount?"),
    ("customer", "Okay, I'll take that."),
    ("agent", "Great. Just so you know, if you cancel before the twelve months are up there's a one hundred dollar early termination fee."),
    ("customer", "Oh. Nobody told me that."),
    ("agent", "So to recap, you'll pay thirty five dollars a month for twelve months. Thank you for calling North Star Mobile."),
]

ETHICAL = [
    ("agent", "Thank you for calling North Star Mobile, this is Sarah. How can I help you today?"),
    ("customer", "Hi, I keep running out of data before the end of the month and I'd like more data on my plan."),
    ("agent", "The plan that fits best is our Unlimited plan. It's forty five dollars a month, billed every month with your phone bill."),
    ("agent", "It comes with a twelve month agreement, and if you cancel early there's a fifty dollar early termination fee."),
    ("agent", "After forty gigs in a month your speed may be slowed down when the network is busy."),
    ("customer", "Okay, that's fine."),
    ("agent", "Would you like me to switch you over today?"),
    ("customer", "Yeah, let's do it."),
    ("agent", "Great. So just to recap, that's the Unlimited plan at forty five dollars a month on a twelve month agreement."),
    ("customer", "Yes, that's right. Thanks."),
    ("agent", "You're welcome. Thank you for calling North Star Mobile."),
]


@pytest.fixture(scope="module")
def settings() -> AnalysisSettings:
    return AnalysisSettings(load_policy())


def _codes(result: dict) -> set[str]:
    return {f["code"] for f in result["flags"]}


@pytest.mark.parametrize("asr", [False, True], ids=["clean", "asr-text"])
def test_pushy_unrelated_offer(settings: AnalysisSettings, asr: bool) -> None:
    result = _analyse(call(PUSHY, asr), settings)
    assert result["need"]["label"] == "technical_support"
    [offer] = result["offers"]
    assert offer["customer_response"] == "declined" and offer["kind"] == "cross_sell" and not offer["need_fit"]
    assert result["closing_attempts"] == {"total": 3, "after_decline": 2}
    assert _codes(result) == {"OFFER_WITHOUT_NEED", "EXCESSIVE_CLOSING_ATTEMPTS", "CONTINUED_AFTER_DECLINE"}
    assert result["score"]["value"] == 0.0  # continuing after a "no" is an auto-fail


@pytest.mark.parametrize("asr", [False, True], ids=["clean", "asr-text"])
def test_retention_fee_stated_after_consent(settings: AnalysisSettings, asr: bool) -> None:
    result = _analyse(call(RETENTION, asr), settings)
    assert result["need"]["label"] == "cancel_service"
    [offer] = result["offers"]
    assert offer["kind"] == "retention" and offer["customer_response"] == "accepted" and offer["need_fit"]
    disclosures = offer["disclosures"]
    assert disclosures["price"]["status"] == "disclosed_before_consent"
    assert disclosures["contract_term"]["status"] == "disclosed_before_consent"
    assert disclosures["cancellation_terms"]["status"] == "disclosed_after_consent"
    assert "DISCLOSURE_AFTER_CONSENT" in _codes(result) and "NO_COST_RECAP" not in _codes(result)


@pytest.mark.parametrize("asr", [False, True], ids=["clean", "asr-text"])
def test_ethical_upsell_is_clean(settings: AnalysisSettings, asr: bool) -> None:
    result = _analyse(call(ETHICAL, asr), settings)
    [offer] = result["offers"]
    assert offer["kind"] == "upsell" and offer["customer_response"] == "accepted"
    assert all(d["status"] == "disclosed_before_consent" for d in offer["disclosures"].values())
    assert offer["cost_recap"] is not None
    assert result["flags"] == [] and result["score"]["value"] == 100.0


def test_service_call_without_offer(settings: AnalysisSettings) -> None:
    result = _analyse(call(PUSHY[:4] + [PUSHY[-1]]), settings)
    assert result["offers"] == [] and result["flags"] == []
    assert result["closing_attempts"] == {"total": 0, "after_decline": 0}
    assert result["score"]["value"] is None


def test_service_questions_tiny_en_misheard_are_no_offer(settings: AnalysisSettings) -> None:
    """A real Harper Valley call as tiny.en wrote it: the turn-act model reads the garbled
    service questions as closes, and the only capitalised name before them is the bank's, in the
    greeting. Neither is a sale."""
    turns = [
        ("agent", "Hello, this is Harper Valley National Bank. My name is Elizabeth. How can I help you today?"),
        ("customer", "Hi. My name is Patricia Brown. I lost my debit card. Can you send me a new one?"),
        ("agent", "Which part did you like to replace?"),
        ("customer", "My debit card."),
        ("agent", "Can you repeat that please?"),
        ("customer", "Yes. My debit card."),
        ("agent", "Is there anything else I can help you with today?"),
        ("customer", "No, that was going to be it."),
        ("agent", "Thank you for calling. Have a great day."),
    ]
    result = _analyse(call(turns), settings)
    assert result["offers"] == [] and result["flags"] == []


def test_selling_to_an_angry_customer(settings: AnalysisSettings) -> None:
    turns = [
        ("agent", "Thank you for calling Summit Bank, how can I help?"),
        ("customer", "I've been charged a thirty five dollar overdraft fee twice and this is the third time I'm calling. This is ridiculous, I'm furious."),
        ("agent", "I understand. I can see the charges."),
        ("customer", "I'm so fed up with this bank. Just fix it."),
        ("agent", "To avoid this in the future, we have Overdraft Protection Plus. It's five dollars a month. Would you like me to set that up?"),
        ("customer", "No. I want the fees refunded."),
    ]
    result = _analyse(call(turns), settings)
    assert "OFFER_TO_UPSET_CUSTOMER" in _codes(result)
    flag = next(f for f in result["flags"] if f["code"] == "OFFER_TO_UPSET_CUSTOMER")
    assert {e["speaker"] for e in flag["evidence"]} == {"customer", "agent"}


@pytest.mark.parametrize("asr", [False, True], ids=["clean", "asr-text"])
def test_every_piece_of_evidence_falls_on_the_segment_it_quotes(settings: AnalysisSettings, asr: bool) -> None:
    """Evidence names the segment it starts in; a sentence Whisper cut across segments of one
    speaker (unpunctuated text runs on) goes on into the next segments of that speaker's turn."""
    transcript = call(RETENTION, asr=asr)
    result = _analyse(transcript, settings)
    order = {s.id: i for i, s in enumerate(transcript.segments)}
    evidence = [result["need"]["evidence"]]
    for offer in result["offers"]:
        evidence += [offer["evidence"], *offer["closing_attempts"], offer["response_evidence"], offer["cost_recap"]]
        evidence += [d["evidence"] for d in offer["disclosures"].values()]
    evidence += [e for f in result["flags"] for e in f["evidence"]]
    for e in filter(None, evidence):
        first = order[e["segment_id"]]
        turn = [transcript.segments[first]]
        for later in transcript.segments[first + 1 :]:
            if later.speaker != turn[0].speaker:
                break
            turn.append(later)
        assert turn[0].start <= e["start"] <= e["end"] <= turn[-1].end, e
        assert e["quote"] in " ".join(s.text for s in turn) and e["speaker"] == turn[0].speaker and e["rule"]


def test_catalog_decides_need_fit_and_what_applies(tmp_path, settings: AnalysisSettings) -> None:
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(
        (load_policy().model_dump_json and open(__import__("nlp.policy", fromlist=["x"]).default_policy_path()).read()).replace(
            "catalog: []",
            "catalog:\n  - id: sports\n    names: [sports plus tv package, sports package]\n    kind: cross_sell\n"
            "    fits_needs: [new_purchase]\n    recurring: true\n    contract_months: 0\n",
        )
    )
    result = _analyse(call(PUSHY), AnalysisSettings(load_policy(policy_file)))
    [offer] = result["offers"]
    assert offer["need_fit_rule"] == "NEEDFIT-CATALOG" and not offer["need_fit"]
    assert offer["disclosures"]["contract_term"]["status"] == "not_applicable"


def _mumbled(transcript: Transcript, segment_index: int, prob: float) -> Transcript:
    """The transcript with every word of one segment at a low ASR probability."""
    from dataclasses import replace

    segments = list(transcript.segments)
    seg = segments[segment_index]
    segments[segment_index] = replace(seg, words=tuple(replace(w, prob=prob) for w in seg.words))
    return replace(transcript, segments=tuple(segments))


def test_a_verdict_resting_on_low_confidence_words_needs_review(settings: AnalysisSettings) -> None:
    clear = _analyse(call(PUSHY), settings)
    assert {f["code"]: f["status"] for f in clear["flags"]}["CONTINUED_AFTER_DECLINE"] == "raised"
    assert clear["score"]["value"] == 0.0
    # The customer's first "no" (segment 5) was heard badly: the decline the verdict rests on is unsure.
    result = _analyse(_mumbled(call(PUSHY), 5, 0.2), settings)
    flags = {f["code"]: f for f in result["flags"]}
    after = flags["CONTINUED_AFTER_DECLINE"]
    assert after["status"] == "needs_review" and after["confidence"] == 0.2
    assert after["evidence"][0]["asr_min_prob"] == 0.2 and "lowest word probability" in after["confidence_basis"]
    assert flags["EXCESSIVE_CLOSING_ATTEMPTS"]["status"] == "raised"  # the closes were heard well
    # the unsure flag does not auto-fail the call: the score is what the raised flags leave
    items = {i["id"]: i["result"] for i in result["score"]["items"]}
    assert items["respects_decline"] == "pass" and items["closing_attempts_within_limit"] == "fail"
    assert result["score"]["value"] > 0
    assert result["transcript_quality"]["words"] == sum(len(s.words) for s in call(PUSHY).segments)


def test_a_poorly_transcribed_call_gets_a_quality_warning(settings: AnalysisSettings) -> None:
    transcript = call(PUSHY)
    for i in range(len(transcript.segments)):
        transcript = _mumbled(transcript, i, 0.35)
    analysis = analyse(transcript, settings)
    assert analysis.transcript_quality.mean_word_prob == 0.35 and analysis.transcript_quality.low_confidence_share == 1.0
    assert analysis.quality_warning and "0.35" in analysis.quality_warning
    assert all(f.status == "needs_review" for f in analysis.flags)
    given = analyse(replace_words(call(PUSHY)), settings)  # no word probabilities: confident
    assert given.transcript_quality is None and given.quality_warning is None
    assert all(f.status == "raised" for f in given.flags)


def replace_words(transcript: Transcript) -> Transcript:
    from dataclasses import replace

    return replace(transcript, segments=tuple(replace(s, words=()) for s in transcript.segments))


BOOKED_UNASKED = [
    ("agent", "Thank you for calling Orbit Mobile, this is Dana. How can I help?"),
    ("customer", "Hi, my screen cracked and I need a repair."),
    ("agent", "I can book that repair for Thursday. Our Device Care plan covers cracked screens for nine dollars a month."),
    ("agent", "I've gone ahead and added Device Care to your account."),
    ("customer", "Oh, okay."),
    ("agent", "Thank you for calling Orbit Mobile."),
]


def test_a_sale_booked_without_a_yes_is_flagged_and_a_later_okay_does_not_repair_it(settings) -> None:
    result = _analyse(call(BOOKED_UNASKED), settings)
    flag = next(f for f in result["flags"] if f["code"] == "SALE_WITHOUT_CONSENT")
    assert flag["severity"] == "high" and "added Device Care" in flag["evidence"][-1]["quote"]
    assert result["score"]["value"] == 0.0  # consent_before_sale is an auto-fail item


def test_a_booking_after_the_customers_yes_is_consent(settings) -> None:
    turns = BOOKED_UNASKED[:3] + [("agent", "Would you like me to add it?"), ("customer", "Yes please."),
                                  ("agent", "I've added Device Care to your account."), BOOKED_UNASKED[-1]]
    result = _analyse(call(turns), settings)
    assert "SALE_WITHOUT_CONSENT" not in {f["code"] for f in result["flags"]}
    assert [o["customer_response"] for o in result["offers"]] == ["accepted"]


def test_flags_on_an_offer_never_given_a_price_go_to_review(settings) -> None:
    """Nothing in the call puts a price on it: more often a misread than a sale, so a reviewer
    decides (nlp.confidence, UNPRICED_OFFER); the same sale with its price stated is a verdict."""
    pitch = "I can book that repair for Thursday. Our Device Care plan covers cracked screens and water damage."
    turns = BOOKED_UNASKED[:2] + [("agent", pitch), ("agent", "Would you like me to add it?"), ("customer", "Yes please."),
                                  ("agent", "Lovely, that's on from today."), BOOKED_UNASKED[-1]]
    unpriced = _analyse(call(turns), settings)
    assert [o["customer_response"] for o in unpriced["offers"]] == ["accepted"]
    flags = {f["code"]: f for f in unpriced["flags"]}
    assert flags["MISSING_PRICE_DISCLOSURE"]["status"] == "needs_review"
    assert all(f["status"] == "needs_review" and "no price stated" in f["confidence_basis"] for f in flags.values())
    turns[2] = ("agent", pitch.replace(" and water damage.", " and water damage, for nine dollars a month."))
    priced = {f["code"]: f for f in _analyse(call(turns), settings)["flags"]}
    assert "MISSING_PRICE_DISCLOSURE" not in priced and priced["MISSING_CANCELLATION_DISCLOSURE"]["status"] == "raised"
    # A price played down instead of stated is the hidden price the flag is for: a verdict, with the words
    turns[2] = ("agent", pitch.replace(" and water damage.", " and water damage. It's just a small amount on your bill."))
    hidden = {f["code"]: f for f in _analyse(call(turns), settings)["flags"]}
    assert hidden["MISSING_PRICE_DISCLOSURE"]["status"] == "raised"
    assert "small amount" in hidden["MISSING_PRICE_DISCLOSURE"]["evidence"][-1]["quote"]


def test_the_dearer_option_of_a_choice_put_about_the_booking_fits_the_need(settings) -> None:
    turns = [("agent", "Skyline Air, this is Tom, how can I help?"),
             ("customer", "Hi, I need to change my flight to Lisbon, it's on the twelfth and I need the fourteenth instead."),
             ("agent", "I can do that."),
             ("agent", "And for your seat, would you like a standard seat, which is free, or a seat with extra legroom at the front "
                       "for twenty-five pounds each way?"),
             ("customer", "Oh, the extra legroom please."),
             ("agent", "Lovely, that's done. You'll get the confirmation by email. Anything else?"), ("customer", "No, that's all, thanks.")]
    result = _analyse(call(turns), settings)
    [offer] = result["offers"]
    assert (offer["customer_response"], offer["need_fit"], offer["need_fit_rule"]) == ("accepted", True, "NEEDFIT-CHOICE")
    assert "OFFER_WITHOUT_NEED" not in _codes(result)


@pytest.mark.parametrize("confirmation", [
    "No problem. I've added a credit of ten dollars to your account for the outage.",
    "Okay, sorry. You're all set with Nadia on the account.",
])
def test_confirming_the_service_after_a_no_is_not_a_sale(settings, confirmation: str) -> None:
    turns = BOOKED_UNASKED[:3] + [("agent", "Would you like me to add it?"), ("customer", "No thanks."),
                                  ("agent", confirmation), BOOKED_UNASKED[-1]]
    result = _analyse(call(turns), settings)
    assert "SALE_WITHOUT_CONSENT" not in {f["code"] for f in result["flags"]}
    assert [o["customer_response"] for o in result["offers"]] == ["declined"]


def test_confirming_the_order_after_a_let_me_think_books_nothing(settings) -> None:
    turns = BOOKED_UNASKED[:3] + [("agent", "Would you like me to add it?"), ("customer", "Let me think about it and call back."),
                                  ("agent", "Lovely, that's all booked, see you on Thursday."), BOOKED_UNASKED[-1]]
    result = _analyse(call(turns), settings)
    assert "SALE_WITHOUT_CONSENT" not in _codes(result)
    assert [o["customer_response"] for o in result["offers"]] == ["undecided"]


def test_adding_the_product_after_a_no_is_a_sale_without_consent(settings) -> None:
    turns = BOOKED_UNASKED[:3] + [("agent", "Would you like me to add it?"), ("customer", "No thanks."),
                                  ("agent", "I've gone ahead and added Device Care to your account anyway, from the first of March."),
                                  BOOKED_UNASKED[-1]]
    result = _analyse(call(turns), settings)
    assert "SALE_WITHOUT_CONSENT" in {f["code"] for f in result["flags"]}


def test_pressing_after_a_no_counts_even_when_it_sounds_like_a_plain_question(settings) -> None:
    """"Are you certain?" after a no is a closing attempt (the rules' CLOSE-PRESSURE), even though
    the shipped turn-act model reads it as a plain service question."""
    turns = BOOKED_UNASKED[:3] + [("agent", "Shall I add it?"), ("customer", "No thanks."),
                                  ("agent", "Are you certain?"), ("customer", "Yes, I'm sure."),
                                  ("agent", "What if I put it on for a month, and you see how you feel?"),
                                  ("customer", "No, I said no."), BOOKED_UNASKED[-1]]
    result = _analyse(call(turns), settings)
    offer = result["offers"][0]
    assert len(offer["closing_attempts"]) == 3 and offer["closing_attempts_after_decline"] == 2
    assert {"EXCESSIVE_CLOSING_ATTEMPTS", "CONTINUED_AFTER_DECLINE"} <= {f["code"] for f in result["flags"]}


def test_a_product_added_that_nobody_pitched_is_an_offer_booked_without_consent(settings) -> None:
    """"I've gone ahead and added X" with no pitch before it: the offer and the booking at once."""
    turns = [BOOKED_UNASKED[0], BOOKED_UNASKED[1],
             ("agent", "I've booked the repair at our Chermside store for Thursday."), ("customer", "Great."),
             ("agent", "I've gone ahead and added Device Care to your account as well, it's eight dollars a month."),
             ("customer", "Um, right."), BOOKED_UNASKED[-1]]
    result = _analyse(call(turns), settings)
    assert [o["product"] for o in result["offers"]] == ["Device Care"]
    flag = next(f for f in result["flags"] if f["code"] == "SALE_WITHOUT_CONSENT")
    assert "added Device Care" in flag["evidence"][-1]["quote"]


def test_neither_to_a_choice_declines_it(settings) -> None:
    turns = [("agent", "Brightwater Energy, Sam speaking. How can I help?"),
             ("customer", "I want to set up a payment plan for my gas arrears."),
             ("agent", "That's set up at twenty pounds a month. Would you like our basic boiler cover at nine pounds a month, or the premium at fifteen a month with a yearly service?"),
             ("customer", "Neither of them, really."), ("agent", "No problem. Anything else?"), ("customer", "No, bye.")]
    result = _analyse(call(turns), settings)
    assert [o["customer_response"] for o in result["offers"]] == ["declined"]
    assert not _codes(result) & {"MISSING_CANCELLATION_DISCLOSURE", "MISSING_CONTRACT_TERM_DISCLOSURE", "NO_COST_RECAP"}


def test_a_damage_waiver_put_on_unasked_is_a_sale_without_consent(settings) -> None:
    """A waiver sold with a hire car is a product, not goodwill given."""
    turns = [("agent", "Sunway Rentals, this is Omar. How can I help?"),
             ("customer", "Hi, I need to change the drop-off time on my booking to six in the evening."),
             ("agent", "Done, six p.m. at the harbour office. I've also put our collision damage waiver on for you, it's eleven pounds a day."),
             ("customer", "Oh, okay then."), ("agent", "Anything else?"), ("customer", "No, thanks.")]
    result = _analyse(call(turns), settings)
    assert [o["product"] for o in result["offers"]] == ["collision damage waiver"]
    assert "SALE_WITHOUT_CONSENT" in _codes(result)


def test_confirming_a_service_nobody_pitched_is_no_offer(settings) -> None:
    turns = [("agent", "Thank you for calling Orbit Mobile, this is Dana. How can I help?"),
             ("customer", "Hi, I've moved house and need to change my address."),
             ("agent", "I've updated your address and I've added a note to the account."), ("customer", "Thanks."),
             ("agent", "I've set up the direct debit for the first of the month."), ("customer", "Great."),
             ("agent", "You're all set with the new card."), ("customer", "Bye.")]
    assert _analyse(call(turns), settings)["offers"] == []


def test_a_yes_to_a_service_question_is_not_consent_to_the_offer_before_it(settings) -> None:
    turns = BOOKED_UNASKED[:3] + [("agent", "Can I confirm your date of birth?"), ("customer", "Yes, the fourth of May, eighty-two."),
                                  ("agent", "I've added Device Care to your account."), BOOKED_UNASKED[-1]]
    result = _analyse(call(turns), settings)
    assert "SALE_WITHOUT_CONSENT" in {f["code"] for f in result["flags"]}


def test_a_service_question_after_a_no_is_no_close_and_its_yes_no_consent(settings) -> None:
    """After the customer declined, "Do you want a confirmation email?" asks about something else:
    not a further closing attempt, and the yes to it does not turn the no into a sale."""
    turns = BOOKED_UNASKED[:3] + [("agent", "Would you like me to add it?"), ("customer", "No thanks."),
                                  ("agent", "No problem. Do you want a confirmation email to the same address?"),
                                  ("customer", "Yes please."), BOOKED_UNASKED[-1]]
    result = _analyse(call(turns), settings)
    offer = result["offers"][0]
    assert offer["customer_response"] == "declined" and offer["closing_attempts_after_decline"] == 0
    assert "CONTINUED_AFTER_DECLINE" not in _codes(result)


def test_a_close_after_appointment_times_sells_nothing(settings) -> None:
    turns = [("agent", "Good morning, Riverside Physio, this is Gemma."),
             ("customer", "Hi, I'd like to book a physio appointment for my knee."),
             ("agent", "So I've got Tuesday at five fifteen with Gemma, or Wednesday lunchtime at twelve thirty."),
             ("agent", "Which would you prefer?"), ("customer", "Wednesday, please."),
             ("agent", "Lovely, that's booked."), ("customer", "Thanks, bye.")]
    assert _analyse(call(turns), settings)["offers"] == []


SERVICE_CALLS_WITH_OFFER_SHAPES = {
    "troubleshooting": [("agent", "Good afternoon, Brightline Broadband, you're speaking with Tom."),
                        ("customer", "Hi, my internet keeps dropping out every evening."),
                        ("agent", "Sorry to hear that. Have you tried switching the hub off at the wall for a minute and back on again?"),
                        ("customer", "Yes, twice, it didn't help."), ("agent", "Okay, I'll run a line test now."), ("customer", "Thanks.")],
    "appointment": [("agent", "Morning, Parkside Dental, Lucy speaking."), ("customer", "Hi, I need a check-up for my son."),
                    ("agent", "I have Monday at nine or Thursday at four."), ("agent", "Which of those would suit you?"),
                    ("customer", "Thursday please."), ("agent", "Done, Thursday at four."), ("customer", "Thanks.")],
    "a phone number": [("agent", "Hello, Metro Mobile, Priya speaking."),
                       ("customer", "I left my phone on the train this morning and need the SIM blocked."),
                       ("agent", "I've blocked it now. I can give you the rail company's lost property number as well."),
                       ("customer", "Oh yes please."), ("agent", "It's on our website under help."), ("customer", "Thanks.")],
    "goodbye": [("agent", "Hi, Keel Gym, this is Dan."), ("customer", "I'd like to cancel, I'm moving abroad."),
                ("agent", "No problem, that's cancelled from the end of the month."), ("agent", "Anything else before you go?"),
                ("customer", "No, that's it, thanks.")],
}


@pytest.mark.parametrize("name", SERVICE_CALLS_WITH_OFFER_SHAPES)
def test_an_offer_shape_with_no_pitch_the_model_reads_is_no_offer(settings, name: str) -> None:
    """The rules' offer shapes ("Have you tried...", "Which would suit you?", "I can give you...",
    "Anything else before you go?") sell nothing where the model reads no pitch in or just before them."""
    result = _analyse(call(SERVICE_CALLS_WITH_OFFER_SHAPES[name]), settings)
    assert result["offers"] == [] and result["flags"] == []


def test_a_close_in_the_same_breath_as_the_pitch_asks_for_it(settings) -> None:
    """"Shall I book those?" after a substitute is pitched asks for the substitute, though booking a
    fitting reads like service: the yes to it is consent, and the price said after it came too late."""
    turns = [("agent", "Hello, Roadside Tyres, Ben speaking."), ("customer", "I need two front tyres for a Corsa, the Budget Grip ones."),
             ("agent", "What size are they?"), ("customer", "One eighty-five, sixty-five, fifteen."),
             ("agent", "Budget Grip's sold out till Monday. I've got the Storm Pro here, and I can fit them at three. Shall I book those in?"),
             ("customer", "Yeah, book them in."), ("agent", "Booked, seventy each fitted.")]
    result = _analyse(call(turns), settings)
    [offer] = result["offers"]
    assert offer["product"] == "Storm Pro" and offer["customer_response"] == "accepted" and len(offer["closing_attempts"]) == 1
    assert offer["disclosures"]["price"]["status"] == "disclosed_after_consent"


def test_a_further_pitch_after_a_yes_is_its_own_offer_with_its_own_answer(settings) -> None:
    """"We also offer single-trip travel insurance..." after the seats were bought is a second offer
    (the model reads a pitch of a different thing), so the "no thanks" declines the insurance, not
    the seats; and seats bought once have no cancellation terms to state."""
    turns = [("agent", "Hello, Gullwing Air, Marta speaking."), ("customer", "Hi, I'd like to book a return flight to Porto for next Friday."),
             ("agent", "Sure, there's one at nine fifteen, a hundred and twelve return. Name as on the passport?"), ("customer", "Oliver Grant."),
             ("agent", "Thanks Oliver. Extra legroom seats are fifteen each way, thirty in total, paid once. Would you like those?"),
             ("customer", "Yes please."),
             ("agent", "Done, seats added, that's thirty on top. We also offer single-trip travel insurance for twelve fifty, "
                       "which covers cancellation and lost luggage, if you'd like it."),
             ("customer", "No thanks, I've got annual cover."), ("agent", "No problem. You're all booked.")]
    result = _analyse(call(turns), settings)
    seats, insurance = result["offers"]
    assert (seats["product"], seats["customer_response"]) == ("Extra legroom seats", "accepted")
    assert (insurance["product"], insurance["customer_response"]) == ("single-trip travel insurance", "declined")
    assert seats["disclosures"]["cancellation_terms"]["status"] == "not_applicable"
    assert insurance["disclosures"]["cancellation_terms"]["status"] == "missing"  # cover lasts: it has terms to state
    # whether insurance fits a flight booking is the need-fit model's call, near its line here
    # (tests/test_need_fit_model.py); no answer or booking in this call is flagged
    assert [f["code"] for f in result["flags"] if f["code"] != "OFFER_WITHOUT_NEED"] == []


def test_after_a_stacked_service_question_naming_the_offer_answers_it(settings) -> None:
    """"...extra legroom at nineteen each way. Are any infants travelling with you?" "No infants, it's
    just me. Yeah, go on, the extra legroom please.": the no answers the question, the yes that names
    the offer answers the offer."""
    turns = [("agent", "Hello, Gullwing Air, Marta speaking."), ("customer", "Hi, I need to add a bag to my booking to Porto."),
             ("agent", "Sure, a twenty kilo bag is twenty-five each way. I've added it."), ("customer", "Great."),
             ("agent", "We also have the Comfort Seat with extra legroom at nineteen each way. Are any infants travelling with you?"),
             ("customer", "No infants, it's just me. Yeah, go on, the extra legroom please."),
             ("agent", "Lovely, the Comfort Seat is nineteen each way, thirty-eight in total, on your card.")]
    [offer] = _analyse(call(turns), settings)["offers"]
    assert offer["customer_response"] == "accepted"
    assert offer["response_evidence"]["quote"] == "Yeah, go on, the extra legroom please."


KETTLE = [("agent", "Thanks for calling Kettle World, this is Sam."), ("customer", "Hi, I'd like to order the steel kettle."),
          ("agent", "Sure. For delivery, standard is free, or next-day for six ninety-nine?")]


@pytest.mark.parametrize(("answer", "response"), [("Standard, please.", "declined"), ("Next-day, please.", "accepted")])
def test_a_priced_choice_offers_its_dearer_option_and_the_pick_answers_it(settings, answer: str, response: str) -> None:
    result = _analyse(call(KETTLE + [("customer", answer), ("agent", "Lovely, that's ordered.")]), settings)
    [offer] = result["offers"]
    assert offer["product"] == "next-day" and offer["evidence"]["rule"] == "OFFER-CHOICE"
    assert offer["customer_response"] == response


@pytest.mark.parametrize(("answer", "response"), [("Standard, then.", "declined"), ("Oh, standard's fine then.", "declined"),
                                                  ("Next-day then, it's a present.", "accepted")])
def test_a_question_about_an_option_picks_none_and_the_pick_after_it_answers(settings, answer: str, response: str) -> None:
    turns = KETTLE + [("customer", "Does next-day come before noon?"), ("agent", "Yes, by twelve."), ("customer", answer),
                      ("agent", "Lovely, that's ordered.")]
    [offer] = _analyse(call(turns), settings)["offers"]
    assert offer["customer_response"] == response and offer["response_evidence"]["quote"] == answer


def test_a_choice_with_its_currency_said_once_offers_the_dearer_side(settings) -> None:
    """"the six-month UK voucher at forty-five pounds, or the twelve-month World voucher at
    ninety-five": the bare "at ninety-five" is the World voucher's price, so it is what is sold, and
    "the World one, please" takes it."""
    turns = [("agent", "Keepsake Vouchers, Imogen speaking."), ("customer", "Hi, I want to buy a gift voucher for my dad."),
             ("agent", "Would you like the six-month UK voucher at forty-five pounds, or the twelve-month World voucher at ninety-five?"),
             ("customer", "The World one, please."), ("agent", "Great choice. That's ninety-five pounds.")]
    [offer] = _analyse(call(turns), settings)["offers"]
    assert "World" in offer["product"] and offer["evidence"]["rule"] == "OFFER-CHOICE"
    assert offer["customer_response"] == "accepted"


def test_a_price_with_no_period_is_a_one_off_with_no_recurring_charge_to_disclose(settings) -> None:
    result = _analyse(call(KETTLE + [("customer", "Next-day, please."), ("agent", "Lovely, that's six ninety-nine on your order.")]), settings)
    [offer] = result["offers"]
    assert offer["disclosures"]["recurring_charge"]["status"] == "not_applicable"
    assert "MISSING_RECURRING_CHARGE_DISCLOSURE" not in _codes(result)


def test_choosing_the_cheaper_plan_declines_the_dearer_one(settings) -> None:
    turns = [("agent", "Hi, Fibrelink, how can I help?"), ("customer", "I'd like broadband at my new flat."),
             ("agent", "Would you like the Basic 100 at twenty-four a month, or the Premium 500 at thirty-six a month?"),
             ("customer", "The basic one is fine."), ("agent", "Great, I'll set that up.")]
    [offer] = _analyse(call(turns), settings)["offers"]
    assert offer["product"] == "Premium 500" and offer["customer_response"] == "declined"


# A choice stated, then asked ("Which would you prefer?"): the free option names no offer.
STATED_CHOICE = [("agent", "Good afternoon, Pennyroyal Home Goods, Horatio speaking."),
                 ("customer", "Good afternoon. I would like to order the walnut side table from your catalogue."),
                 ("agent", "Certainly. For delivery, you may have standard delivery free of charge, which takes three to five "
                           "working days, or next-day delivery for six dollars and ninety-nine cents. Which would you prefer?")]


@pytest.mark.parametrize(("answer", "response"), [("Standard delivery will be fine, thank you. There is no rush.", "declined"),
                                                  ("Oh, the free one.", "declined"),
                                                  ("Next-day, please, it's a present.", "accepted")])
def test_a_stated_choice_against_a_free_option_offers_the_paid_one(settings, answer: str, response: str) -> None:
    """Picking the free option by name or as "the free one" declines the paid one; and "Shall I
    send it to the address on the order?" after that no asks about the delivery, no push."""
    turns = STATED_CHOICE + [("customer", answer),
                             ("agent", "Certainly. Shall I send it to the address on your account, in Pemberton Road?"),
                             ("customer", "Yes, please."), ("agent", "That is all arranged. Good afternoon.")]
    result = _analyse(call(turns), settings)
    [offer] = result["offers"]
    assert offer["product"] == "next-day delivery" and offer["customer_response"] == response
    assert "CONTINUED_AFTER_DECLINE" not in _codes(result)


def test_number_words_name_the_options_of_a_choice(settings) -> None:
    """"the three hundred megabit tier... or the nine hundred megabit tier?": the tiers differ only in
    number words (spaCy's stop words), and naming the nine hundred after a question takes it."""
    turns = [("agent", "Lumen Vale Broadband, Anthony speaking."),
             ("customer", "Hi, we both work from home now and the connection can't cope. I'd like a faster service."),
             ("agent", "Your line supports two faster options. Would you prefer the three hundred megabit tier at forty-two "
                       "dollars per month, or the nine hundred megabit tier at fifty-eight dollars per month?"),
             ("customer", "Is there a contract with either of them?"),
             ("agent", "Both carry an eighteen-month minimum term. The nine hundred megabit speed also needs our new router, "
                       "which we provide free of charge."),
             ("customer", "We will take the nine hundred megabit option, please. I'd rather not upgrade again next year."),
             ("agent", "Very good. To confirm, your monthly charge will be fifty-eight dollars.")]
    [offer] = _analyse(call(turns), settings)["offers"]
    assert offer["customer_response"] == "accepted"


def test_full_names_an_option_of_a_choice(settings) -> None:
    """"the interim..., or will we do the full service": "full" is a spaCy stop word, yet it is the
    whole difference between the options, and "I'd better do the full one" takes it."""
    turns = [("agent", "Glenview Motors service desk, Callum speaking."),
             ("customer", "Hiya, my Corsa's due a service, can I book it in?"),
             ("agent", "It's had two interims in a row. Do you want the interim at a hundred and nine, or will we do the full service "
                       "this time, that's a hundred and seventy-nine, so seventy more, and it does the spark plugs and the brake fluid "
                       "as well?"),
             ("customer", "Och, if it's due, I suppose you'd better do the full one."),
             ("agent", "Right you are. When suits you?"), ("customer", "Tuesday morning.")]
    [offer] = _analyse(call(turns), settings)["offers"]
    assert offer["customer_response"] == "accepted"


def test_a_choice_with_no_price_sells_nothing(settings) -> None:
    turns = [("agent", "Good morning, Riverside Dental."), ("customer", "Hi, I need to move my check-up."),
             ("agent", "I can do Monday at nine or Wednesday at two, which suits?"), ("customer", "Wednesday, please.")]
    assert _analyse(call(turns), settings)["offers"] == []


def test_rules_alone_still_read_a_booking_as_consent(settings) -> None:
    """callqa's reading before the turn-act model, kept for comparison (`callqa eval --styles`)."""
    rules_only = AnalysisSettings(settings.policy, turn_acts=None)
    result = _analyse(call(BOOKED_UNASKED), rules_only)
    assert "SALE_WITHOUT_CONSENT" not in {f["code"] for f in result["flags"]}


# The contract term said in words no phrase rule has; the turn-act model reads it.
TERM_IN_OTHER_WORDS = [
    ("agent", "Thank you for calling Orbit Mobile, this is Dana. How can I help?"),
    ("customer", "Hi, my screen cracked and I need a repair."),
    ("agent", "I can book that repair for Thursday. Our Device Care plan covers cracked screens for nine dollars a month."),
    ("agent", "The length of the plan is two years."),
    ("agent", "Would you like me to add it?"),
    ("customer", "Yes please."),
    ("agent", "Thank you for calling Orbit Mobile."),
]


def test_a_disclosure_only_the_turn_act_model_reads_is_found_with_the_model_in_its_evidence(settings) -> None:
    result = _analyse(call(TERM_IN_OTHER_WORDS), settings)
    term = result["offers"][0]["disclosures"]["contract_term"]
    model = result["info"]["nlp_models"]["turn_acts"]
    assert term["status"] == "disclosed_before_consent" and term["evidence"]["quote"] == "The length of the plan is two years."
    assert term["evidence"]["rule"] == model and term["evidence"]["model_score"] >= 0.5


def test_rules_alone_read_disclosures_as_before_the_model(settings) -> None:
    """With no turn-act model the rules alone decide: the term in other words is not seen, and
    no disclosure evidence names a model."""
    rules_only = AnalysisSettings(settings.policy, turn_acts=None)
    offer = _analyse(call(TERM_IN_OTHER_WORDS), rules_only)["offers"][0]
    assert offer["disclosures"]["contract_term"]["status"] != "disclosed_before_consent"
    assert all(not d["evidence"]["rule"].startswith("turn-acts") for d in offer["disclosures"].values() if d["evidence"])


def _timed(segments: list[tuple[str, float, str]]) -> Transcript:
    """Segments (speaker, start, text) with word times 0.3 s a word, as Whisper gives them."""
    out = []
    for i, (speaker, start, text) in enumerate(segments):
        words = tuple(Word(w, round(start + 0.3 * k, 2), round(start + 0.3 * k + 0.25, 2), 0.9) for k, w in enumerate(text.split()))
        channel = "left" if speaker == "agent" else "right"
        out.append(Segment(f"s-{channel}-{i:04d}", speaker, channel, start, words[-1].end, text, 0.9, words))
    return Transcript.merged("s", out)


def test_a_price_split_across_two_segments_of_one_speaker_is_one_sentence() -> None:
    from nlp.parse import parse

    transcript = _timed([("agent", 0.0, "so the premium plan is"), ("agent", 1.6, "twelve ninety-nine a month"),
                         ("customer", 3.0, "okay"), ("agent", 4.0, "it starts today"), ("agent", 7.0, "anything else")])
    parsed = parse(transcript)
    first, second = transcript.segments[0], transcript.segments[1]
    sentence = parsed.sentences[0]
    assert sentence.text == "so the premium plan is twelve ninety-nine a month"
    evidence = sentence.evidence(parsed, "R")
    assert (evidence.segment_id, evidence.speaker) == (first.id, "agent")
    assert (evidence.start, evidence.end) == (first.words[0].start, second.words[-1].end)
    assert evidence.quote == sentence.text
    # The speaker changing, or the same speaker after more than 2 s of silence, starts a new sentence.
    assert [s.text for s in parsed.sentences[1:]] == ["okay", "it starts today", "anything else"]
    assert parsed.turns == ((0, 1), (2, 2), (3, 3), (4, 4))


def test_a_price_split_across_segments_is_disclosed_with_evidence_spanning_both(settings) -> None:
    transcript = _timed([
        ("agent", 0.0, "thank you for calling orbit mobile how can i help"),
        ("customer", 3.0, "my screen cracked and i need a repair"),
        ("agent", 6.0, "we have our device care plan it is"),
        ("agent", 8.2, "nine dollars a month would you like me to add it"),
        ("customer", 12.0, "yes please"),
    ])
    offer = _analyse(transcript, settings)["offers"][0]
    price = offer["disclosures"]["price"]["evidence"]
    first, second = transcript.segments[2], transcript.segments[3]
    assert price["segment_id"] == first.id and price["quote"].startswith("we have our device care plan it is nine dollars a month")
    assert (price["start"], price["end"]) == (first.words[0].start, second.words[-1].end)


def test_an_offer_answered_after_the_customers_questions_about_it(settings) -> None:
    """A substitute pitched, then its price and returns asked about over several turns: the yes that
    names it answers it, however many sentences later."""
    turns = [("agent", "Thanks for calling Hearth Home, this is Dev."), ("customer", "Hi, my order of the two-slice toaster won't go through."),
             ("agent", "I'm sorry, the Breville two-slice is out of stock. As an alternative I can offer you the Breville four-slice model, which is in stock."),
             ("customer", "How much is that one? The two-slice was thirty-nine."),
             ("agent", "The four-slice is fifty-four ninety-nine, with free delivery."),
             ("customer", "Fifty-four? Hmm. And if it's too wide for my worktop?"),
             ("agent", "You can return it unused within thirty days for a full refund."),
             ("customer", "Okay, that's fair. Yes, I'll take the four-slice."),
             ("agent", "Lovely, I've placed the order for the Breville four-slice, fifty-four ninety-nine on your card.")]
    [offer] = _analyse(call(turns), settings)["offers"]
    assert offer["customer_response"] == "accepted"
    assert offer["response_evidence"]["quote"] == "Yes, I'll take the four-slice."


def test_a_recap_after_a_further_offer_still_recaps_the_first(settings) -> None:
    """Seats bought, travel insurance then pitched and declined, and the total summed up at the end:
    the recap covers the seats."""
    turns = [("agent", "Gullwing Air, Marta speaking."), ("customer", "Hi, I'm flying to Lisbon on Friday and want to sit with my daughter."),
             ("agent", "I can put you both in extra legroom seats for eighteen each, would you like that?"), ("customer", "Yes please."),
             ("agent", "We also offer single-trip travel insurance for twenty-four pounds, shall I add it?"),
             ("customer", "No thanks, we have cover through work."),
             ("agent", "No problem. So that's plus thirty-six for the two legroom seats, two hundred and twenty-two forty altogether.")]
    result = _analyse(call(turns), settings)
    seats = result["offers"][0]
    assert seats["customer_response"] == "accepted" and "altogether" in seats["cost_recap"]["quote"]
    assert "NO_COST_RECAP" not in _codes(result)


# "Yes, sure." to "Are you certain?" after a no keeps the no (sales.yaml still_sure)
@pytest.mark.parametrize("answer", ["Yeah, no, I'm sure.", "I am sure.", "I don't need this, please remove it.", "Take it off, please.",
                                    "Yes, sure.", "Yes."])
def test_no_in_other_words_declines(settings, answer: str) -> None:
    turns = BOOKED_UNASKED[:3] + [("agent", "Shall I add it?"), ("customer", "No thanks."), ("agent", "Are you certain?"),
                                  ("customer", answer), BOOKED_UNASKED[-1]]
    [offer] = _analyse(call(turns), settings)["offers"]
    assert offer["customer_response"] == "declined"
    assert offer["response_evidence"]["quote"] == answer


# After the no, "you're sure about it?" mid-sentence or the agent's offer to take it off: the yes
# keeps the no (sales.yaml sure_question). Read held-out sets: a "Yes please." to "I'll take it
# off." and a "Yes." to "Last chance, you're sure about the unlimited plan?" were read as sales.
@pytest.mark.parametrize("question", ["Last chance, you're sure about the Device Care?", "It's entirely optional. I'll take it off.",
                                      "Fair enough, shall I remove it then?"])
def test_a_yes_to_confirming_the_no_keeps_it(settings, question: str) -> None:
    turns = BOOKED_UNASKED[:3] + [("agent", "Shall I add it?"), ("customer", "No thanks."), ("agent", question),
                                  ("customer", "Yes please."), BOOKED_UNASKED[-1]]
    result = _analyse(call(turns), settings)
    [offer] = result["offers"]
    assert offer["customer_response"] == "declined"
    assert not _codes(result) & {"MISSING_CANCELLATION_DISCLOSURE", "NO_COST_RECAP", "MISSING_CONTRACT_TERM_DISCLOSURE"}


def test_a_pitch_cut_in_two_by_the_asr_is_still_an_offer(settings) -> None:
    """faster-whisper tiny.en on one host cut the bundled pushy call's pitch at a pause: "We have a
    great deal on ours." "Portless TV package." The product is named in a fragment the model
    reads no pitch in; the pitch is in the sentence it ends, and the three closes push it."""
    transcript = _timed([
        ("agent", 0.4, "Thank you for calling Blue Sky Internet. My name is Karen, how can I help you?"),
        ("customer", 5.6, "My internet keeps dropping every evening, and I work from home, so I need it fixed."),
        ("agent", 19.2, "Okay, I found it. I'm sending a reset to your modem now."),
        ("customer", 26.9, "Okay, thank you."),
        ("agent", 28.8, "Well, I have you."),
        ("agent", 29.9, "We have a great deal on ours."),
        ("agent", 31.4, "Portless TV package."),
        ("agent", 33.2, "It's just $19 .99 a month for the first three months."),
        ("agent", 36.8, "Shall I add it?"),
        ("customer", 38.2, "No thanks. I don't really watch sports."),
        ("agent", 41.3, "It has every football game this season."),
        ("agent", 43.3, "Can I go ahead and edit for you?"),
        ("customer", 46.2, "No, I really just want my internet fixed."),
        ("agent", 49.7, "I understand. I just hate for you to miss out."),
        ("agent", 52.5, "What if I put it on your account?"),
        ("agent", 54.6, "And you can cancel it later."),
        ("customer", 57.3, "No, please just internet."),
    ])
    result = _analyse(transcript, settings)
    [offer] = result["offers"]
    assert "TV package" in offer["product"] and offer["customer_response"] == "declined"
    assert {"CONTINUED_AFTER_DECLINE", "EXCESSIVE_CLOSING_ATTEMPTS"} <= _codes(result)
    # a sentence with a verb is not a fragment: nothing before it is read for it
    transcript = _timed([
        ("agent", 0.0, "Thank you for calling, how can I help?"),
        ("customer", 3.0, "I got a recall letter about the airbag."),
        ("agent", 6.0, "Yes, we can fix that for you."),
        ("agent", 8.0, "The fix is free, it takes about an hour."),
        ("agent", 10.0, "Shall I book it for Tuesday?"),
    ])
    assert _analyse(transcript, settings)["offers"] == []


@pytest.mark.parametrize("asr", [False, True])
def test_a_no_to_anything_else_answers_that_question_with_or_without_question_marks(settings, asr: bool) -> None:
    """Many ASR engines and exports write no punctuation: "anything else i can help with today"
    (a segment of its own after a pause) is still a question, and the customer's "no thanks"
    answers it, not the offer they took."""
    lines = [
        ("agent", 0.0, "Vistaline TV, you're speaking to Nadia."),
        ("customer", 3.0, "Hi, is the Premier League on my package? I can't find it anywhere."),
        ("agent", 7.0, "Let me check. What's your account number?"),
        ("customer", 10.0, "V L three three nine oh two one."),
        ("agent", 13.0, "You're on the Essentials bundle, which doesn't have the football."),
        ("agent", 16.5, "You'd need Sports Extra, that's twenty five pounds a month. Want me to add it?"),
        ("customer", 22.0, "Yeah, go on then."),
        ("agent", 24.0, "Done. So that's Sports Extra at twenty five pounds a month."),
        ("agent", 31.0, "Anything else I can help with today?"),
        ("customer", 34.0, "No thanks."),
    ]
    transcript = _timed([(speaker, start, _asr(text) if asr else text) for speaker, start, text in lines])
    [offer] = _analyse(transcript, settings)["offers"]
    assert offer["customer_response"] == "accepted"


def test_a_product_added_unasked_in_the_words_of_a_pitch_is_a_sale_without_consent(settings) -> None:
    """The model learned bookings made after a yes; "I have added our Legal Expenses cover, which
    provides..." reads to it as a pitch more than a booking. Added unasked, it is still a sale
    without consent, and "All right, I suppose" after it does not repair it."""
    turns = [
        ("agent", "Thank you for calling Northgate General Insurance, my name is Millicent, how may I assist you today?"),
        ("customer", "I am calling about my claim for the water damage in my kitchen. It has been six weeks and I am thoroughly fed up."),
        ("agent", "I am sorry about the delay. I have escalated it to a team leader, who will call you within forty-eight hours."),
        ("customer", "That is what I was told last time. I will need a solicitor to get anywhere with you."),
        ("agent", "I understand. In that case, I have added our Legal Expenses cover to your home policy, which provides up to fifty thousand dollars for legal disputes. It is four dollars and twenty-five cents per month, added to your premium."),
        ("customer", "Oh. All right, I suppose."),
        ("agent", "I have added a note to your claim as well. Is there anything else?"),
        ("customer", "No."),
    ]
    result = _analyse(call(turns), settings)
    [offer] = result["offers"]
    assert "Legal Expenses" in offer["product"] and offer["booked_without_consent"]
    assert "SALE_WITHOUT_CONSENT" in _codes(result)


def test_a_charge_said_to_recur_makes_a_contract_term_due_whatever_the_product_is_called(settings) -> None:
    """"Card Guard" is not called a plan or a policy, but at three ninety-nine a month it is sold
    on some term, and the agent never said it; a seat priced once has no term to state."""
    def sale(pitch: str) -> dict:
        turns = [
            ("agent", "Thanks for calling Ridgeway Bank, this is Omar. How can I help?"),
            ("customer", "Hi, someone tried to use my card abroad and I need it blocked."),
            ("agent", "I've blocked it and a new card is on its way. What's the best number to reach you on?"),
            ("customer", "This one is fine."),
            ("agent", pitch + " Would you like me to add it?"),
            ("customer", "Yes, go on then."),
            ("agent", "Lovely, that's added."),
        ]
        [offer] = _analyse(call(turns), settings)["offers"]
        return offer
    recurring = sale("We also have Card Guard, which watches your card for fraud and texts you, for three ninety-nine a month.")
    assert recurring["disclosures"]["contract_term"]["status"] == "missing"
    once = sale("We also have Fast Track replacement, which gets the new card to you tomorrow, for a one-off six pounds.")
    assert once["disclosures"]["contract_term"]["status"] == "not_applicable"


def test_a_question_pointing_back_at_the_pitch_leaves_the_answer_to_the_offer(settings) -> None:
    """"Is that something that'd help?" straight after a pitch reads to the model as a plain question,
    but it names nothing and points back at the pitch: the customer's "yeah, why not" takes the offer.
    "Was it the ACL?" names a thing of its own, and its "yeah" is no consent."""
    def answer(question: str) -> str:
        turns = [
            ("agent", "Ironbark Gym, Mitch speaking!"),
            ("customer", "Hey Mitch, what are the pool hours on weekends? I've just had my knee done and the physio says swimming's the go."),
            ("agent", "Pool's six till eight Saturdays."),
            ("customer", "Great, I'm so over sitting on the couch."),
            ("agent", "Honestly, I'd recommend our Rehab Six, a block of six sessions with a physio-trained PT, "
                      "two hundred and ten dollars for the six. " + question),
            ("customer", "Ah, yeah, why not."),
            ("agent", "Legend. Anything else?"),
            ("customer", "Nah, all good."),
        ]
        [offer] = _analyse(call(turns), settings)["offers"]
        return offer["customer_response"]
    assert answer("Is that something that'd help?") == "accepted"
    assert answer("Was it the ACL?") != "accepted"


def test_what_costs_nothing_is_not_sold(settings) -> None:
    """A free bar on premium numbers is a service, though pitched in an offer's words ("we also
    offer..."); a block on premium texts at two pounds a month is an offer."""
    def offers(line: str) -> list[dict]:
        turns = [
            ("agent", "Hello, Lark Mobile, Jess speaking."),
            ("customer", "Hi, my bill has forty pounds of premium text charges I never signed up for."),
            ("agent", "I'm sorry about that, I've refunded them. " + line),
            ("customer", "Yes please."),
            ("agent", "Done. Anything else?"),
            ("customer", "No, thanks."),
        ]
        return _analyse(call(turns), settings)["offers"]
    assert offers("We also offer a premium number bar, which is completely free. Would you like me to add it?") == []
    [offer] = offers("We also have Text Shield, which blocks premium texts for two pounds a month. Would you like me to add it?")
    assert offer["customer_response"] == "accepted"


def test_an_order_read_back_sells_nothing_and_a_dearer_version_does(settings) -> None:
    """The customer asked for the Ashby three-seater by name: "So that's one Ashby three-seater...
    eight hundred and forty-nine pounds" takes the order, the model's pitch reading aside. The
    Ashby four-seater names more than the customer asked for and is an offer; so is anything
    pitched over a complaint ("I never ordered the care plan")."""
    def offers(request: str, readback: str) -> list[dict]:
        turns = [
            ("agent", "Good morning, Hartwell Home, Priya speaking."),
            ("customer", request),
            ("agent", "Of course. Which colour would you like?"),
            ("customer", "The Biscuit weave, please."),
            ("agent", readback),
            ("customer", "Yes, that's right."),
            ("agent", "Lovely. Delivery is free on the twelfth. Anything else?"),
            ("customer", "No, thanks."),
        ]
        return _analyse(call(turns), settings)["offers"]
    order = "Hi, I'd like to order the Ashby sofa, the three-seater."
    assert offers(order, "So that's one Ashby three-seater in Biscuit weave with oak feet, eight hundred and forty-nine pounds.") == []
    [dearer] = offers(order, "For a hundred more, most people go for the Ashby four-seater in Biscuit weave, nine hundred and forty-nine pounds. Shall I put that through?")
    assert "four" in dearer["product"].lower() and dearer["customer_response"] == "accepted"


def test_a_question_naming_the_pitched_thing_asks_about_it(settings) -> None:
    """"Shall I look for a balcony?" straight after the pitch reads to the model as a service
    question, but it names what was just pitched: "ah, go on then" takes the balcony."""
    turns = [
        ("customer", "Hi there, my wife and I want to book the seven night western Caribbean in March."),
        ("agent", "Lovely choice. March ninth or the twenty-third?"),
        ("customer", "The twenty-third."),
        ("agent", "An inside cabin is eleven forty per person. For that trip, a lot of first timers go with a balcony, "
                  "you wake up to the ocean, it's fourteen twenty each. Shall I look for a balcony?"),
        ("customer", "So that's five sixty more for both of us? It's our anniversary... ah, go on then."),
        ("agent", "Happy anniversary! Balcony on deck nine, twenty-eight forty for the two of you."),
    ]
    [offer] = _analyse(call(turns), settings)["offers"]
    assert "balcony" in offer["product"].lower() and offer["customer_response"] == "accepted"


def test_a_pitch_after_a_booking_opens_its_own_offer(settings) -> None:
    """Once the agent has booked the Battery Club (with no yes: a sale without consent), "We also
    sell a cleaning kit... eight pounds" is a further offer, and "No, I use a toothbrush" declines
    the kit, not the club."""
    turns = [
        ("agent", "Good morning, ClearSound Hearing, Dana speaking."),
        ("customer", "Hello dear, I need some more batteries for my hearing aids."),
        ("agent", "Of course. Our Battery Club sends you a pack every three months for nine pounds a pack. Shall I set that up?"),
        ("customer", "Oh, nine. I do get through them."),
        ("agent", "Lovely, I've set up Battery Club for you, and the first pack goes out today."),
        ("agent", "We also sell a cleaning kit, the brush and the little tablets, it's eight pounds. Would you like one in the parcel?"),
        ("customer", "No, I use a toothbrush."),
        ("agent", "Fair enough. Anything else?"),
        ("customer", "No, that's all."),
    ]
    offers = _analyse(call(turns), settings)["offers"]
    assert len(offers) == 2
    club, kit = offers
    assert "battery club" in club["product"].lower() and club["customer_response"] != "declined" and club["booked_without_consent"]
    assert "cleaning kit" in kit["product"].lower() and kit["customer_response"] == "declined"


def _style_call(style: str, call_id: str) -> dict:
    """One labelled call of a corpus style."""
    from pathlib import Path

    from callqa.eval.compare import load_labels

    folder = Path(__file__).resolve().parents[1] / "corpus" / "styles" / style / "text"
    [gold] = [g for g in load_labels(folder) if g["call_id"] == call_id]
    return gold


def _analyse_style_call(style: str, call_id: str, settings) -> tuple[dict, dict]:
    """One labelled call of a corpus style and the analysis of its transcript."""
    from callqa.eval.compare import transcript_from_labels

    gold = _style_call(style, call_id)
    return gold, _analyse(transcript_from_labels(gold), settings)


@pytest.mark.parametrize("call_id", ["handover_healthcare_blood_results_nurse", "handover_travel_flight_date_change_fare_desk"])
def test_passing_the_call_on_sells_nothing(settings, call_id: str) -> None:
    """"I'll put you through to Nurse Adeyemi now, she's free." and "Our fare desk can." pass the
    call on (two service calls of the held-out handover style, read after its blind score)."""
    from callqa.eval.compare import transcript_from_labels

    gold = _style_call("handover", call_id)
    assert gold["offers"] == []
    assert _analyse(transcript_from_labels(gold), settings)["offers"] == []


# The proxy call's "I can see it's a junior membership ... How long would you like?" was a third case:
# the model read its "We can freeze for up to three months" under IMPLIED_PITCH_MIN (0.5) where the
# case was written and at 0.52 on an AVX2-only EPYC (int8 embeddings), so it tested the machine, not the rule.
@pytest.mark.parametrize("style,call_id", [("youth", "youth_utilities_flatmate_split"),
                                           ("streaming", "streaming_internet_tv_gift_code_question")])
def test_a_service_question_after_a_weak_pitch_implies_no_offer(settings, style: str, call_id: str) -> None:
    """"What most houses do is one person pays ... Shall I switch that view on?" and "The gift is the
    Standard plan ... Would you like me to resend the code to you, or straight to him?" close on a
    service, and the model reads no clear pitch before them (nlp.sales IMPLIED_PITCH_MIN,
    SERVICE_CLOSE_PITCH_MIN; no-sale calls of blind-scored styles, read after their blind scores)."""
    from callqa.eval.compare import transcript_from_labels

    gold = _style_call(style, call_id)
    assert gold["offers"] == []
    assert _analyse(transcript_from_labels(gold), settings)["offers"] == []


def test_the_summary_for_the_colleague_taking_the_call_sells_nothing(settings) -> None:
    """"I've got Mrs Patel on the line, her router keeps dropping..." briefs the sales colleague;
    the offer is the Fibre 500 that colleague pitches (a call of the held-out handover style,
    read after its blind score)."""
    from callqa.eval.compare import transcript_from_labels

    gold = _style_call("handover", "handover_internet_tv_router_drops_fibre_upgrade")
    products = [o["product"] for o in _analyse(transcript_from_labels(gold), settings)["offers"]]
    assert products and all("patel" not in p.lower() for p in products)
    assert any("fibre" in p.lower() for p in products)


def test_a_service_close_after_the_cancellation_is_explained_sells_nothing(settings) -> None:
    """"Do you want it to the flat or a different address?" is a closing question's shape, and
    the sentence before it names the box that must come back; the model reads more service than
    sale in it and only a weak pitch before it, so nothing is offered. A pitch in so many words
    before the same question is still an offer."""
    def offers(before: str) -> list[dict]:
        turns = [
            ("agent", "Hello, you're through to Skylo, my name is Aoife, who am I speaking with?"),
            ("customer", "Hi, it's Peter Lindqvist, I need to cancel everything, the broadband and the TV, we're moving abroad."),
            ("agent", "Your minimum term finished in January, so there's no early termination charge. What date do you want it all to stop?"),
            ("customer", "The twenty-ninth is our last day in the flat."),
            ("agent", "Okay, I'll set it to end on the twenty-ninth. " + before + " Do you want it to the flat or a different address?"),
            ("customer", "The flat's fine."),
            ("agent", "Lovely. You'll get an email confirming the end date. Good luck with the move."),
        ]
        return _analyse(call(turns), settings)["offers"]
    assert offers("Now the TV box and the hub need to come back, we'll send you a prepaid bag for them.") == []
    assert len(offers("Before you go, our Travel SIM keeps your number abroad for five pounds a month.")) == 1


def test_the_agent_answering_questions_about_the_offer_keeps_it_open(settings) -> None:
    """"How much would that be? And is it guaranteed?" asks about the pitch; the agent's answer (the
    price, the guarantee and what it leaves out) keeps the offer open, so the "go ahead" after it
    is the customer's yes, however many sentences the customer spoke before it."""
    turns = [
        ("agent", "Good afternoon, Halden Motors workshop, Graham speaking."),
        ("customer", "Hi, you've got my Astra in for the rattle, I was told to ring back about two."),
        ("agent", "Yes, Mr Okafor. The rattle is the rear brake pads, they're down to the metal. "
                  "I'd recommend fitting our Stopwell ceramic pads on both rear wheels while it's on the ramp."),
        ("customer", "Right. I see. How much would that be? And is there a guarantee on them?"),
        ("agent", "The total is one hundred and forty pounds fitted, paid on collection. "
                  "The pads carry a two-year guarantee, though it doesn't cover damage from a collision."),
        ("customer", "Okay. That's fair. Go ahead and fit them, please."),
        ("agent", "Lovely. It'll be ready at five, one hundred and forty pounds on collection."),
        ("customer", "Great, thanks."),
    ]
    [offer] = _analyse(call(turns), settings)["offers"]
    assert offer["customer_response"] == "accepted"


def test_a_close_after_the_yes_asks_for_what_was_named_since(settings) -> None:
    """The customer took the delivery service; the agent then names the private flu jab and asks
    "Shall I book you in?": that asks for the flu jab, a second offer, not the delivery again."""
    turns = [
        ("agent", "Hello, Kestrel Pharmacy, Dawn speaking."),
        ("customer", "Hi, it's about my mum's repeat prescription, she can't get in to collect it any more."),
        ("agent", "We have a home delivery service for repeat prescriptions, it's four pounds a month. Would you like me to set that up?"),
        ("customer", "Yes please, that would really help."),
        ("agent", "Lovely, that's set up, four pounds a month from the first."),
        ("agent", "We're also doing private flu jabs at the moment, they're fourteen pounds each. Shall I book you in?"),
        ("customer", "No, she gets hers free at the surgery."),
        ("agent", "No problem. Anything else?"),
        ("customer", "No, that's all, thanks."),
    ]
    offers = _analyse(call(turns), settings)["offers"]
    assert [o["customer_response"] for o in offers] == ["accepted", "declined"]


def test_a_booking_in_the_pitchs_own_words_books_the_pitch(settings) -> None:
    """The pitch calls it paint protection and a ceramic coat; "I've added the ceramic coat" books
    it, and the customer's yes was to the address, so it is a sale without consent."""
    turns = [
        ("agent", "Carrick Lane sales, Tom speaking."),
        ("customer", "Hiya Tom, it's Steve Mullins, I'm picking up the Golf on Saturday, what time was it again?"),
        ("agent", "Ten o'clock, Steve. And we do the paint protection, it's a ceramic coat, three hundred and forty pounds, "
                  "keeps it looking new for five years. Still at Bramble Close for the paperwork?"),
        ("customer", "Yeah, that's right, Bramble Close."),
        ("agent", "Perfect, I've added the ceramic coat to the order then, so that'll be on for Saturday."),
        ("customer", "Wait, what? I said yes to the address, not to that."),
        ("agent", "Sorry, I've taken it off. See you at ten."),
    ]
    assert "SALE_WITHOUT_CONSENT" in _codes(_analyse(call(turns), settings))


def test_an_offer_right_after_a_complaint_in_plain_words_is_to_an_upset_customer(settings) -> None:
    """"I never asked for any seats, and nobody told me about a charge." carries no angry word for
    the sentiment reading (about -0.03 against the -0.3 line), but the turn-act model reads the
    complaint in it, and the pitch straight after it sells over the complaint."""
    turns = [
        ("agent", "Stackbin support, Priya speaking."),
        ("customer", "Hi, I'm calling about the invoice for our workspace."),
        ("agent", "Sure, what's the workspace name?"),
        ("customer", "Tidewater Design."),
        ("agent", "Thanks. I can see three extra seats were added in March."),
        ("customer", "I never asked for any seats, and nobody told me about a charge."),
        ("agent", "While I have you, our Pro plan gives you unlimited seats for forty pounds a month. Would you like to switch?"),
        ("customer", "No."),
    ]
    result = _analyse(call(turns), settings)
    upset = [f for f in result["flags"] if f["code"] == "OFFER_TO_UPSET_CUSTOMER"]
    assert upset and upset[0]["evidence"][0]["quote"].startswith("I never asked for any seats")


def test_a_reason_for_leaving_is_no_complaint_sold_over(settings) -> None:
    """"My hours got cut." reads as a complaint to the turn-act model, but on a call to cancel it is
    the reason for leaving, not a complaint: the deal to stay is not sold over a complaint."""
    turns = [
        ("agent", "Pulse Gyms, Leah speaking. How can I help?"),
        ("customer", "Hi, I'd like to cancel my membership, please."),
        ("agent", "I can help with that. Can I ask why you're leaving?"),
        ("customer", "My hours got cut."),
        ("agent", "I understand. I could move you to our off-peak membership at nineteen pounds a month instead. Would that work?"),
        ("customer", "No, I'd rather just cancel, thanks."),
    ]
    result = _analyse(call(turns), settings)
    assert result["offers"] and "OFFER_TO_UPSET_CUSTOMER" not in _codes(result)


def test_an_either_or_that_arranges_the_service_sells_nothing(settings) -> None:
    """The customer booked the full service by name; "Are you waiting for it or leaving it with
    us?" is a close's shape with the service read back before it, but it names nothing for sale
    and no price: it arranges the visit."""
    turns = [
        ("customer", "Hiya, is that the service desk? I got the reminder letter."),
        ("agent", "It is, Brindley Road Motors, Kev speaking."),
        ("customer", "I'd like to book the full service for my Fiesta, the one for a hundred and ninety-nine."),
        ("agent", "No bother. What's the reg?"),
        ("customer", "It's Y R one seven, K P L."),
        ("agent", "Roughly what's on the clock now?"),
        ("customer", "About forty-one thousand."),
        ("agent", "Right, so that's the full service at the fixed price, one ninety-nine, includes the oil and filters. "
                  "I can do Tuesday or Friday next week. Any preference?"),
        ("customer", "Friday. Can I drop it off first thing?"),
        ("agent", "Yeah, doors open at half seven. Are you waiting for it or leaving it with us?"),
        ("customer", "Leaving it. My wife can pick me up."),
        ("agent", "Grand. Booked in for Friday, half seven drop-off."),
    ]
    assert _analyse(call(turns), settings)["offers"] == []


def test_a_booking_naming_another_product_while_an_offer_is_open_adds_it_unasked(settings) -> None:
    """A repair the customer asked about is still open when the agent adds cover of their own
    accord: "I've gone ahead and added Device Care" books Device Care, not the repair."""
    turns = [BOOKED_UNASKED[0], BOOKED_UNASKED[1],
             ("agent", "We can fix the screen at our Chermside store for one eighty-nine, and we have a Thursday slot."),
             ("customer", "Thursday's good."),
             ("agent", "And I've gone ahead and added Device Care to your account as well, that's seven dollars a month."),
             ("customer", "Oh, okay."), BOOKED_UNASKED[-1]]
    result = _analyse(call(turns), settings)
    care = next(o for o in result["offers"] if o["product"] == "Device Care")
    flag = next(f for f in result["flags"] if f["code"] == "SALE_WITHOUT_CONSENT")
    assert flag["offer_id"] == care["id"] and "added Device Care" in flag["evidence"][-1]["quote"]


def test_booking_what_was_just_taken_under_another_name_is_no_second_sale(settings) -> None:
    """"...you may want our transit insurance" "Yes, go on." "I've added the transit cover.": the
    booking names the product just accepted in other words (an auction house's shipping desk, a
    read call of blind set 57), so it books that offer with the customer's yes, not a second
    product nobody asked for."""
    turns = [("agent", "Harcourt Auctions shipping desk, Janet speaking."),
             ("customer", "Hi, I won lot forty-two yesterday, the oil painting, and I'd like it delivered to Leeds."),
             ("agent", "We've got the van up there on the fourteenth. The basic carriage only covers us up to fifty pounds an item, "
                       "so you may want our transit insurance for the full value."),
             ("agent", "That's one point two percent of the hammer price, so twenty-six pounds forty, charged once for this shipment."),
             ("agent", "You can cancel it free of charge any time before the van collects. Would you like me to add it?"),
             ("customer", "Yes, go on, I'd rather be safe."),
             ("agent", "I've added the transit cover. So that's twenty-six pounds forty on top of the carriage."),
             ("customer", "Great, thanks."),
             ("agent", "Anything else?"), ("customer", "No, that's all.")]
    result = _analyse(call(turns), settings)
    [offer] = result["offers"]
    assert "transit insurance" in offer["product"] and offer["customer_response"] == "accepted"
    assert "SALE_WITHOUT_CONSENT" not in _codes(result)


def test_a_close_naming_the_substitute_by_its_own_name_asks_for_it(settings) -> None:
    """"Do you want me to swap your six to the Heavyweight?" names the substitute offered, the
    "Heavyweight hoodie", by the one word that is its name (a print-on-demand supplier, a read call):
    the yes after it is consent, and the swap booked after the yes is no sale without consent."""
    turns = [("agent", "Printforge support, Dani speaking."),
             ("customer", "Hi, I'm trying to order six sample hoodies in forest green and the checkout just fails."),
             ("agent", "The Classic hoodie in forest green is sold out until next month. The closest I have is the Heavyweight "
                       "hoodie in the same green. It's twenty-two fifty a sample instead of eighteen."),
             ("customer", "Is the print the same?"),
             ("agent", "Same print, slightly thicker fabric. Do you want me to swap your six to the Heavyweight?"),
             ("customer", "Yeah, do that, I need them for Saturday."),
             ("agent", "Done, six Heavyweight hoodies at twenty-two fifty, dispatched tomorrow. Anything else?"),
             ("customer", "No, that's great.")]
    result = _analyse(call(turns), settings)
    [offer] = result["offers"]
    assert "Heavyweight" in offer["product"] and offer["customer_response"] == "accepted"
    assert "SALE_WITHOUT_CONSENT" not in _codes(result)


def test_a_close_pointing_back_at_the_deal_after_the_customers_questions_asks_for_it(settings) -> None:
    """"Shall I switch the account to that rate?" after the customer's questions about a deal to stay
    asks for that deal, however much switching an account reads as service: "Yes, okay, I'll stay."
    is the yes, and the rate applied after it is no sale without consent (a news app, a read call)."""
    turns = [("agent", "Capital Dispatch subscriptions, Ravi speaking."),
             ("customer", "Hi, I want to cancel my digital subscription. It went from six pounds to twelve and nobody told me."),
             ("agent", "I'm sorry it came as a surprise. I can put you on a loyalty rate of eight pounds a month instead of twelve."),
             ("customer", "What's the catch?"),
             ("agent", "It's fixed for twelve months, then it goes back to the standard rate. You can still cancel at any time "
                       "with no fee."),
             ("customer", "And it's the same thing, all the articles, the app, the puzzles?"),
             ("agent", "Exactly the same access. The only difference is the price. Shall I switch the account to that rate?"),
             ("customer", "Eight pounds I can live with. Yes, okay, I'll stay."),
             ("agent", "I've applied the loyalty rate, so your next payment is eight pounds."),
             ("customer", "Thank you.")]
    result = _analyse(call(turns), settings)
    [offer] = result["offers"]
    assert offer["customer_response"] == "accepted"
    assert "SALE_WITHOUT_CONSENT" not in _codes(result)


def test_too_much_on_their_mind_for_the_offer_right_now_declines_it(settings) -> None:
    """"I can't think about that right now." to a plan pitched to a grieving pet owner is a no, as
    the corpus's authors label it every time it is said of now or today, not a "let me think"."""
    turns = [("agent", "Oakfield Vets, Nadia speaking."),
             ("customer", "Hi, I'm ringing to settle the bill for Biscuit. We had to have her put to sleep on Saturday."),
             ("agent", "I'm so sorry. The balance is eighty-four pounds. If you have other pets, our Pet Health Club covers "
                       "vaccinations and check-ups for twelve pounds a month. Would you like me to set that up?"),
             ("customer", "I can't think about that right now."),
             ("agent", "Of course. I'll take the eighty-four on the card ending two two one."),
             ("customer", "Thank you.")]
    result = _analyse(call(turns), settings)
    [offer] = result["offers"]
    assert offer["customer_response"] == "declined"
    assert offer["response_evidence"]["rule"] == "DECLINE-CANT-THINK-NOW"


def test_a_question_after_the_pitch_and_its_price_asks_about_the_pitch(settings) -> None:
    """"Shall I include that?" after the pitch and then its price asks for the pitch, however much
    it reads as a plain question: the yes that follows is consent, and the booking after it is no
    sale without consent."""
    turns = [("agent", "Aldermoor Bank cards team, my name's Bridget. How can I help?"),
             ("customer", "Hi, I started an application online for the Cashback Plus card and it told me to phone to finish it off."),
             ("agent", "Great, that's been approved with a limit of four thousand five hundred. The card's got no annual fee and one "
                       "percent cashback. And I'll just mention CardShield, that's our payment cover, so if you lose your job or you're "
                       "off sick it makes your repayments for you. It's seventy-nine pence for every hundred pounds on your balance. "
                       "Shall I include that?"),
             ("customer", "Um, yeah, alright. Can't hurt, I suppose."),
             ("agent", "Lovely, I've added it. Now, would you like the card sent to your home address or to a branch?"),
             ("customer", "Home is fine."),
             ("agent", "Perfect. Is there anything else today?"), ("customer", "No, thanks for your help.")]
    result = _analyse(call(turns), settings)
    [offer] = result["offers"]
    assert offer["customer_response"] == "accepted"
    assert "SALE_WITHOUT_CONSENT" not in {f["code"] for f in result["flags"]}


def test_a_substitute_for_a_sold_out_item_is_an_offer_even_sharing_its_name(settings) -> None:
    """"What I can do is the NutriBlast 700" after the 600 the customer asked for sold out: the
    substitute is offered, not a readback of the order, though its name shares the 600's words."""
    turns = [("agent", "Kitchen Lee order line, Sam speaking, how can I help?"),
             ("customer", "Hi, I'd like to order the nutri blast 600 blender, the grey one."),
             ("agent", "Ah, I'm afraid that one's sold out and we're not getting any more."),
             ("agent", "What I can do is the nutri blast 700 which replaced it, it's the same jug but a bigger motor."),
             ("agent", "It's eighty nine ninety nine, so twenty pounds more than the 600 was."),
             ("customer", "Go on then, the grey 700."),
             ("agent", "Okay, that's ordered. Anything else?"), ("customer", "No, thanks.")]
    result = _analyse(call(turns), settings)
    [offer] = result["offers"]
    assert "nutri blast" in offer["product"].lower() and offer["evidence"]["rule"] == "OFFER-SUBSTITUTE"
    assert offer["customer_response"] == "accepted"


def test_going_along_with_an_unasked_booking_keeps_it_sold_without_consent(settings) -> None:
    """"Oh, okay." after the agent added cover nobody asked for: the customer keeps it, so its
    undisclosed terms are flagged as for any sale, and the booking is still a sale without consent."""
    turns = [("agent", "Northgate Energy, how can I help?"),
             ("customer", "I want to move my direct debit date to the fifteenth."),
             ("agent", "Done, the fifteenth from next month."),
             ("customer", "Great."),
             ("agent", "Put you on HeatSafe boiler cover too. Nine a month."),
             ("customer", "Oh, okay."),
             ("agent", "Anything else?"), ("customer", "No, bye.")]
    result = _analyse(call(turns), settings)
    [offer] = result["offers"]
    assert offer["product"] == "HeatSafe boiler cover" and offer["customer_response"] == "accepted"
    assert offer["response_evidence"]["rule"] == "ACCEPT-ACQUIESCE"
    codes = {f["code"] for f in result["flags"]}
    assert {"SALE_WITHOUT_CONSENT", "MISSING_CANCELLATION_DISCLOSURE"} <= codes


REGULATED_WARRANTY = [
    ("agent", "Marlow Motors service desk, it's Jodie. This call may be recorded. How can I help?"),
    ("customer", "Hi, I need to book my car in for its MOT and a service, please. It's the Astrano estate I bought from you three years ago."),
    ("agent", "Thanks, Stephen. I've got you for Tuesday at eight thirty, MOT and full service, two hundred and nineteen pounds. "
              "Your manufacturer warranty ended last month, by the way."),
    ("customer", "Oh, right."),
    ("agent", "We also offer our Marlow Care warranty, it covers the engine, gearbox and electrics. I must read you the following. It costs twenty-four "
              "pounds ninety-nine a month by direct debit, with a minimum term of twelve months, then it rolls monthly. Wear and tear "
              "items like brakes, tyres and the clutch are excluded, and there's a fifty pound excess per claim. You can cancel within "
              "fourteen days for a full refund, and after twelve months with thirty days' notice. Do you understand?"),
    ("customer", "Yeah, I understand."),
    ("agent", "And would you like me to set it up, yes or no?"),
    ("customer", "Yes, go on. The gearbox has been a bit clunky."),
    ("agent", "Great, Marlow Care is active from today. Anything else?"),
    ("customer", "No, see you Tuesday."),
]


def test_a_check_of_understanding_is_no_closing_attempt(settings) -> None:
    """"Do you understand?" after the terms a regulated script reads out sells nothing: one close
    in the call ("would you like me to set it up, yes or no?"), and the yes to the check is no yes."""
    result = _analyse(call(REGULATED_WARRANTY), settings)
    assert result["closing_attempts"]["total"] == 1
    [close] = [c for o in result["offers"] for c in o["closing_attempts"]]
    assert "set it up" in close["quote"]


def test_a_close_naming_the_offer_after_its_terms_asks_for_it(settings) -> None:
    """"Are you happy to go ahead with the Novatab eleven?" after the credit terms: the yes accepts
    the substitute, though the question reads like the script's service questions around it."""
    turns = [("agent", "Halden Electrical, how can I help?"),
             ("customer", "Hi, I want to order the Novatab ten, the sixty-four gig one, on your interest-free credit."),
             ("agent", "Oh, I'm sorry, the Novatab ten is out of stock nationally."),
             ("customer", "Oh no. Her birthday's on Saturday."),
             ("agent", "What I can do is the Novatab eleven, which replaced it. It's two hundred and seventy-nine pounds, against two forty-nine for the ten."),
             ("customer", "Thirty more. Can I still do it on the interest-free?"),
             ("agent", "You can. Before any credit application I must read you the following. This is a twelve month interest-free credit "
                       "agreement. You'll pay twelve monthly payments of twenty-three pounds and twenty-five pence. You have the right to "
                       "withdraw within fourteen days. Do you understand the information I've given you?"),
             ("customer", "Yes, I understand."),
             ("agent", "And are you happy to go ahead with the Novatab eleven on interest-free credit, yes or no?"),
             ("customer", "Yes, let's do that."),
             ("agent", "Thank you. I've placed the order for Thursday delivery. Anything else?"),
             ("customer", "No, thank you.")]
    result = _analyse(call(turns), settings)
    [offer] = result["offers"]
    assert "Novatab" in offer["product"] and offer["customer_response"] == "accepted"
    assert offer["response_evidence"]["quote"].startswith("Yes, let's do that")


def test_a_product_named_but_never_priced_asked_for_booked_or_answered_is_no_offer(settings) -> None:
    """An agent explaining what a membership covers, or why the customer needs no other one, names
    products without selling them: no amount, no ask, no booking and no answer. The same pitch
    with a price is an offer."""
    opening = [("agent", "Brightwater Leisure, Sam speaking."),
               ("customer", "Hi, I've hurt my knee and I need to put my gym membership on hold for a couple of months."),
               ("agent", "Sorry to hear that. Can I take your membership number?"),
               ("customer", "It's B L three three nine one.")]
    ending = [("agent", "I've put the freeze on from Monday."), ("customer", "Great, thanks."),
              ("agent", "Anything else?"), ("customer", "No, that's all.")]
    for said in ("There is a swim-only membership, but that's a paid membership, and the freeze is free, so the freeze is what you want.",
                 "Our standard membership covers the gym, the pool and every class."):
        assert _analyse(call([*opening, ("agent", said), *ending]), settings)["offers"] == [], said
    priced = "There is a swim-only membership at nineteen pounds a month, if you'd still like the pool while your knee mends."
    [offer] = _analyse(call([*opening, ("agent", priced), *ending]), settings)["offers"]
    assert "swim-only membership" in offer["product"]


def test_a_yes_after_a_no_in_the_same_breath_gives_in_and_a_no_after_a_yes_answers_something_else(settings) -> None:
    """One answer a turn, except that a yes in so many words after the no or a musing is the
    customer giving in ("Nah, I don't need it. Oh, fine, go on then, put it on.")."""
    opening = [("agent", "Haldane Motors sales, Rick speaking."),
               ("customer", "Hi Rick, it's Dev, I'm picking up the blue hatchback on Saturday and wanted to check the paperwork's ready."),
               ("agent", "It is. While I have you, our Tyre Guard cover is twelve pounds a month and replaces any damaged tyre. "
                         "Shall I add it to the agreement?")]
    gave_in = [*opening, ("customer", "Nah, I don't need it. Oh, fine, go on then, put it on."),
               ("agent", "Done, it's on the agreement, so that's twelve pounds a month from next month."), ("customer", "Cheers.")]
    [offer] = _analyse(call(gave_in), settings)["offers"]
    assert offer["customer_response"] == "accepted" and offer["response_evidence"]["quote"].startswith("Oh, fine, go on then")
    mused = [*opening, ("customer", "I suppose it might be worth it. Yes, add it."),
             ("agent", "Done, it's on the agreement, so that's twelve pounds a month from next month."), ("customer", "Cheers.")]
    [offer] = _analyse(call(mused), settings)["offers"]
    assert offer["customer_response"] == "accepted" and offer["response_evidence"]["quote"] == "Yes, add it."
    said_yes = [*opening, ("customer", "Yes please, add it. No, that's everything I needed."),
                ("agent", "Done, that's twelve pounds a month from next month."), ("customer", "Cheers.")]
    [offer] = _analyse(call(said_yes), settings)["offers"]
    assert offer["customer_response"] == "accepted" and offer["response_evidence"]["quote"].startswith("Yes please")


def test_a_musing_after_the_yes_takes_nothing_back(settings) -> None:
    """"Two years? Hmm, I'm not sure about that." after a yes and the booking reacts to a late
    term; the offer stays accepted (and the term stated after the yes is flagged)."""
    turns = [("agent", "Haldane Motors sales, Rick speaking."),
             ("customer", "Hi Rick, it's Dev, I'm picking up the blue hatchback on Saturday and wanted to check the paperwork's ready."),
             ("agent", "It is. While I have you, our Tyre Guard cover is twelve pounds a month and replaces any damaged tyre. "
                       "Shall I add it to the agreement?"),
             ("customer", "Yes, that sounds fine."),
             ("agent", "Done, I've added Tyre Guard. It has a twenty-four month minimum term."),
             ("customer", "Two years? Hmm, I'm not sure about that."),
             ("agent", "Lovely. See you on Saturday."), ("customer", "Cheers.")]
    result = _analyse(call(turns), settings)
    [offer] = result["offers"]
    assert offer["customer_response"] == "accepted" and offer["response_evidence"]["quote"] == "Yes, that sounds fine."
    assert "DISCLOSURE_AFTER_CONSENT" in {f["code"] for f in result["flags"]}


def test_an_unpriced_either_or_question_chooses_the_service_and_sells_nothing(settings) -> None:
    """"Do you want a replacement or would you rather have your money back?" and "Would you like to
    wait in our lounge, or leave the car for the day?" choose how the service is done."""
    kettle = [("agent", "Good afternoon, Haddon and Peel customer service, Martin speaking."),
              ("customer", "Hello Martin. I bought one of your Alder kettles three weeks ago, the copper one, and it's started leaking out of the bottom."),
              ("agent", "I'm sorry. Was that bought online or in one of the shops?"),
              ("customer", "Online. Order number H P, eight eight two, oh one three."),
              ("agent", "Do you want a replacement or would you rather have your money back?"),
              ("customer", "Money back, I think."),
              ("agent", "I'll refund the full fifty-nine pounds to the original card once it's collected. Anything else?"),
              ("customer", "No, that's it. Thank you.")]
    garage = [("agent", "Morgan Motors service desk, how can I help?"),
              ("customer", "I got a letter that my car has a recall for the airbag sensor."),
              ("agent", "Yes, that's a free repair. I can book you in on Tuesday at nine."),
              ("customer", "Tuesday is okay."),
              ("agent", "Would you like to wait in our lounge, or leave the car for the day?"),
              ("customer", "I will wait."),
              ("agent", "Great, see you Tuesday."), ("customer", "Thank you.")]
    for turns in (kettle, garage):
        assert _analyse(call(turns), settings)["offers"] == []
    # priced only after the yes, by name: an upsell whose price came too late, not a service choice
    rail = [("agent", "Corbel Business Travel, good afternoon, it's Stefan."),
            ("customer", "Hi Stefan, I need to book trains for four of us to the build expo in Birmingham, the fourteenth, back on the fifteenth."),
            ("agent", "There's a seven oh three out and a five forty back. Do you want those as standard advance, or the flexible business "
                      "fare so you can change times on the day?"),
            ("customer", "Flexible, definitely."),
            ("agent", "Okay, flexible for all four. I'll book those now."),
            ("customer", "Thanks."),
            ("agent", "Just so you know, the flexible fare's ninety six pounds return per person, against fifty eight on the advance."),
            ("customer", "Oh. Right. Well, it's done now I suppose."),
            ("agent", "Done. Anything else for the trip?"), ("customer", "No, that's everything.")]
    [offer] = _analyse(call(rail), settings)["offers"]
    assert "flexible" in offer["product"]


def test_a_pitch_whose_product_no_phrase_names_well_is_named_by_its_likeliest_phrase(settings) -> None:
    """"You'd be much better off on Repeat and Save" proposes something the product scorer finds no
    likely name for: the model reads a pitch and the words propose, so the likeliest phrase names
    the offer, with the scorer's probability in its evidence. A statement about what the customer
    has proposes nothing and stays no offer."""
    opening = [("agent", "Pawsome Pantry, Lou speaking."),
               ("customer", "Hi, I keep running out of Milo's food, can I order another bag?"),
               ("agent", "Of course, can I take your postcode?"), ("customer", "It's B S three, four A B.")]
    said = "Honestly, you'd be much better off on Repeat and Save, we just send a bag every four weeks and it's ten percent off."
    [offer] = _analyse(call([*opening, ("agent", said), ("customer", "Oh go on then, do that."),
                             ("agent", "Done, that's set up.")]), settings)["offers"]
    assert offer["customer_response"] == "accepted"
    assert offer["product_evidence"]["model_score"] is not None
    said = "So on twelve sixty you'd pay about three hundred and thirty pounds, and we'd pay the vet the rest."
    quiet = _analyse(call([("agent", "Petwise claims, Amy speaking."), ("customer", "Hi, how much of Biscuit's vet bill will you pay?"),
                           ("agent", said), ("customer", "Okay, thanks."), ("agent", "Anything else?"), ("customer", "No, that's all.")]), settings)
    assert quiet["offers"] == []


def test_words_about_what_the_customer_has_veto_only_the_product_they_name(settings) -> None:
    """"You're on the second floor" or "instead of your current thirty" describe the customer's
    situation or plan; the product pitched in the same sentence is still offered. "You're currently
    on our Basic plan" names what they have and sells nothing."""
    opening = [("agent", "Hollins Furniture, Priya speaking."),
               ("customer", "Hi, I'm ringing to book delivery for the sofa I ordered."),
               ("agent", "Lovely, can I take the order number?"),
               ("customer", "It's H F four four one two.")]
    ending = [("customer", "Yes please, add that."), ("agent", "Done."), ("customer", "Thanks, bye.")]
    for said in ("You're on the second floor, I see, so most people in flats add our two-person carry-in service, it's thirty pounds.",
                 "Or you can move up to the premium carry-in service, which is thirty pounds instead of your current ten."):
        [offer] = _analyse(call([*opening, ("agent", said), *ending]), settings)["offers"]
        assert "carry-in" in offer["product"], said
    current = "You're currently on our Basic delivery, that's kerbside."
    assert _analyse(call([*opening, ("agent", current), ("customer", "Fine."), ("agent", "Anything else?"),
                          ("customer", "No.")]), settings)["offers"] == []


def test_a_second_offer_in_so_many_words_after_a_booking_is_an_offer(settings) -> None:
    """After "Added." a weak cue describes what was just bought, but "We also have a cashback
    credit card" offers something new in so many words, however the product is written (read by
    the rules alone, which the model's pitch line cannot rescue)."""
    rules_only = AnalysisSettings(settings.policy, turn_acts=None)
    turns = [("agent", "Harbour Bank loans, Dev speaking."),
             ("customer", "Hi, I'd like to take out the car loan we talked about."),
             ("agent", "Of course. You can add Loan Protect for eleven pounds a month, it covers repayments if you're off sick. Would you like it?"),
             ("customer", "Yes, go on."),
             ("agent", "Added. We also have a cashback credit card with no fee in the first year if that's of interest?"),
             ("customer", "No thanks, just the loan."), ("agent", "No problem.")]
    offers = _analyse(call(turns), rules_only)["offers"]
    assert [o["customer_response"] for o in offers] == ["accepted", "declined"]
    assert "cashback" in offers[1]["product"]


def test_what_others_buy_is_a_pitch_and_they_are_not_the_product(settings) -> None:
    """"Most folk get the valet done while it's here" pitches the valet: who else buys it is the
    subject, never the product (the rules' reading)."""
    rules_only = AnalysisSettings(settings.policy, turn_acts=None)
    turns = [("agent", "Dunmore Motors service desk, Kev speaking."),
             ("customer", "Hi, I'm booking the Astra in for its MOT on Friday."),
             ("agent", "No bother, what's the registration?"), ("customer", "It's L B one nine X Y Z."),
             ("agent", "Most folk get the valet done while it's here, it's twenty-five pounds."),
             ("customer", "Aye, go on then."), ("agent", "Lovely, that's booked in.")]
    [offer] = _analyse(call(turns), rules_only)["offers"]
    assert "valet" in offer["product"] and "folk" not in offer["product"]


def test_reading_the_order_or_the_account_back_sells_nothing_but_what_follows_may(settings) -> None:
    """"I can see the order was the Vortex Pro blender, sixty-nine ninety-nine" reads back what the
    customer bought; "I can see you're on Essentials" what they have. A pitch later in the same
    sentence still offers its product."""
    wrong_item = [("agent", "Thanks for calling Kitchenly, I'm Sam. Can I get your order number?"),
                  ("customer", "It's K L 4 4 1 0 9. I ordered a blender and you've sent me a kettle. It was a present for my son."),
                  ("agent", "I'm sorry about that. Can I confirm the email on the account?"),
                  ("customer", "Dana dot Pike at mailbox dot net."),
                  ("agent", "Thanks Dana. I can see the order was the Vortex Pro blender in sage green, sixty nine ninety nine. "
                            "The warehouse picked the wrong item."),
                  ("customer", "Yes, the kettle's in my hallway."),
                  ("agent", "The Vortex Pro in sage is in stock. I can send it out today by courier at no cost. Would you like that?"),
                  ("customer", "Send the blender, please."),
                  ("agent", "Done, it arrives tomorrow and the courier collects the kettle.")]
    assert _analyse(call(wrong_item), settings)["offers"] == []
    tv = [("agent", "Beacon TV, Ali speaking."), ("customer", "Hi, I'm moving house next month and need the TV moved."),
          ("agent", "No problem, what's the new postcode?"), ("customer", "It's L S six, two B B."),
          ("agent", "I can see you're on Essentials, so for eight pounds more a month I could move you up to Max with the sports channels."),
          ("customer", "Go on then, yes."), ("agent", "Done.")]
    [offer] = _analyse(call(tv), settings)["offers"]
    assert "Essentials" not in offer["product"] and offer["customer_response"] == "accepted"


def test_going_along_with_a_booking_after_a_few_noises_keeps_it_sold_without_consent(settings) -> None:
    """"Oh. Right. I suppose we'll need somewhere to park. Yeah, that's fine." goes along with the
    parking the agent added unasked: "Oh." and "Right." use up none of the answer's window, and
    "that's fine" after such a booking is going along with it. So is "I've put a going-home bath on"."""
    hotel = [("agent", "Harbour View Hotel reservations, Priya speaking."),
             ("customer", "Hi, we'd like to book a double room for the twelfth and thirteenth of May."),
             ("agent", "Lovely, the classic double is ninety-five a night. How will you be travelling?"),
             ("customer", "We'll be driving, from Leicester."),
             ("agent", "Perfect, so I've added a space in our secure car park for both nights, that's fifteen pounds a night."),
             ("customer", "Oh. Right. I suppose we'll need somewhere to park. Yeah, that's fine."),
             ("agent", "Great. Debit or credit card?"), ("customer", "Debit.")]
    kennels = [("agent", "Barkley Kennels, it's Tom."),
               ("customer", "Hi, I'd like to book the two dogs in from the sixth to the twentieth."),
               ("agent", "No problem. That's fourteen nights at twenty four pounds a night for the pair. And I've put a going-home bath on "
                         "for both of them on the twentieth, so they come back smelling nice, that's eighteen pounds each."),
               ("customer", "Oh. Right. Well, I suppose they do come home a bit whiffy. Okay, fine."),
               ("agent", "All done. Anything else?"), ("customer", "No, that's it.")]
    for turns, product in ((hotel, "car park"), (kennels, "going-home bath")):
        result = _analyse(call(turns), settings)
        [offer] = result["offers"]
        assert product in offer["product"] and offer["customer_response"] == "accepted"
        assert offer["response_evidence"]["rule"] == "ACCEPT-ACQUIESCE"
        assert "SALE_WITHOUT_CONSENT" in {f["code"] for f in result["flags"]}


def test_a_stated_choice_priced_in_bare_numbers_offers_its_dearer_option(settings) -> None:
    """"Standard delivery is free..., or express is three ninety-five" prices express without a
    currency word, and "a single club at twenty-two ninety-five, or All Clubs at twenty-nine
    ninety-five" names its dearer option: each offers that option, and picking it accepts."""
    pharmacy = [("agent", "MedsDirect, Alan speaking."),
                ("customer", "Hi, I'd like to order a repeat of my inhaler please."),
                ("agent", "Of course. Standard delivery is free and takes two to three days, or express is three ninety-five and "
                          "it'd be with you tomorrow. Which would you like?"),
                ("customer", "I'm down to my last few puffs, so express please."),
                ("agent", "No problem, express it is.")]
    gym = [("agent", "Flex Fitness, Jess here."), ("customer", "Hi, I want to join up."),
           ("agent", "Great. So you can do a single club at twenty-two ninety-five a fortnight, or All Clubs at twenty-nine ninety-five "
                     "a fortnight, which gets you into all six."),
           ("customer", "Nah yeah, All Clubs."), ("agent", "Beauty, I'll set that up.")]
    for turns, product in ((pharmacy, "express"), (gym, "Clubs")):
        [offer] = _analyse(call(turns), settings)["offers"]
        assert product in offer["product"] and offer["customer_response"] == "accepted"
    # refusing the option by name declines it
    adverts = [("agent", "Kestrel Plus, good evening."),
               ("customer", "I got an email saying my subscription's going up by two pounds. Is there any way round it?"),
               ("agent", "Your options are to stay on Standard at the new price, or move to the Basic with Adverts plan which stays at six "
                         "ninety-nine."),
               ("customer", "Hmm. I don't want adverts."), ("agent", "That's fine, you don't need to do anything.")]
    [offer] = _analyse(call(adverts), settings)["offers"]
    assert offer["customer_response"] == "declined"


def test_new_ways_of_proposing_offer_and_a_turn_to_something_else_needs_a_product(settings) -> None:
    """"I'd point you to our First Home Saver account", "the best fit is our Business plan" and "I
    can move you up to the two terabyte plan" propose; "While I've got you, is her medical
    information still right?" turns to a service question and sells nothing."""
    saver = [("agent", "Brookfield Building Society, Amara speaking."),
             ("customer", "Hi, we're saving for a deposit on our first flat and want somewhere better to keep it."),
             ("agent", "How much are you putting away each month?"), ("customer", "About four hundred."),
             ("agent", "Then I'd point you to our First Home Saver account. It pays four point one percent and you can add up to five "
                       "hundred a month."),
             ("customer", "That sounds good, I'll think about it."), ("agent", "No problem.")]
    [offer] = _analyse(call(saver), settings)["offers"]
    assert "First Home Saver" in offer["product"] and offer["customer_response"] == "undecided"
    alarm = [("agent", "Careline, this is Gemma."),
             ("customer", "Hi, my mum's moving to a new flat next week and her alarm pendant needs to go with her."),
             ("agent", "No problem, what's the new address?"), ("customer", "Flat 4, 12 Orchard Court, Leeds."),
             ("agent", "Thanks, I've moved the service over from Monday. While I've got you, is her medical information still right?"),
             ("customer", "Yes, nothing's changed."), ("agent", "Lovely. Anything else?"), ("customer", "No, thanks.")]
    assert _analyse(call(alarm), settings)["offers"] == []


def test_popping_the_offer_on_after_a_no_or_a_think_is_a_sale_without_consent(settings) -> None:
    """"I've popped that on for you now" after the customer said no, "I'll pop it on so you're
    covered from the day you move in" after "I'd have to think about it", and "I've also gone ahead
    and started a thirty-day free trial of Tunnelgate Vault" unasked: each books without a yes."""
    move = [("agent", "Liffey Gas and Power, Kevin speaking."),
            ("customer", "Hi, I need to move the gas and electric over to the new place on the first."),
            ("agent", "That's all set for the first. Now, new house, you don't know the boiler. We do boiler cover, it's nine ninety-nine "
                      "a month, the annual service is in it."),
            ("customer", "Ah, I dunno now. I suppose I'd have to think about it, I haven't even seen the boiler yet."),
            ("agent", "Sure look, I'll pop it on so you're covered from the day you move in, it's all the one bill."),
            ("customer", "Is that it then?"), ("agent", "That's you sorted.")]
    refused = [("agent", "Northway Energy, Sam speaking."),
               ("customer", "Hi, I'm ringing to update the account, my dad's moved into a care home and I have power of attorney."),
               ("agent", "I'm sorry to hear that. Our HomeHeat cover is nine pounds fifty a month and includes a yearly service."),
               ("customer", "No, he won't need that, the house is being sold."),
               ("agent", "I've popped that on for you now so it starts from the first."),
               ("customer", "What? I said no."), ("agent", "Sorry, I'll take it off.")]
    vault = [("agent", "Tunnelgate support, Priya here."),
             ("customer", "My VPN keeps dropping every ten minutes."),
             ("agent", "I've pushed a fix to your app, restart it and it should hold. Oh, and I've also gone ahead and started a thirty-day "
                       "free trial of Tunnelgate Vault for you, that's our password manager, it's four ninety-nine a month after that."),
             ("customer", "Oh. Okay."), ("agent", "Anything else?"), ("customer", "No.")]
    for turns in (move, refused, vault):
        assert "SALE_WITHOUT_CONSENT" in _codes(_analyse(call(turns), settings)), turns[2][1]


def test_a_priced_deal_that_names_no_product_is_an_offer(settings) -> None:
    """"I can keep everything you have and bring it down to forty-five pounds a month" to a
    customer leaving names nothing for sale, but sells staying: a retention offer, answered yes."""
    turns = [("agent", "Brightline Broadband, Jo speaking."),
             ("customer", "Hi, I want to cancel my broadband and TV, it's just too expensive now."),
             ("agent", "I'm sorry to hear that. Can I ask, is it the TV you don't use, or the price overall?"),
             ("customer", "The price. I like the TV."),
             ("agent", "Then let me try. I can keep everything you have exactly as it is and bring it down to forty-five pounds a month."),
             ("customer", "Oh. Okay, yes, that's fine, I'll stay on that."),
             ("agent", "Lovely, that's done from your next bill.")]
    [offer] = _analyse(call(turns), settings)["offers"]
    assert offer["kind"] == "retention" and offer["customer_response"] == "accepted"
    assert "forty-five pounds a month" in offer["evidence"]["quote"]


def test_a_priced_deal_that_names_only_the_account_is_an_offer(settings) -> None:
    """"We can pause the account for three months for three ninety-nine a month" names only the
    account the customer has, a generic thing, yet sells a pause to keep them: an unnamed retention
    offer, answered by the yes to the close after it."""
    turns = [("agent", "Palette Cloud support, this is Dana."),
             ("customer", "Hi, I'd like to cancel my subscription. I only really use it in the winter."),
             ("agent", "I understand. Is it just the quiet summer months?"),
             ("customer", "Yes, I don't paint much from May to September."),
             ("agent", "We can pause the account for three months for three ninety-nine a month. "
                       "You keep all your files, you just can't open the apps while it's paused. Would you like me to set up the pause?"),
             ("customer", "Yeah, actually, that's better than losing everything."),
             ("agent", "Done, it's paused from today.")]
    [offer] = _analyse(call(turns), settings)["offers"]
    assert offer["kind"] == "retention" and offer["customer_response"] == "accepted"
    assert "pause the account" in offer["evidence"]["quote"]


def test_a_named_account_is_a_product_however_generic_its_head(settings) -> None:
    """"our Explorer Plus account gives you free entry..." names a product of its own, though its
    head noun, "account", names nothing in particular: a pitch, declined."""
    turns = [("agent", "Northgate Bank, Sam speaking."),
             ("customer", "Hi, I'd like to update my address, I've moved to Leeds."),
             ("agent", "Done, that's updated. Actually, since you enjoy days out, our Explorer Plus account gives you free entry "
                       "to twelve partner attractions a year, for eight pounds a month."),
             ("customer", "No thanks, I'm fine as I am."),
             ("agent", "No problem, anything else?"), ("customer", "No, thanks.")]
    [offer] = _analyse(call(turns), settings)["offers"]
    assert "Explorer Plus" in offer["product"] and offer["customer_response"] == "declined"


def test_a_retention_deal_in_words_of_its_own_is_an_offer(settings) -> None:
    """"we can drop the rent to twenty-five pounds a month instead of forty" proposes a deal to stay:
    an offer the model reads and the proposal words name, accepted. The model's pitch reading moves a
    little with each retraining: ending ", billed monthly." instead, the sentence read 0.64 with
    turn-acts-lr@26e15504, under the pitch line, and 0.82 as written here."""
    turns = [("agent", "Inkwell Office Leasing, Priya speaking."),
             ("customer", "Hi, I want to return the copier and end the lease, we barely print any more."),
             ("agent", "I understand. If you keep it, we can drop the rent to twenty-five pounds a month instead of forty."),
             ("customer", "Oh. Okay, at that price we'll keep it."),
             ("agent", "Great, I've changed it from the next bill.")]
    [offer] = _analyse(call(turns), settings)["offers"]
    assert offer["kind"] == "retention" and offer["customer_response"] == "accepted"
    assert "drop the rent" in offer["evidence"]["quote"]


def test_what_other_customers_have_is_not_what_the_caller_is_on(settings) -> None:
    """"While you're on, a lot of garages also have our roller hand towels..." pitches the towels:
    "you're on, a lot" is no talk of the caller's current plan."""
    turns = [("agent", "Brightwash Workwear, Tom speaking."),
             ("customer", "Hi, I need to add two mechanics to our overalls contract."),
             ("agent", "No problem, that's done from Monday."),
             ("agent", "While you're on, a lot of garages also have our roller hand towels in the workshop, "
                       "nine pounds a week for two dispensers. Any interest?"),
             ("customer", "No thanks, we're fine with paper."),
             ("agent", "No problem.")]
    [offer] = _analyse(call(turns), settings)["offers"]
    assert "hand towels" in offer["product"] and offer["customer_response"] == "declined"


def test_an_offering_rule_and_the_model_together_name_the_product(settings) -> None:
    """"While I've got you, I notice you haven't got GAP on this car." (a motoring call): the
    pivot's words and the model's pitch agree, so the likeliest noun phrase names the product, the
    offer opens there, and its first close ("Shall I add it?") counts with the two after the no."""
    gold, result = _analyse_style_call("motoring", "motoring_banking_gap_insurance_pushed", settings)
    [offer] = result["offers"]
    assert offer["product"] == "GAP" and offer["customer_response"] == "declined"
    assert len(offer["closing_attempts"]) == 3
    assert {"EXCESSIVE_CLOSING_ATTEMPTS", "CONTINUED_AFTER_DECLINE"} <= {f["code"] for f in result["flags"]}
    assert {"EXCESSIVE_CLOSING_ATTEMPTS", "CONTINUED_AFTER_DECLINE"} <= set(gold["flags"])


def test_a_dearer_tier_among_the_options_is_sold_though_unpriced(settings) -> None:
    """"Do you want the standard edition, or the Deluxe with the expansion pass...?" (a gaming
    call) is no choice of how a service is done: it sells the Deluxe, whose price comes only
    after the yes."""
    gold, result = _analyse_style_call("gaming", "gaming_software_edition_choice_price_in_recap", settings)
    [offer] = result["offers"]
    assert "or the Deluxe" in offer["evidence"]["quote"] and offer["customer_response"] == "accepted"
    assert offer["disclosures"]["price"]["status"] == "disclosed_after_consent"
    assert "DISCLOSURE_AFTER_CONSENT" in {f["code"] for f in result["flags"]} and "DISCLOSURE_AFTER_CONSENT" in gold["flags"]


def test_irish_will_i_and_youre_sure_are_closes_after_a_no(settings) -> None:
    """"Will I put you down?" is Irish English for "Shall I put you down?", and "You're sure you
    don't want it?" presses after a no as "Are you sure?" does: three closes, two after the no."""
    turns = [("agent", "Liffey Fitness, Aoife speaking."),
             ("customer", "Hi, I want to book a gym induction for next week."),
             ("agent", "No bother, Tuesday at six is free. We also do a six-session personal training pack for ninety euro, "
                       "it gets you going properly. Will I book you in for your first one next week?"),
             ("customer", "No thanks, just the induction."),
             ("agent", "You're sure you don't want it? It's great value."),
             ("customer", "I'm sure, thanks."),
             ("agent", "Go on, will I put you down for the six sessions?"),
             ("customer", "No. Just the induction, please."),
             ("agent", "Grand, Tuesday at six so.")]
    result = _analyse(call(turns), settings)
    assert result["closing_attempts"] == {"total": 3, "after_decline": 2}
    assert {"EXCESSIVE_CLOSING_ATTEMPTS", "CONTINUED_AFTER_DECLINE"} <= _codes(result)


def test_a_priced_pitch_after_a_yes_is_the_next_offer_the_close_asks_for(settings) -> None:
    """After the customer took the synthetic oil, "We can rotate them while it's up on the lift,
    it's twenty bucks. Want me to add that?" names no product, but asks for something new: the no
    answers it, not the oil change they already took."""
    turns = [("agent", "Lakeshore Quick Lube, this is Dwayne."),
             ("customer", "Hi, I'd like to book an oil change for tomorrow morning."),
             ("agent", "Sure. The basic is thirty-nine ninety-nine, but I'd recommend our Synthetic Plus oil change for your car, "
                       "it's sixty-nine ninety-nine. Shall I put you down for Synthetic Plus?"),
             ("customer", "Yes, the Synthetic Plus, please."),
             ("agent", "Will do."),
             ("agent", "We can rotate them while it's up on the lift, it's twenty bucks. Want me to add that?"),
             ("customer", "Not this time, thanks."),
             ("agent", "No problem, see you tomorrow.")]
    offers = _analyse(call(turns), settings)["offers"]
    assert [o["customer_response"] for o in offers] == ["accepted", "declined"]
    assert "rotate them" in offers[1]["evidence"]["quote"]


def test_what_the_customers_cover_already_holds_sells_nothing(settings) -> None:
    """"Your policy has a vet fee limit of seven thousand pounds" and "glass cover is part of your
    comprehensive policy" describe what the customer has, however much they sound like a pitch."""
    claim = [("agent", "Pawsure claims, Dan speaking."),
             ("customer", "Hi, I'm checking on a claim for my dog Bella, she had her leg operated on last month."),
             ("agent", "I can see it, it's with the assessor. Your policy has a vet fee limit of seven thousand pounds per condition per "
                       "year, and the excess is a hundred and twenty pounds."),
             ("customer", "Okay, so it'll be covered?"), ("agent", "It should be, you'll hear by Friday."), ("customer", "Thanks.")]
    glass = [("agent", "Corrie Motor Insurance, Aileen speaking."),
             ("customer", "Hi, a stone's cracked my windscreen on the motorway and I need it sorted."),
             ("agent", "The good news is glass cover is part of your comprehensive policy, so you don't need to add anything. "
                       "The excess is seventy-five pounds."),
             ("customer", "Oh brilliant."), ("agent", "I'll book the fitter for Thursday."), ("customer", "Thanks.")]
    for turns in (claim, glass):
        assert _analyse(call(turns), settings)["offers"] == [], turns[2][1]


def test_a_kind_of_account_or_service_pitched_is_an_offer(settings) -> None:
    """"our multi-currency business account" and "our legal glossary service" are things of their
    own, not "an account" or "a service", when the model reads a clear pitch (read blind-set calls)."""
    turns = [("agent", "Harbourline Bank, business team, it's Dominic."),
             ("customer", "A client in Hamburg paid me twelve hundred euros and twenty eight pounds disappeared on the way in."),
             ("agent", "That's an inbound international payment fee of six pounds, plus our conversion margin."),
             ("agent", "Do you get paid in euros often?"),
             ("customer", "Most months, yeah."),
             ("agent", "Then our multi-currency business account might save you a fair bit."),
             ("agent", "You'd hold euros without converting, no inbound fee, and it's seven pounds fifty a month."),
             ("customer", "Hmm. Can you email me the details?"),
             ("agent", "Of course."), ("customer", "Thanks.")]
    offers = _analyse(call(turns), settings)["offers"]
    assert [o["product"] for o in offers] == ["multi-currency business account"]


def test_what_is_there_instead_of_what_is_gone_is_offered(settings) -> None:
    """"Ash is all gone till next month. I've got beech nets though": a substitute, taken with a yes."""
    turns = [("agent", "Greenhollow Fuel Yard, Phil."),
             ("customer", "I want to pick up two nets of ash logs this afternoon, can you put them aside?"),
             ("agent", "Ah, I'm afraid ash is all gone till the new load next month."),
             ("agent", "I've got beech nets though, same dryness, slightly longer burn."),
             ("agent", "They're seven fifty a net instead of six fifty. Want me to hold two?"),
             ("customer", "Yes, hold two please, I'll be there about four."),
             ("agent", "Done, two beech nets, fifteen pounds altogether, pay when you collect.")]
    offers = _analyse(call(turns), settings)["offers"]
    assert [o["customer_response"] for o in offers] == ["accepted"]
    assert "beech" in offers[0]["product"]


def test_a_yes_to_a_question_about_something_else_after_the_answer_is_no_consent(settings) -> None:
    """"Just the one appointment, thanks." answers the membership; "Shall I send the video link to
    your email?" then asks about something of its own, and the "Yes please." after it is not a yes
    to the membership."""
    turns = [("agent", "Calldoc, this is Amira. How can I help?"),
             ("customer", "Hi, I'd like a video appointment with a GP today if possible."),
             ("agent", "A one-off video consultation is thirty-nine pounds, and I've got a slot at two fifteen. Alternatively, there's "
                       "our Calldoc Care membership, fourteen ninety-nine a month with unlimited GP video calls. Would you like to "
                       "join, or just book the one appointment?"),
             ("customer", "Just the one appointment, thanks. I hardly ever need a doctor."),
             ("agent", "That's fine. I've booked you with Doctor Hassan at two fifteen. Shall I send the video link to your email?"),
             ("customer", "Yes please."), ("agent", "Sent. Anything else?"), ("customer", "No, that's all.")]
    offers = _analyse(call(turns), settings)["offers"]
    assert [o["customer_response"] for o in offers if "membership" in o["product"].lower()] != ["accepted"]
    assert all(o["customer_response"] != "accepted" for o in offers)


# A shrugging yes and picking the offered thing by name take the offer (sales.yaml
# ACCEPT-MAY-AS-WELL): read held-out calls where "Yes, may as well." to "And do you want our Care
# Plus on it?" and "Okay, let's do the Gallery." to a sold-out room's substitute were no answer.
@pytest.mark.parametrize("style,call_id,answer", [
    ("shortcalls", "shortcalls_retail_laptop_careplan_recap_price", "Yes, may as well."),
    ("hospitality", "hospitality_travel_venue_room_sold_out", "Okay, let's do the Gallery."),
])
def test_a_shrug_or_a_pick_accepts(settings, style: str, call_id: str, answer: str) -> None:
    from callqa.eval.compare import transcript_from_labels

    offers = _analyse(transcript_from_labels(_style_call(style, call_id)), settings)["offers"]
    assert [o["customer_response"] for o in offers if o["response_evidence"] and o["response_evidence"]["quote"] == answer] == ["accepted"]


@pytest.mark.parametrize("style, call_id, rule", [
    ("proxy", "proxy_insurance_bereaved_son_cancel", "NEEDFIT-LEAVING-BEREAVED"),  # "My dad died two weeks ago"
    ("handover", "handover_internet_tv_emigrating_retention_ignored", "NEEDFIT-LEAVING-MOVING"),  # "We're emigrating to Spain"
    ("rambling", "rambling_internet_tv_moving_in_with_partner", "NEEDFIT-RETENTION"),  # "bring us with you to the new place"
])
def test_a_deal_to_stay_does_not_serve_a_death_or_a_move_away(settings, style: str, call_id: str, rule: str) -> None:
    """A retention deal on a cancellation call serves the need, unless the customer leaves because
    the holder died or they move away and the deal does not follow them (read held-out calls)."""
    from callqa.eval.compare import transcript_from_labels

    offers = _analyse(transcript_from_labels(_style_call(style, call_id)), settings)["offers"]
    retention = [o for o in offers if o["kind"] == "retention"]
    assert [(o["need_fit"], o["need_fit_rule"]) for o in retention] == [(rule == "NEEDFIT-RETENTION", rule)]


def test_adding_it_to_the_account_books_the_pitch(settings) -> None:
    """"Our HomeHeat boiler cover is 14 pounds a month ... I've gone ahead and added that to the
    account for you": the account is where it goes, not another thing booked, so the pitch is
    booked before any yes (a read held-out call)."""
    from callqa.eval.compare import transcript_from_labels

    result = _analyse(transcript_from_labels(_style_call("consultative", "consultative_utilities_move_in_boiler_cover")), settings)
    assert "SALE_WITHOUT_CONSENT" in {f["code"] for f in result["flags"]}


@pytest.mark.parametrize("style, call_id", [
    ("charging", "charging_utilities_home_unit_trips_fuse"),  # "Would you like me to text you those steps?"
    ("streaming", "streaming_telecom_carrier_game_never_ordered"),  # "...put a block on third-party charges", free
    ("aussie", "aussie_travel_move_flight_date"),  # a free date change; "Do you want to keep the same seats?"
    ("winback", "winback_travel_expired_airmiles_reinstate"),  # "I can reinstate them once as a goodwill gesture."
])
def test_an_offer_with_no_price_no_name_or_only_a_close_sells_nothing(settings, style: str, call_id: str) -> None:
    """A reading that names no product, or rests on a close alone, and is given no price anywhere in
    the call is no offer (read held-out service calls that sold nothing)."""
    from callqa.eval.compare import transcript_from_labels

    assert _analyse(transcript_from_labels(_style_call(style, call_id)), settings)["offers"] == []


def test_an_unpriced_unnamed_offer_the_model_reads_as_a_clear_pitch_stays(settings) -> None:
    """"I'm going to go ahead and start you on a free thirty-day trial of ShieldPoint VPN ... Sound
    good?" "Free? Sure, okay.": no price and no name the reader takes, but the model is sure of the
    pitch, so it stays an offer, taken, with its undisclosed terms."""
    from callqa.eval.compare import transcript_from_labels

    result = _analyse(transcript_from_labels(_style_call("american", "american_software_antivirus_vpn_trial")), settings)
    assert [o["customer_response"] for o in result["offers"]] == ["accepted"]
    assert {"MISSING_CANCELLATION_DISCLOSURE", "MISSING_PRICE_DISCLOSURE"} <= {f["code"] for f in result["flags"]}


@pytest.mark.parametrize("style, call_id", [
    ("outbound", "outbound_insurance_pet_renewal_upgrade_pushy"),  # "I'm not sure." ... "Can I go ahead?"
    ("kiwi", "kiwi_telecom_phone_upgrade_hard_push"),  # "I don't know. What happens if I want out?" ... "So, shall we get it sorted?"
])
def test_a_bare_close_after_a_no_or_a_maybe_presses_the_offer(settings, style: str, call_id: str) -> None:
    """A closing question that names nothing of its own, in reply to the customer's no or "not sure",
    asks for the offer again, though the turn-act model reads so short a question as service (read
    held-out calls, three asks each)."""
    from callqa.eval.compare import transcript_from_labels

    result = _analyse(transcript_from_labels(_style_call(style, call_id)), settings)
    assert result["closing_attempts"]["total"] == 3 and "EXCESSIVE_CLOSING_ATTEMPTS" in _codes(result)


@pytest.mark.parametrize("style, call_id, product", [
    ("outbound", "outbound_banking_premium_card_cold_call", "Platinum Rewards"),  # "you've been selected for our Platinum Rewards card"
    ("alarms", "alarms_telecom_bank_details_doorbell_pitch", "video doorbell"),  # "While I have you, you don't have our video doorbell yet."
    ("tickets", "tickets_ecommerce_sold_out_day_pass_swap", "weekend pass"),  # "What I do still have is the weekend pass"
])
def test_a_pitch_in_words_that_sell_stands_without_the_models_reading(settings, style: str, call_id: str, product: str) -> None:
    """Offer rules whose words pitch by themselves (sales.yaml offer.stand_alone) open an offer the
    turn-act model reads almost no pitch in (read held-out calls)."""
    from callqa.eval.compare import transcript_from_labels

    offers = _analyse(transcript_from_labels(_style_call(style, call_id)), settings)["offers"]
    assert product in [o["product"] for o in offers]


def test_a_bare_yes_that_ends_the_reply_to_a_close_takes_the_offer(settings) -> None:
    """"Shall I start the trial for you?" "Ten percent off treats? She does eat a lot of treats.
    Alright, yes.": the yes the customer settles on after thinking aloud answers the close (a read
    held-out call)."""
    from callqa.eval.compare import transcript_from_labels

    offers = _analyse(transcript_from_labels(_style_call("trials", "trials_ecommerce_pet_autoship_plus")), settings)["offers"]
    assert [o["customer_response"] for o in offers] == ["accepted"]


@pytest.mark.parametrize("style, call_id, product", [
    ("alarms", "alarms_insurance_keyholder_monitoring_price_at_end", "keyholder monitoring"),  # "What you want is keyholder monitoring."
    ("outbound", "outbound_internet_tv_welcome_sports_added", "Sports Max"),  # "So what you want is Sports Max"
    ("nonnative", "nonnative_banking_three_offers_mixed", "Payment Protection"),  # "many customers add Payment Protection"
])
def test_what_you_want_is_and_many_customers_add_pitch(settings, style: str, call_id: str, product: str) -> None:
    """"What you want is X" recommends X, and "many customers add X" implies the offer (read calls
    whose labelled pitch no rule read before)."""
    from callqa.eval.compare import transcript_from_labels

    offers = _analyse(transcript_from_labels(_style_call(style, call_id)), settings)["offers"]
    assert product in [o["product"] for o in offers]


@pytest.mark.parametrize("style, call_id", [
    ("solar", "solar_utilities_maintenance_plan_added"),  # "I've also put you on our CarePlus monitoring plan ... nine ninety-nine a month."
    ("water", "water_utilities_cover_added_to_bill"),  # "I've also popped our commercial drainage cover onto the account"
    ("gaming", "gaming_software_tier_bumped_without_asking"),  # "You could, or, I've just moved you up to Premium"
    ("airports", "airports_travel_cancel_cover_added"),  # "I've added our cancellation cover as well, that's five ninety-nine"
    ("rides", "rides_ecommerce_plus_trial_started_unasked"),  # "I've gone ahead and started a Munchly Plus trial on your account"
    ("homeservices", "homeservices_retail_deep_clean_added"),  # "And I've put the kitchen deep clean on too ... that's an extra forty-five"
    ("agriculture", "agriculture_software_telematics_added_unasked"),  # "I've switched on FleetView telematics for you as well"
    ("telematics", "telematics_automotive_reminders_added_unasked"),  # "And I've also turned on service reminders for your six vans"
])
def test_a_sentence_that_pitches_and_books_at_once_is_a_sale_without_consent(settings, style: str, call_id: str) -> None:
    """The agent names the product and adds it in one breath, before any answer: the customer's
    "Oh, okay" after it does not repair the sale (read calls of five blind-scored styles)."""
    from callqa.eval.compare import transcript_from_labels

    result = _analyse(transcript_from_labels(_style_call(style, call_id)), settings)
    assert "SALE_WITHOUT_CONSENT" in _codes(result)


@pytest.mark.parametrize("style, call_id", [
    ("cards", "cards_banking_air_miles_upgrade"),  # "Yes, let's switch." ... "Done, I've upgraded you to Skyline."
    ("goodwill", "goodwill_automotive_service_points"),  # "I've added the points from both visits by hand"
    ("mealkits", "mealkits_healthcare_sesame_allergen"),  # "I've swapped it for the lemon and herb baked cod, which is sesame free"
    ("solar", "solar_automotive_ev_charger_recap_price"),  # "And most people take a spare five-metre cable for the boot too. Add it on?"
    ("travel", "travel_travel_cruise_cancel_balcony_retention"),  # "Would you like to keep the cruise on that basis?" "Yes" ... "I've moved you to cabin nine-two-one-four"
    ("roofing", "roofing_travel_cottage_roof_works_move"),  # "I've moved you to Ghyll House, and the extra is eighty pounds": the customer's pick
])
def test_a_booking_after_a_yes_a_goodwill_credit_a_swap_or_a_question_is_no_sale_without_consent(settings, style: str, call_id: str) -> None:
    """What the customer just said yes to, loyalty points added for the hassle, a meal swapped for
    one without the allergen, and "Add it on?" (a question, not a booking) book nothing unasked."""
    from callqa.eval.compare import transcript_from_labels

    result = _analyse(transcript_from_labels(_style_call(style, call_id)), settings)
    assert "SALE_WITHOUT_CONSENT" not in _codes(result)


@pytest.mark.parametrize("style, call_id", [
    ("water", "water_insurance_cover_pressed_after_no"),  # "No thanks..." ... "Can I pop it on for the first month and you see how you get on?"
    ("trading", "trading_software_margin_pressure"),  # "No thanks..." ... "shall I just pop it through for you?"
    ("gaming", "gaming_retail_warranty_pushed_after_no"),  # "No. I said no." ... "I can do it for forty-four if you add it today. Go on?"
    ("rides", "rides_software_ride_pass_pressure"),  # "No thanks..." ... "Let me just put it on and you'll see."
])
def test_putting_it_on_or_a_bare_go_on_after_a_no_presses_the_offer(settings, style: str, call_id: str) -> None:
    """After a no, asking to put "it" on (whatever else the question names), "Go on?" and "let me
    just put it on" ask for the declined offer again: three asks, one more than the policy allows."""
    from callqa.eval.compare import transcript_from_labels

    result = _analyse(transcript_from_labels(_style_call(style, call_id)), settings)
    assert result["closing_attempts"]["total"] == 3 and "EXCESSIVE_CLOSING_ATTEMPTS" in _codes(result)


def test_a_recap_in_words_the_pitch_used_is_the_same_offer(settings) -> None:
    """"While I've got you, Ms Farah, we've got a forty-minute massage slot ... As an upgrade to
    Lounge and Spa it's an extra thirty-nine pounds. Would you like it?" ... "So the Lounge and Spa
    upgrade is thirty-nine pounds ... it's non-refundable": one offer, named by the massage slot and
    never by the customer's name, with its terms said after the yes (a read blind-set call)."""
    from callqa.eval.compare import transcript_from_labels

    result = _analyse(transcript_from_labels(_style_call("airports", "airports_travel_lounge_spa_nonrefundable")), settings)
    assert [o["product"] for o in result["offers"]] == ["forty-minute massage slot"]
    assert "DISCLOSURE_AFTER_CONSENT" in _codes(result)


def test_the_upset_model_reads_the_turn_before_the_pitch_in_place_of_sentiment(settings) -> None:
    """"Declan Moss. And I nearly went over the bars on the first descent. I'm absolutely livid,
    that could've been my face." before a new bike is pitched is an upset customer sold to, with the
    angry sentence (not the name before it) and the upset model's score as evidence; "I keep running
    out before the next delivery ... Can I get more each month?" (sentiment -0.46) asks for more and
    is not upset (read blind-set calls)."""
    from callqa.eval.compare import transcript_from_labels
    from nlp.upset_model import shipped

    angry = _analyse(transcript_from_labels(_style_call("bikes", "bikes_retail_service_worse_new_bike_upset_trailhead")), settings)
    [flag] = [f for f in angry["flags"] if f["code"] == "OFFER_TO_UPSET_CUSTOMER"]
    assert flag["status"] == "raised" and flag["evidence"][0]["rule"] == shipped().id
    assert flag["evidence"][0]["quote"].startswith("I'm absolutely livid") and flag["evidence"][0]["speaker"] == "customer"
    asking = _analyse(transcript_from_labels(_style_call("opticians", "opticians_software_lens_app_bigger_plan")), settings)
    assert "OFFER_TO_UPSET_CUSTOMER" not in _codes(asking)


def test_the_upset_model_reads_the_customers_last_two_turns_before_the_pitch(settings) -> None:
    """"And I'll tell you now, I'm absolutely fuming." a turn before "...I've wasted my whole weekend
    chasing it.", then the pitch: the anger is plainest a turn before the one the pitch follows, and
    the customer is still upset when the selling starts (a read corpus call)."""
    from callqa.eval.compare import transcript_from_labels

    result = _analyse(transcript_from_labels(_style_call("deliveries", "deliveries_ecommerce_lost_parcel_prime_push")), settings)
    [flag] = [f for f in result["flags"] if f["code"] == "OFFER_TO_UPSET_CUSTOMER"]
    assert flag["status"] == "raised" and flag["evidence"][0]["quote"] == "And I'll tell you now, I'm absolutely fuming."


def test_the_no_answered_with_the_same_sale_in_other_words_presses_that_offer(settings) -> None:
    """"I understand, but just think about it, the top-up would only add about a hundred pounds a
    month", "Last chance, shall I add just the pack?": after the customer's no, the same sale in
    other words is that offer pressed again, not a second offer that nobody declined (nlp/rules/sales.yaml, repitch)."""
    turns = [("agent", "Tallis Mobile, Priya speaking."),
             ("customer", "Hi, my contract ends next week and I want to go SIM-only, I'm happy with my phone."),
             ("agent", "Let me pull that up. Can I take your date of birth?"),
             ("customer", "Fourth of March, eighty-one."),
             ("agent", "Thanks. Before you go SIM-only, we've got the new Pixo 9 on our twenty-four month plan at thirty-nine a month. Shall I set that up?"),
             ("customer", "No thanks, the phone I've got is fine."),
             ("agent", "I understand, but just think about it, for twenty-four more a month you'd have a brand new camera. Shall I do it?"),
             ("customer", "No. Just the SIM-only, please."),
             ("agent", "Okay. SIM-only twenty gig, fifteen pounds a month, rolling. Anything else?"),
             ("customer", "No, thanks.")]
    result = _analyse(call(turns), settings)
    [offer] = result["offers"]
    assert offer["customer_response"] == "declined" and result["closing_attempts"]["after_decline"] == 1
    assert "CONTINUED_AFTER_DECLINE" in _codes(result)


def test_a_read_call_pushed_after_the_no_keeps_one_offer(settings) -> None:
    """A read call of a blind-scored style: the agent presses the declined membership in other words; one offer, pushed."""
    gold, result = _analyse_style_call("proxy", "proxy_fitness_dad_joins_teen_pushed_premium", settings)
    [offer] = result["offers"]
    assert offer["customer_response"] == gold["offers"][0]["customer_response"] and "CONTINUED_AFTER_DECLINE" in _codes(result)


def test_a_close_that_offers_to_send_what_was_pitched_asks_for_the_offer(settings) -> None:
    """"Would you like me to send two boxes?" after the substitute was pitched by the box and the
    customer's question answered: it asks for the offer, however much ordering reads as service,
    and the yes after it is consent. "Shall I email you the policy wording?" after a pitch asks
    nothing of the sort."""
    turns = [("agent", "Petwell Direct, Sam speaking."),
             ("customer", "Hi, my cat's kidney food, the Renalis pouches, says out of stock on the website."),
             ("agent", "Yes, I'm sorry, the manufacturer has a shortage. What I can offer instead is VetNova Kidney Care in salmon. "
                       "It's the same low phosphorus formula. A box of twelve is eleven pounds forty, one-off order, nothing recurring."),
             ("customer", "What if she won't touch it?"),
             ("agent", "Unopened boxes can be returned within thirty days for a refund. Would you like me to send two boxes?"),
             ("customer", "Yes please, two boxes."),
             ("agent", "So that's two boxes of VetNova Kidney Care, twenty two pounds eighty. It'll go out today."),
             ("customer", "Thank you.")]
    [offer] = _analyse(call(turns), settings)["offers"]
    assert offer["customer_response"] == "accepted"
    assert [c["quote"] for c in offer["closing_attempts"]] == ["Would you like me to send two boxes?"]

    service = [*turns[:4],
               ("agent", "Unopened boxes can be returned within thirty days. Would you like me to email you the returns wording for the pouches?"),
               ("customer", "Yes please."),
               ("agent", "Done, it's in your inbox."),
               ("customer", "Thanks.")]
    [offer] = _analyse(call(service), settings)["offers"]
    assert offer["customer_response"] != "accepted" and offer["closing_attempts"] == []


def test_a_no_to_something_else_after_the_yes_keeps_the_yes(settings) -> None:
    """"Shall I swap it?" "Yeah, go on, swap it." "Swapped. And the Arlo has bedside tables in the
    same oak..." "No, I've got bedside tables.": the no answers the bedside tables, not the mattress
    the customer has just agreed to, though that yes answered a close."""
    turns = [("agent", "Harlow Furniture, Jen speaking."),
             ("customer", "Hi, I've got the Arlo double bed in my basket with the Basic foam mattress, can I order it over the phone?"),
             ("agent", "Of course. Is it for you every night?"),
             ("customer", "Me every night. I've had a bad back, which is partly why I'm changing."),
             ("agent", "In that case I'd really look at the Pocket Ortho instead of the Basic. It's firmer with a thousand pocket springs. "
                       "It's two forty nine against one sixty nine, so eighty more, and it's got a hundred night trial. Shall I swap it?"),
             ("customer", "Yeah, go on, swap it."),
             ("agent", "Swapped. And the Arlo has bedside tables in the same oak, forty five each or eighty for the pair."),
             ("customer", "No, I've got bedside tables. Just the bed and mattress."),
             ("agent", "Sure. So the Arlo double at three nineteen and the Pocket Ortho at two forty nine, that's five hundred and sixty-eight."),
             ("customer", "Lovely.")]
    offers = _analyse(call(turns), settings)["offers"]
    assert offers[0]["product"] == "Pocket Ortho" and offers[0]["customer_response"] == "accepted"


def test_a_yes_after_the_agent_answers_a_question_about_the_offer_answers_the_offer(settings) -> None:
    """"What if someone leaves halfway through the year?" "It's a twelve month commitment, so seats
    can't be removed or refunded mid-term, but you can add seats..." "Fair enough... Let's do the
    annual Business plan.": the answer reads for a moment as an offer of seats, which the reading
    drops; the yes it took answers the plan (a read call of a blind-scored style)."""
    gold, result = _analyse_style_call("handover", "handover_software_team_seats_annual", settings)
    [offer] = result["offers"]
    assert offer["product"] == "Business plan" and offer["customer_response"] == "accepted"


def test_more_of_a_pitch_in_the_same_breath_is_the_same_offer(settings) -> None:
    """"Then you'd fit our Starter tariff. I can move you onto it with no monthly fee for twelve
    months, covering up to a hundred transactions...": said before the customer speaks, the second
    sentence says more of the tariff; its likeliest noun phrase ("hundred transactions") is no
    second offer, and the yes to "Would you like me to switch you over?" is the tariff's (a read
    call of a blind-scored style)."""
    gold, result = _analyse_style_call("smallbiz", "smallbiz_banking_close_account_fee_holiday", settings)
    [offer] = result["offers"]
    assert offer["product"] == "Starter tariff" and offer["customer_response"] == "accepted"


def test_a_taken_offer_was_pushed_after_a_no_only_if_the_no_was_said(settings) -> None:
    """"Three times the pages? Then I don't need four." is the customer weighing the offer up (the
    model reads a no in it), and "Do you want two of those on next-day?" "Yes, two of the
    high-yield." is no push past a refusal (a read call of a blind-scored style). "No thanks." and
    then the same close again is one, even when the customer gives in."""
    gold, result = _analyse_style_call("smallbiz", "smallbiz_ecommerce_toner_sold_out_swap", settings)
    [offer] = result["offers"]
    assert offer["customer_response"] == "accepted" and "CONTINUED_AFTER_DECLINE" not in _codes(result)

    turns = [("agent", "Brightline Broadband, Tom speaking."),
             ("customer", "Hi, I'm moving house next month and need the broadband moved."),
             ("agent", "No problem, I can do that. While I have you, our Wi-Fi booster is four pounds a month. Shall I add it?"),
             ("customer", "No thanks."),
             ("agent", "Are you sure? It really helps in bigger houses. Shall I add it?"),
             ("customer", "Oh, go on then."),
             ("agent", "Done. So that's four pounds a month on top, from your next bill."),
             ("customer", "Thanks.")]
    result = _analyse(call(turns), settings)
    assert result["offers"][0]["customer_response"] == "accepted" and "CONTINUED_AFTER_DECLINE" in _codes(result)


def test_a_one_off_priced_by_the_day_has_no_term_to_state(settings) -> None:
    """"...the Roam Easy pass, it's two pounds fifty a day, and it only charges on days you actually
    use your phone there": the turn-act model reads a recurring charge in the price, but only a
    rule's period ("a month", "every year") makes a term due; nothing here is sold on one (a read
    call of a blind-scored style)."""
    gold, result = _analyse_style_call("hospitality", "hospitality_telecom_roaming_day_pass", settings)
    [offer] = result["offers"]
    assert offer["customer_response"] == "accepted" and offer["disclosures"]["contract_term"]["status"] == "not_applicable"
    assert "MISSING_CONTRACT_TERM_DISCLOSURE" not in _codes(result)


def test_a_monthly_price_states_no_term(settings) -> None:
    """"Our Complete cover is eleven ninety-nine a month, covering loss, theft, accidental damage and
    breakdown.": the turn-act model reads a term in the price, but a price with its period and no
    word of how long the cover runs states none; the term stays missing (a read call of a held-out
    style)."""
    gold, result = _analyse_style_call("phones", "phones_insurance_cover_excess_after_yes", settings)
    [offer] = result["offers"]
    assert gold["offers"][0]["disclosures"]["contract_term"]["status"] == "missing"
    assert offer["customer_response"] == "accepted" and offer["disclosures"]["contract_term"]["status"] == "missing"


def test_a_named_pitch_after_the_customer_spoke_is_a_new_offer(settings) -> None:
    """"Oh, I didn't know about the fifty trips one. Good to know." "Also, we've got Kartr Priority
    Support for drivers, it's six dollars a month...": the customer spoke without answering the
    free payout option, and the agent then pitches another thing by name; that is a new offer,
    and "Nah, I don't call that much." declines it (a read call of a blind-scored style)."""
    gold, result = _analyse_style_call("rides", "rides_software_driver_priority_support_pitch", settings)
    support = [o for o in result["offers"] if o["product"] == "Kartr Priority Support"]
    assert len(support) == 1 and support[0]["customer_response"] == "declined"


def test_a_sure_priced_pitch_of_another_thing_is_a_new_offer(settings) -> None:
    """"We can fit bird mesh round the edges for three hundred and twenty pounds.": after a pitch the
    customer has not answered, a priced pitch the model is sure of, naming another thing by its
    common name, is a new offer, not more of the one under way (a read call of a blind-scored
    style; before, the mesh's no went to the green loan mentioned earlier)."""
    gold, result = _analyse_style_call("energy", "energy_utilities_solar_quote_battery", settings)
    mesh = [o for o in result["offers"] if o["product"] == "bird mesh"]
    assert len(mesh) == 1 and mesh[0]["customer_response"] == "declined"
    assert all(o["product"] != "green loan" for o in result["offers"])


def test_answers_about_a_priced_deal_keep_it_open(settings) -> None:
    """"Before I do, I can offer to keep the same cover at seven pounds a month for the next twelve
    months" "Seven? And if I still want to leave in a couple of months?" "You can still cancel any
    time with no fee..." "Alright. Go on then, I'll stay at seven.": the deal names no product, but
    the model read it as a pitch, so the agent's answer keeps it open and the yes is its (a read
    call of a blind-scored style)."""
    gold, result = _analyse_style_call("repairs", "repairs_insurance_gadget_cover_stay_discount", settings)
    [offer] = result["offers"]
    assert offer["kind"] == "retention" and offer["customer_response"] == "accepted"
    assert "SALE_WITHOUT_CONSENT" not in _codes(result)


def test_booking_the_offer_by_name_is_a_yes(settings) -> None:
    """"Fine. Book me the Layover Pass then." takes the pass the agent pitched (a read call of a
    blind-scored style)."""
    gold, result = _analyse_style_call("airports", "airports_fitness_layover_pass", settings)
    [offer] = result["offers"]
    assert offer["product"] == "Layover Pass" and offer["customer_response"] == "accepted"


@pytest.mark.parametrize("style,call_id", [("gyms", "gyms_fitness_cancel_half_price_retention"),
                                           ("mealkits", "mealkits_ecommerce_cancel_half_price_stay")])
def test_a_deal_put_before_the_cancellation_is_an_offer(settings, style: str, call_id: str) -> None:
    """"What I can do, rather than losing you completely, is drop you to twenty-one pounds a month"
    and "Before I cancel, I can do your next three boxes at half price": deals to stay that the
    model reads only weakly as pitches, in a retention rule's words (read calls of blind-scored styles)."""
    gold, result = _analyse_style_call(style, call_id, settings)
    [offer] = result["offers"]
    assert offer["kind"] == "retention" and offer["customer_response"] == "accepted"


@pytest.mark.parametrize("style,call_id,response", [("pestcontrol", "pestcontrol_utilities_proofing_implied", "accepted"),
                                                    ("streaming", "streaming_software_dating_trial_upset_pitch", "declined"),
                                                    ("tax", "tax_internet_tv_registered_office_implied", "undecided")])
def test_what_others_like_you_do_in_more_words_proposes(settings, style: str, call_id: str, response: str) -> None:
    """"Most people in a terrace have the gaps sealed while we're there, that's ninety pounds on top",
    "a lot of members find Gold works out better", "A lot of our clients just use our office as their
    registered address, it's ninety-nine pounds a year": the model reads a pitch and the words propose,
    so the likeliest noun phrase names it (read calls of blind-scored styles)."""
    gold, result = _analyse_style_call(style, call_id, settings)
    [offer] = result["offers"]
    assert offer["customer_response"] == response == gold["offers"][0]["customer_response"]


def test_we_do_have_proposes(settings) -> None:
    """"But we do have a priority slot for forty-nine pounds, done in three working days." proposes the
    slot; the customer turns it down (a read call of the fuel and tax set, after its blind score)."""
    gold, result = _analyse_style_call("tax", "tax_travel_priority_slot_pressure", settings)
    [offer] = result["offers"]
    assert offer["product"] == "priority slot" and offer["customer_response"] == "declined"


def test_a_priced_deal_to_stay_in_the_retention_words_is_an_offer(settings) -> None:
    """"Before you go, what if I dropped you to five-day at sixty-eight a month?" offers staying on
    a cheaper category, though the model reads it weakly and it names nothing; its twelve-month
    commitment comes after the yes (a read call of the florists and golf set, after its blind score)."""
    gold, result = _analyse_style_call("golf", "golf_fitness_resign_discount_after_yes", settings)
    [offer] = result["offers"]
    assert offer["kind"] == "retention" and offer["customer_response"] == "accepted" == gold["offers"][0]["customer_response"]
    assert "dropped you to five-day" in offer["evidence"]["quote"]
    assert "DISCLOSURE_AFTER_CONSENT" in _codes(result) and "DISCLOSURE_AFTER_CONSENT" in gold["flags"]


def test_lovely_add_that_please_accepts(settings) -> None:
    """"Lovely, add that please." is a yes: the agent's "That's on now" books what was agreed, no
    sale without consent (a read call of the florists and golf set)."""
    gold, result = _analyse_style_call("golf", "golf_internet_tv_golf_channel_no_recap", settings)
    [offer] = result["offers"]
    assert offer["customer_response"] == "accepted" == gold["offers"][0]["customer_response"]
    assert "SALE_WITHOUT_CONSENT" not in _codes(result)


@pytest.mark.parametrize("call_id, quote", [
    ("florists_retail_luxury_roses_clean", "some people go for our luxury two dozen"),
    ("florists_retail_balloon_party_multi", "there's the dino display"),
])
def test_what_some_people_buy_and_something_if_you_want_it_propose(settings, call_id: str, quote: str) -> None:
    """"For a fortieth some people go for our luxury two dozen..." says what others buy as "most
    people go for" does, and "If you want something for the photos, there's the dino display... for
    thirty-nine" proposes it: with the model's clear pitch, each opens an offer (read calls of the
    florists and golf set, after its blind score)."""
    gold, result = _analyse_style_call("florists", call_id, settings)
    offers = [o for o in result["offers"] if quote in o["evidence"]["quote"]]
    assert len(offers) == 1 and offers[0]["customer_response"] == "accepted"
    assert any(quote in o["evidence"]["quote"] and o["customer_response"] == "accepted" for o in gold["offers"])


def test_the_closest_thing_in_stock_is_a_substitute_offer(settings) -> None:
    """"The closest we have in stock is the Nextbase 422" offers a substitute for the sold-out model
    (rules/sales.yaml OFFER-SUBSTITUTE), whatever the model reads in it, and the customer's "go on
    then, swap it" accepts it."""
    turns = [
        ("agent", "Hello, Roadline Direct, Priya speaking."),
        ("customer", "Hi, I ordered the Nextbase 322 dash cam last week and I've had an email saying it's cancelled."),
        ("agent", "I'm sorry about that, the 322 has sold out and we can't get more. "
                  "The closest we have in stock is the Nextbase 422 with the rear camera module."),
        ("customer", "Okay, how much is that?"),
        ("agent", "It's one hundred and nineteen pounds, twenty more than the 322."),
        ("customer", "Fine, go on then, swap it."),
        ("agent", "Done, that's the 422 at one hundred and nineteen, arriving Thursday."),
    ]
    [offer] = _analyse(call(turns), settings)["offers"]
    assert offer["evidence"]["quote"].startswith("The closest we have in stock")
    assert offer["customer_response"] == "accepted"


def test_how_often_something_happens_is_no_recurring_charge(settings) -> None:
    """"You can change it free up to a month before" says when the booking may change, not that the
    one-off upgrade is charged monthly (rules/sales.yaml DISC-RECURRING-PRICED): the upgrade has no
    recurring charge, so no contract term or cancellation term is due, and none is flagged missing."""
    turns = [
        ("agent", "Good morning, Ashcombe Hall weddings, Tom speaking."),
        ("customer", "Hi, it's Laura Price, we're getting married on the fourteenth of June and I wanted to check the evening food."),
        ("agent", "Of course. You've got the bacon rolls in the package at the moment. "
                  "Or you could go up to the hog roast with stuffing, apple sauce and slaw, that's twelve pounds a head more. "
                  "You can change it free up to a month before."),
        ("customer", "Oh, that sounds lovely, yes please, let's do the hog roast."),
        ("agent", "Lovely, I've switched the evening food to the hog roast."),
    ]
    result = _analyse(call(turns), settings)
    [offer] = result["offers"]
    assert offer["customer_response"] == "accepted"
    assert offer["disclosures"]["recurring_charge"]["status"] != "disclosed_before_consent"
    assert offer["disclosures"]["contract_term"]["status"] == "not_applicable"
    codes = {f["code"] for f in result["flags"]}
    assert not codes & {"MISSING_CONTRACT_TERM_DISCLOSURE", "MISSING_CANCELLATION_DISCLOSURE"}


def test_a_deal_to_stay_put_as_a_question_before_cancelling_is_a_retention_offer(settings) -> None:
    """"Before I cancel, would three months free help?" offers a deal to stay (rules/sales.yaml
    OFFER-RETENTION), and the customer's no declines it."""
    turns = [
        ("agent", "Thanks for calling Calmwave, this is Dev."),
        ("customer", "Hi, I'd like to cancel my subscription to the tinnitus app please, it's not helping."),
        ("agent", "I'm sorry to hear that. I can do that for you now. Before I cancel, would three months free help?"),
        ("customer", "No thanks, I just want it cancelled."),
        ("agent", "No problem, that's cancelled now and you won't be charged again."),
    ]
    [offer] = _analyse(call(turns), settings)["offers"]
    assert offer["kind"] == "retention"
    assert offer["customer_response"] == "declined"


def test_adding_it_to_the_paperwork_closes_on_the_offer(settings) -> None:
    """"Shall I add it to the paperwork?" after the customer has warmed to the pitch asks for the
    offer, whatever else it names (rules/sales.yaml CLOSE-ADD-IT): the yes after it is consent,
    and the premium stated after that yes is a disclosure after consent, not a sale without one."""
    turns = [
        ("agent", "Hello, Fairbrook Warranties, calling for Oakline Roofing. Is that Mrs Dunn?"),
        ("customer", "Yes, speaking. Oakline said you'd ring about the paperwork for my porch roof."),
        ("agent", "That's right. Oakline give their own five-year guarantee. "
                  "What most customers add is our insurance-backed guarantee, so you're covered even if Oakline stop trading."),
        ("customer", "Right, that sounds sensible."),
        ("agent", "Shall I add it to the paperwork?"),
        ("customer", "Yes, go ahead."),
        ("agent", "Lovely, that's added. It's a one-off premium of eighty pounds, paid with the final invoice."),
        ("customer", "Okay."),
    ]
    result = _analyse(call(turns), settings)
    [offer] = result["offers"]
    assert offer["customer_response"] == "accepted"
    assert offer["closing_attempts"][0]["quote"] == "Shall I add it to the paperwork?"
    codes = {f["code"] for f in result["flags"]}
    assert "SALE_WITHOUT_CONSENT" not in codes and "DISCLOSURE_AFTER_CONSENT" in codes


def test_a_yes_to_a_question_of_its_own_after_a_no_does_not_take_the_offer(settings) -> None:
    """After the customer declines a deal to stay, "Would you like us to collect the bin?" asks
    about the bin, which the pitch never spoke of: the "Yes please" after it does not take the deal
    after all, so there is no sale whose cost goes unrecapped."""
    turns = [
        ("customer", "Hello, I'd like to stop the garden waste collection please, I've had the garden paved."),
        ("agent", "Of course. Can I have the name and address on the subscription?"),
        ("customer", "Frank Lowther, eighty-one Cedar Drive."),
        ("agent", "Thank you. Before I cancel, some people in your position go to the half-season option, twenty-four pounds, "
                  "just collections in spring and autumn. Would that be any use?"),
        ("customer", "No, I've no hedges left either. Just cancel it."),
        ("agent", "No problem. It's cancelled from today and it won't renew in March. Would you like us to collect the bin?"),
        ("customer", "Yes please, it's in the way."),
        ("agent", "We'll pick it up on your next grey bin day."),
    ]
    result = _analyse(call(turns), settings)
    [offer] = result["offers"]
    assert offer["customer_response"] == "declined"
    assert "NO_COST_RECAP" not in {f["code"] for f in result["flags"]}



_SMART_METER_GREEN = [
    ("agent", "Northgate Energy, you're through to Priya. How can I help?"),
    ("customer", "Hi, I had a letter about a free smart meter and I'd like to book it in."),
    ("agent", "Lovely. I have Thursday the fourth, morning or afternoon?"),
    ("customer", "Morning please."),
    ("agent", "Booked, Thursday the fourth between eight and twelve. While I've got you, have you thought about "
              "going green? Our Clear Air tariff is all renewable electricity, about seven pounds more a month "
              "than you pay now, fixed for eighteen months."),
    ("customer", "{answer} Can you email me the details and I'll have a look?"),
    ("agent", "Of course, I'll send the tariff document across now. Anything else I can help with?"),
    ("customer", "No, that's all, thanks."),
]


@pytest.mark.parametrize(("answer", "response"), [("Hmm, I do like the idea.", "undecided"), ("Yes, go on.", "accepted")])
def test_a_hedge_in_so_many_words_later_in_the_turn_outweighs_a_yes_only_the_model_read(answer: str, response: str) -> None:
    """"Hmm, I do like the idea." is a yes to the turn-act model alone (a held-out reader scored it
    so); "Can you email me the details and I'll have a look?" later in the same turn is a "let me
    think" in a rule's words, and it is the answer. A yes in a rule's words stands."""
    from nlp.acts import SentenceActs
    from nlp.parse import parse
    from nlp.sales import find_offers

    parsed = parse(call([(who, text.format(answer=answer)) for who, text in _SMART_METER_GREEN]))
    read_yes = SentenceActs(frozenset({"accept"}), {"accept": 0.9})
    reading = {s.char_start: read_yes if s.text == answer else SentenceActs(frozenset(), {}) for s in parsed.sentences}
    [offer] = find_offers(parsed, load_policy(), reading=reading, model_id="turn-acts-test")
    assert offer.customer_response == response


@pytest.mark.parametrize(("held", "recapped"), [
    ("Okay Yvonne, one pot of Brightday, seven forty-nine, behind the counter under your name until closing tomorrow.", True),
    ("Okay Yvonne, one pot of Brightday behind the counter under your name until closing tomorrow.", False),
])
def test_the_pitch_s_figures_said_again_after_the_yes_recap_the_cost(settings, held: str, recapped: bool) -> None:
    """"Seven forty-nine" has no currency, so it is no amount by itself; said again after the yes,
    the figures the agent priced the substitute in before it recap what the customer will pay."""
    turns = [
        ("agent", "Pennant Health, Abbey Street branch, Gemma speaking."),
        ("customer", "Hello, could you put aside a bottle of the SunSpray vitamin D for me? I'll pop in at lunch."),
        ("agent", "Sorry, we're completely out of the SunSpray. We do have the Brightday tablets, ninety in a pot "
                  "for seven forty-nine. Same strength, just a tablet instead of a spray. Would you like me to keep one?"),
        ("customer", "Tablets are fine. Yes, keep one please."),
        ("agent", "What name shall I put on it?"),
        ("customer", "Yvonne Clarke."),
        ("agent", held),
        ("customer", "Lovely, see you later."),
    ]
    result = _analyse(call(turns), settings)
    [offer] = result["offers"]
    assert offer["customer_response"] == "accepted"
    assert ("NO_COST_RECAP" not in {f["code"] for f in result["flags"]}) is recapped


def test_pressing_after_a_no_is_raised_though_the_offer_was_never_priced(settings) -> None:
    """An offer with no price said caps its flags under the review line (nlp.confidence,
    UNPRICED_OFFER): such an "offer" is often a misreading. Asking again after the customer's no is
    evidence of a sale under way by itself, so CONTINUED_AFTER_DECLINE is raised all the same, and so
    is OFFER_TO_UPSET_CUSTOMER: a pitch over a complaint is the fault, priced or not."""
    turns = [
        ("agent", "Harlow Jewellers workshop, Dan speaking."),
        ("customer", "Hi, my watch has been with you for eight weeks for a service and nobody has called me back. I'm really fed up."),
        ("agent", "I'm sorry about that. Let me look. It's waiting for a part from the maker."),
        ("customer", "Eight weeks for a part? That's ridiculous."),
        ("agent", "Honestly, with an older watch like that, a lot of our customers just move up to the new model."),
        ("customer", "No. I don't want a new watch, I want mine back."),
        ("agent", "The new model has the updated movement and a five-year guarantee. Would you like me to put one aside for you?"),
        ("customer", "No, I said no. Just chase the part, please."),
        ("agent", "Are you sure? It would save you waiting. Shall I reserve one today?"),
        ("customer", "No. Goodbye."),
    ]
    result = _analyse(call(turns), settings)
    [offer] = result["offers"]
    assert offer["customer_response"] == "declined"
    assert offer["disclosures"]["price"]["status"] == "missing"
    raised = {f["code"] for f in result["flags"] if f["status"] == "raised"}
    assert "CONTINUED_AFTER_DECLINE" in raised
    # pitching to a customer who is upset is the fault whether or not a price was said
    assert "OFFER_TO_UPSET_CUSTOMER" in raised
