"""The need stage: hand-built calls per label, evidence, fallbacks, public-corpus floors, rule files."""

from __future__ import annotations

import json

import pytest
import yaml

from nlp.need import (
    FALLBACK_LABEL,
    MAX_PIECE_TOKENS,
    NeedFinding,
    classify_need,
    classify_needs,
    customer_pieces,
    keyword_rule_id,
    need_model,
    read_segments,
    with_decisive_phrase,
)
from nlp.parse import ParsedCall, parse
from nlp.phrases import rules_path
from nlp.policy import load_policy
from nlp.transcript import Segment, Transcript, Word

LABELS = {"billing", "technical_support", "cancel_service", "new_purchase", "upgrade_plan", "account_change", "complaint", "general_inquiry"}
GREETING = "Thank you for calling, this is Dana, how can I help you today?"
# Measured 0.68 on this 300-query sample (0.71 on all 1,840 mapped test queries).
BANKING77_SAMPLE = 300
BANKING77_FLOOR = 0.62


def _segment(call_id: str, i: int, speaker: str, start: float, text: str) -> Segment:
    """A segment with word times, 0.3 s per word, so evidence can point inside it."""
    words = tuple(Word(w, start + 0.3 * k, start + 0.3 * k + 0.25, 0.9) for k, w in enumerate(text.split()))
    end = words[-1].end if words else start + 1.0
    return Segment(f"{call_id}-{i:04d}", speaker, "mono", start, end, text, 0.9, words)


def _call(turns: list[tuple[str, str]], call_id: str = "t", gap: float = 1.0) -> ParsedCall:
    segments, clock = [], 0.0
    for i, (speaker, text) in enumerate(turns):
        segment = _segment(call_id, i, speaker, clock, text)
        segments.append(segment)
        clock = segment.end + gap
    return parse(Transcript(call_id, tuple(segments)))


@pytest.fixture(scope="module")
def policy():
    return load_policy()


@pytest.fixture(scope="module")
def model(policy):
    """Loads the embedding model and embeds the exemplars once for the module."""
    return need_model(policy)


# (label, customer's opening turn): clean text as a human would transcribe it, and ASR-style
# text as Whisper writes phone speech. Written for these tests, not taken from any corpus.
CASES = [
    ("billing", "Hi, yes, I'm ringing because my phone bill this month is forty pounds more than normal."),
    ("billing", "yeah hi um so i looked at my statement and there's this charge from you guys for like thirty bucks and i don't know what it's for"),
    # a charge for something never ordered is a complaint (needs.yaml), however calmly put
    ("complaint", "yeah hi um so i looked at my statement and there's this charge from you guys for like thirty bucks and i didn't order anything"),
    ("technical_support", "My broadband has been cutting out all week, I work from home so I really need it fixed."),
    ("technical_support", "um yeah the remote for the tv box doesn't do anything and the screen is just black"),
    ("cancel_service", "I'm calling because I want to cancel my mobile contract, I'm moving to another network."),
    ("cancel_service", "yeah so i'd like to stop my subscription please i don't really use it"),
    ("new_purchase", "Hi, I'm looking to get home insurance for a house we just bought."),
    ("new_purchase", "um hi i want to get internet set up at my new place i'm not a customer yet"),
    # coming back after a lapse buys again (needs.yaml), not the old account nor a cancellation
    ("new_purchase", "Hi Megan. My membership ran out at Christmas and I didn't renew, but I'd like to join again now."),
    ("upgrade_plan", "I keep running out of data every month so I'd like to move to a bigger plan."),
    ("upgrade_plan", "yeah hi my contract's up and i want to upgrade to the new iphone"),
    ("account_change", "I've just moved house and need to update my address on the account."),
    ("account_change", "um my wallet got stolen last night so i need to block my debit card"),
    ("complaint", "I want to make a complaint about the engineer who came out yesterday, he was extremely rude."),
    ("complaint", "yeah this is the third time i'm calling and every time i get told somebody will call me back and nobody does i want to speak to a manager"),
    ("general_inquiry", "Hi, I was just wondering what time your Oxford Street store opens on Sunday."),
    ("general_inquiry", "um yeah do you guys ship to hawaii"),
    # arrears are billing calls; booking a visit or a lesson is buying it
    ("billing", "yeah hi um i'm two months behind on my loan and i'm worried about the letters"),
    ("new_purchase", "Hello, can you book me in for a haircut on Saturday if you've got anything?"),
    ("new_purchase", "hi yeah i want to book a driving lesson for my son he's just turned seventeen"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("label", "text"), CASES, ids=[f"{label}-{i}" for i, (label, _) in enumerate(CASES)])
def test_each_label_from_the_customers_opening(policy, model, label: str, text: str) -> None:
    parsed = _call([("agent", GREETING), ("customer", text), ("agent", "Okay, let me pull up your account.")])
    finding = classify_need(parsed, policy)
    assert finding.label == label, finding.scores
    assert finding.confidence >= policy.need_min_confidence
    assert set(finding.scores) == set(policy.taxonomy)
    assert finding.scores[label] == pytest.approx(finding.confidence)


@pytest.mark.slow
def test_evidence_quotes_the_customer_inside_the_segment(policy, model) -> None:
    parsed = _call(
        [
            ("agent", GREETING),
            ("customer", "Hi there. My name is Priya. I want to cancel my broadband because I'm moving abroad next month."),
            ("agent", "I'm sorry to hear that."),
        ]
    )
    finding = classify_need(parsed, policy)
    assert finding.label == "cancel_service"
    evidence = finding.evidence
    segment = parsed.segments[1]
    assert evidence is not None and evidence.segment_id == segment.id and evidence.speaker == "customer"
    assert evidence.quote in segment.text and "cancel my broadband" in evidence.quote
    assert "My name is Priya" not in evidence.quote  # one sentence, not the whole turn
    assert segment.start <= evidence.start < evidence.end <= segment.end
    assert (evidence.start, evidence.end) != (segment.start, segment.end)  # word times, not the segment's
    assert evidence.rule == keyword_rule_id("cancel_service", "cancel my")


@pytest.mark.slow
def test_embedding_rule_when_no_keyword_fires(policy, model) -> None:
    finding = classify_need(_call([("agent", GREETING), ("customer", "the telly has had no picture since the storm last night")]), policy)
    assert finding.label == "technical_support"
    assert finding.evidence is not None and finding.evidence.rule == "need-embedding:technical_support"


@pytest.mark.slow
def test_low_confidence_falls_back_to_general_inquiry_keeping_evidence(policy, model) -> None:
    strict = policy.model_copy(update={"need_min_confidence": 0.999})
    parsed = _call([("agent", GREETING), ("customer", "yeah so it's about the thing from last week with the letter")])
    finding = classify_need(parsed, strict)
    assert finding.label == FALLBACK_LABEL
    assert finding.confidence == pytest.approx(finding.scores[FALLBACK_LABEL])
    assert finding.evidence is not None and finding.evidence.segment_id == parsed.segments[1].id


@pytest.mark.slow
def test_no_customer_words_is_general_inquiry_without_evidence(policy, model) -> None:
    finding = classify_need(_call([("agent", GREETING), ("customer", "yes"), ("agent", "Would you like to upgrade your plan today?")]), policy)
    assert finding.label == FALLBACK_LABEL and finding.confidence == 0.0 and finding.evidence is None
    assert finding.to_dict() == {"label": FALLBACK_LABEL, "confidence": 0.0, "evidence": None, "scores": {label: 0.0 for label in policy.taxonomy}}


@pytest.mark.slow
def test_agent_speech_is_ignored(policy, model) -> None:
    parsed = _call(
        [
            ("agent", "Thanks for calling. Before we start, did you want to cancel your account or upgrade to unlimited?"),
            ("customer", "No, my bill has a late fee on it and I paid on time."),
            ("agent", "I can also upgrade your plan to unlimited data, or sign you up for our new TV package."),
        ]
    )
    finding = classify_need(parsed, policy)
    assert finding.label == "billing"
    assert finding.evidence is not None and finding.evidence.speaker == "customer"


@pytest.mark.slow
def test_unknown_roles_read_all_non_agent_speech(policy, model) -> None:
    segments = (_segment("u", 0, "unknown", 0.0, "hi i need to change the email address on my account"),)
    finding = classify_need(parse(Transcript("u", segments)), policy)
    assert finding.label == "account_change"


@pytest.mark.slow
def test_angry_about_a_bill_is_billing_a_complaint_is_a_complaint(policy, model) -> None:
    angry = _call([("agent", GREETING), ("customer", "This is ridiculous, you've charged me twice for the same month and I want my money back!")])
    assert classify_need(angry, policy).label == "billing"
    complaint = _call([("agent", GREETING), ("customer", "I want to make a formal complaint, I've been overcharged three months running and nobody fixes it.")])
    assert classify_need(complaint, policy).label == "complaint"


def _billing() -> NeedFinding:
    return NeedFinding("billing", 0.6, None, {label: (0.6 if label == "billing" else 0.05) for label in sorted(LABELS)})


NEVER_ORDERED = "There's a charge on my bill for World Roam, seven pounds a month, and I never ordered it."


def test_a_charge_never_ordered_in_the_opening_is_a_complaint(policy) -> None:
    parsed = _call([("agent", GREETING), ("customer", "Hi Connor. " + NEVER_ORDERED), ("agent", "Let me look.")])
    need = with_decisive_phrase(_billing(), parsed, policy, None)
    assert (need.label, need.confidence) == ("complaint", 1.0)
    assert need.evidence.rule == "need-decisive:complaint:never ordered" and need.evidence.quote == NEVER_ORDERED
    assert need.scores == _billing().scores  # the classifiers' reading stays for the reviewer
    taken = _call([("agent", GREETING), ("customer", "You've taken sixty pounds off me without asking, why?")])
    assert with_decisive_phrase(_billing(), taken, policy, None).evidence.rule == "need-decisive:complaint:without asking"


def test_decisive_phrase_counts_only_in_the_opening_turns_before_the_pitch(policy) -> None:
    ordered = _call([("agent", GREETING), ("customer", "I ordered the roaming pass last week and it's on my bill twice.")])
    assert with_decisive_phrase(_billing(), ordered, policy, None).label == "billing"  # not fuzzy: one word flips it
    late = [("agent", GREETING), ("customer", "My bill is higher than usual this month."), ("agent", "Let me see."),
            ("customer", "It's the account ending four four two."), ("agent", "Thanks."), ("customer", NEVER_ORDERED)]
    assert with_decisive_phrase(_billing(), _call(late), policy, None).label == "billing"
    after_pitch = _call([("agent", GREETING), ("customer", "What do I owe this month?"), ("agent", "Would you like our roaming pass?"),
                         ("customer", NEVER_ORDERED)])
    pitch = after_pitch.segments[2].start
    assert with_decisive_phrase(_billing(), after_pitch, policy, pitch).label == "billing"


@pytest.mark.slow
def test_only_the_early_customer_turns_are_read(policy, model) -> None:
    turns = [("agent", GREETING), ("customer", "My internet has stopped working completely.")]
    turns += [("agent", "Let me run a test on the line."), ("customer", "Sure, go ahead, thank you.")] * 4
    turns += [("customer", "Honestly if this isn't fixed I'll cancel my account.")]
    parsed = _call(turns, gap=20.0)
    assert len(parsed.segments) - 1 not in read_segments(parsed)
    assert classify_need(parsed, policy).label == "technical_support"


@pytest.mark.slow
def test_batch_matches_single_calls(policy, model) -> None:
    calls = [_call([("agent", GREETING), ("customer", text)], call_id=f"b{i}") for i, (_, text) in enumerate(CASES[:6])]
    batch = classify_needs(calls, policy)
    assert [f.label for f in batch] == [classify_need(c, policy).label for c in calls]
    assert all(isinstance(f, NeedFinding) for f in batch)
    assert need_model(policy) is model  # exemplars embedded once per taxonomy


def test_long_asr_run_on_is_cut_into_windows() -> None:
    text = " ".join(["yeah so um the thing is my internet keeps dropping and i rang last week"] * 6)
    parsed = _call([("customer", text)])
    pieces = customer_pieces(parsed)
    assert len(pieces) > 1
    assert all(len(parsed.doc.char_span(p.char_start, p.char_end)) <= MAX_PIECE_TOKENS for p in pieces)
    assert all(p.text in text for p in pieces)


def test_short_turns_do_not_use_up_the_budget() -> None:
    turns = [("agent", GREETING), ("customer", "hi"), ("customer", "yes"), ("customer", "John Smith"), ("customer", "okay")]
    turns.append(("customer", "so my bill went up by twenty pounds"))
    assert 5 in read_segments(_call(turns))


# -- public corpora -----------------------------------------------------------------------


@pytest.mark.slow
def test_banking77_mapped_sample_accuracy_floor(policy, model) -> None:
    from callqa.eval.public import PublicDataMissing, banking77_need_accuracy

    try:
        result = banking77_need_accuracy(policy, "test", limit=BANKING77_SAMPLE)
    except PublicDataMissing as exc:
        pytest.skip(str(exc))
    assert result.n == BANKING77_SAMPLE
    assert result.accuracy >= BANKING77_FLOOR, result.to_dict()
    assert sum(row["n"] for row in result.per_label.values()) == result.n
    assert sum(sum(row.values()) for row in result.confusion.values()) == result.n


@pytest.mark.slow
def test_abcd_chats(policy, model) -> None:
    from callqa.eval.public import PublicDataMissing, abcd_need_accuracy

    try:
        result = abcd_need_accuracy(policy)
    except PublicDataMissing as exc:
        pytest.skip(str(exc))
    assert result.n + result.skipped == 3
    assert result.n >= 2 and result.accuracy >= 0.5, result.to_dict()


def test_abcd_gold_strips_numbered_subflows() -> None:
    from callqa.eval.public import abcd_gold

    assert abcd_gold({"flow": "storewide_query", "subflow": "timing_4"}) == "general_inquiry"
    assert abcd_gold({"flow": "subscription_inquiry", "subflow": "manage_pay_bill"}) == "billing"
    assert abcd_gold({"flow": "product_defect", "subflow": "return_size"}) is None


# -- rule files ---------------------------------------------------------------------------


def test_needs_rule_file_is_sane(policy) -> None:
    data = yaml.safe_load(rules_path("needs.yaml").read_text())
    assert data["version"] == 1 and set(data["taxonomy"]) == LABELS
    assert set(policy.taxonomy) == LABELS
    rule_ids = []
    for label, entry in policy.taxonomy.items():
        assert entry.description.strip(), label
        assert 15 <= len(entry.exemplars) <= 40, label  # enough to generalise, few enough to embed fast
        assert len(set(e.lower() for e in entry.exemplars)) == len(entry.exemplars), label
        assert entry.keywords, label
        rule_ids += [keyword_rule_id(label, kw) for kw in entry.keywords + entry.decisive]
    assert len(rule_ids) == len(set(rule_ids))


def test_public_maps_use_known_labels_and_intents(policy) -> None:
    from callqa.eval.public import PublicDataMissing, need_maps, shared_data_dir

    maps = need_maps()
    labels = set(maps["banking77"].values()) | set(maps["abcd"]["flows"].values()) | set(maps["abcd"]["subflows"].values())
    assert labels <= set(policy.taxonomy)
    try:
        data = shared_data_dir()
    except PublicDataMissing as exc:
        pytest.skip(str(exc))
    intents = set(json.loads((data / "banking77" / "categories.json").read_text()))
    assert set(maps["banking77"]) <= intents
    ontology = json.loads((data / "abcd" / "ontology.json").read_text())["intents"]
    assert set(maps["abcd"]["flows"]) <= set(ontology["flows"])
    for key in maps["abcd"]["subflows"]:
        flow, subflow = key.split("/")
        assert subflow in ontology["subflows"][flow], key
