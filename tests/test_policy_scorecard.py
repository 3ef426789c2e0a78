from pathlib import Path

import pytest

from nlp.evidence import Evidence
from nlp.flags import Flag
from nlp.policy import PolicyError, load_policy
from nlp.scorecard import score_call


def test_default_policy_loads() -> None:
    policy = load_policy()
    assert policy.max_closing_attempts == 2
    assert "general_inquiry" in policy.taxonomy and len(policy.taxonomy) == 8
    assert policy.source_hash


@pytest.mark.parametrize(
    "text, message",
    [
        ("scorecard:\n  - id: a\n    question: q\n    weight: -1\n    fails_on: [NO_COST_RECAP]\n", ":4: scorecard.0.weight"),
        ("max_closing_attempts: 0\nscorecard:\n  - id: a\n    question: q\n    weight: 1\n    fails_on: [NO_COST_RECAP]\n", ":1: max_closing_attempts"),
        ("scorecard:\n  - id: a\n    question: q\n    weight: 1\n    fails_on: [MADE_UP_FLAG]\n", ":5: scorecard.0.fails_on.0"),
        ("scorecard: []\n", "scorecard"),
        ("colour: blue\nscorecard:\n  - id: a\n    question: q\n    weight: 1\n    fails_on: [NO_COST_RECAP]\n", ":1: colour: Extra inputs"),
        ("- just\n- a list\n", "a policy is a mapping"),
        ("scorecard: [\n", "cannot read policy"),
    ],
)
def test_bad_policy_names_field_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError, match=message.replace(".", r"\.")):
        load_policy(path)


def _flag(code: str) -> Flag:
    evidence = Evidence("c-left-0001", "agent", 1.0, 2.0, "quote", "RULE")
    return Flag(code, "high", "message", (evidence,))


def test_score_is_weighted_share_of_applicable_items() -> None:
    policy = load_policy()
    weights = {i.id: i.weight for i in policy.scorecard}
    # An offer, declined: items about accepted offers are N/A and left out of the score.
    score = score_call([_flag("EXCESSIVE_CLOSING_ATTEMPTS")], has_offers=True, has_accepted_offers=False, policy=policy)
    applicable = [i for i in policy.scorecard if i.applies_to != "calls_with_accepted_offers"]
    expected = 100 * sum(i.weight for i in applicable if i.id != "closing_attempts_within_limit") / sum(i.weight for i in applicable)
    assert score.value == pytest.approx(round(expected, 1))
    results = {i.id: i.result for i in score.items}
    assert results["closing_attempts_within_limit"] == "fail" and results["recaps_cost"] == "na"
    failed = next(i for i in score.items if i.id == "closing_attempts_within_limit")
    assert failed.evidence and failed.evidence[0]["flag"] == "EXCESSIVE_CLOSING_ATTEMPTS"
    assert weights["closing_attempts_within_limit"] > 0


def test_auto_fail_item_zeroes_the_score() -> None:
    score = score_call([_flag("CONTINUED_AFTER_DECLINE")], has_offers=True, has_accepted_offers=True, policy=load_policy())
    assert score.value == 0.0


def test_clean_sale_scores_100_and_call_without_offers_has_no_sales_score() -> None:
    policy = load_policy()
    assert score_call([], has_offers=True, has_accepted_offers=True, policy=policy).value == 100.0
    service_call = score_call([], has_offers=False, has_accepted_offers=False, policy=policy)
    assert service_call.value is None and all(i.result == "na" for i in service_call.items)


def test_a_needs_review_flag_does_not_change_the_score() -> None:
    from dataclasses import replace

    policy = load_policy()
    unsure = replace(_flag("CONTINUED_AFTER_DECLINE"), status="needs_review", confidence=0.3)
    score = score_call([unsure], has_offers=True, has_accepted_offers=True, policy=policy)
    assert score == score_call([], has_offers=True, has_accepted_offers=True, policy=policy)
    assert score.value == 100.0 and all(i.result != "fail" for i in score.items)


def test_confidence_rests_on_asr_words_and_soft_rules() -> None:
    from nlp.confidence import assess, margin_confidence, need_fit_confidence, transcript_quality
    from nlp.evidence import garbled_amount

    sure = Evidence("c-right-0001", "customer", 1.0, 2.0, "No thanks.", "DECLINE-NO-START", 0.93, False)
    mumbled = Evidence("c-right-0002", "customer", 3.0, 4.0, "No thanks.", "DECLINE-NO-START", 0.21, False)
    given = Evidence("c-right-0003", "customer", 5.0, 6.0, "No thanks.", "DECLINE-NO-START")  # no word probabilities
    policy = load_policy()
    assert not assess(1.0, [sure]).needs_review(policy.review_threshold, policy.asr_review_prob)
    low = assess(1.0, [sure, mumbled])
    assert low.value == 0.21 and low.needs_review(policy.review_threshold, policy.asr_review_prob)
    assert "lowest word probability 0.21" in low.basis
    assert assess(1.0, [given]).value == 1.0  # given transcripts count as confident
    assert assess(1.0, [Evidence("s", "agent", 0, 1, "$19 and $19 a month", "DISC-PRICE-AMOUNT", 0.9, True)]).asr < policy.asr_review_prob
    assert garbled_amount("it's $19 and $19 a month", [], 0.4) and not garbled_amount("it's $19.99 a month", [("$19.99", 0.9)], 0.4)
    assert garbled_amount("it's $24.99 a month", [("it's", 0.9), ("$24.99", 0.3)], 0.4)
    assert margin_confidence(0.0, 0.3) == 0.5 and margin_confidence(0.6, 0.3) == 1.0
    assert need_fit_confidence("NEEDFIT-SIMILARITY:0.34", 0.35)[0] < policy.review_threshold  # just under the line: unsure
    assert need_fit_confidence("NEEDFIT-SIMILARITY:0.10", 0.35)[0] == 1.0
    assert transcript_quality([0.9, 0.3, 0.6], 0.4) == {"mean_word_prob": 0.6, "low_confidence_share": 0.333, "words": 3}
    assert transcript_quality([], 0.4) is None
