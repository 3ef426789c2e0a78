"""callqa eval --styles arithmetic: intervals and the per-style figures from per-call counts."""

from __future__ import annotations

import pytest

from callqa.eval.styles import CallScore, score_call, summarise, wilson


def test_wilson_interval() -> None:
    low, high = wilson(3, 10)
    assert low == pytest.approx(0.108, abs=1e-3) and high == pytest.approx(0.603, abs=1e-3)
    assert wilson(0, 0) == (0.0, 1.0)
    assert wilson(15, 15)[1] == 1.0


def _call(call_id: str, gold: int, found: int, matched: int, tp: int = 0, fp: int = 0, fn: int = 0, need: bool = True) -> CallScore:
    return CallScore(call_id, need, gold, found, matched, True, tp, fp, fn, no_sale=gold == 0, any_flag=bool(tp or fp))


def test_a_style_summary_counts_offers_flags_and_no_sale_false_alarms() -> None:
    calls = [
        _call("a", gold=1, found=1, matched=1, tp=1),
        _call("b", gold=0, found=1, matched=0, fp=1, need=False),  # an offer and a flag on a no-sale call
        _call("c", gold=0, found=0, matched=0),
        _call("d", gold=2, found=1, matched=1, fn=1),
    ]
    r = summarise("test", calls)
    assert (r.calls, r.need.value) == (4, 0.75)
    assert (r.offer_precision.value, r.offer_recall.value) == (2 / 3, 2 / 3)
    assert (r.flags_precision.value, r.flags_recall.value, r.flags_f1.value) == (0.5, 0.5, 0.5)
    assert (r.no_sale_offer.value, r.no_sale_offer.n, r.no_sale_flag.value) == (0.5, 2, 0.5)
    assert r.flags_f1.low <= 0.5 <= r.flags_f1.high


def test_disclosure_status_accuracy_counts_items_of_matched_offers() -> None:
    right = CallScore("a", True, 1, 1, 1, True, 0, 0, 0, no_sale=False, any_flag=False, disclosures_right=4, disclosures_total=5)
    wrong = CallScore("b", True, 1, 1, 1, True, 0, 0, 0, no_sale=False, any_flag=False, disclosures_right=1, disclosures_total=5)
    r = summarise("test", [right, wrong, _call("c", gold=0, found=0, matched=0)])
    assert (r.disclosures.value, r.disclosures.n) == (0.5, 10)


def test_a_style_summary_says_where_needs_and_flags_go_wrong() -> None:
    def scored(call_id: str, need: tuple[str, str], gold: tuple[str, ...], found: tuple[str, ...]) -> CallScore:
        g, f = set(gold), set(found)
        return CallScore(call_id, need[0] == need[1], 1, 1, 1, True, len(g & f), len(f - g), len(g - f), no_sale=False,
                         any_flag=bool(f), need_gold=need[0], need_found=need[1], gold_flags=gold, found_flags=found)

    r = summarise("test", [
        scored("a", ("complaint", "billing"), ("OFFER_TO_UPSET_CUSTOMER",), ("NO_COST_RECAP",)),
        scored("b", ("complaint", "complaint"), ("OFFER_TO_UPSET_CUSTOMER",), ("OFFER_TO_UPSET_CUSTOMER",)),
        scored("c", ("billing", "billing"), (), ()),
    ])
    assert r.need_confusion == {"complaint": {"billing": 1, "complaint": 1}, "billing": {"billing": 1}}
    assert r.flag_counts == {"NO_COST_RECAP": {"tp": 0, "fp": 1, "fn": 0},
                             "OFFER_TO_UPSET_CUSTOMER": {"tp": 1, "fp": 0, "fn": 1}}
    assert r.to_dict()["flag_counts"] == r.flag_counts  # they reach the JSON


def test_only_raised_flags_count_and_flags_sent_to_review_are_counted_apart() -> None:
    """A flag a reviewer must confirm is no verdict: the score leaves it out, and so does the
    accuracy; how many went to review, and how many of those the labels hold, is reported."""
    import json
    from dataclasses import replace
    from pathlib import Path

    from callqa.eval.compare import transcript_from_labels
    from nlp.analyse import AnalysisSettings, analyse
    from nlp.policy import load_policy

    gold = json.loads((Path(__file__).resolve().parents[1] / "audio_samples" / "internet_pushy_unrelated.labels.json").read_text())
    analysis = analyse(transcript_from_labels(gold), AnalysisSettings(load_policy()))
    raised = score_call(gold, analysis)
    assert raised.found_flags and raised.any_flag and not raised.review_flags
    unsure = replace(analysis, flags=tuple(replace(f, status="needs_review") for f in analysis.flags))
    held = score_call(gold, unsure)
    assert held.found_flags == () and not held.any_flag and held.flags_tp == 0
    assert held.review_flags == raised.found_flags and held.flags_fn == len(gold["flags"])
    r = summarise("test", [held])
    assert (r.to_review, r.to_review_in_labels) == (len(raised.found_flags), raised.flags_tp)


def test_styles_the_turn_act_model_has_read_are_held_out_in_mixed_groups_of_at_most_twenty() -> None:
    from callqa.eval.styles import HELD_OUT_GROUP, held_out_groups
    from nlp.acts import BROAD_STYLES, READ_STYLES

    unread = "a_style_scored_blind_tomorrow"
    groups = held_out_groups([*BROAD_STYLES, unread])
    assert unread not in groups  # the shipped model has never read it: it reads it
    assert set(groups) == set(BROAD_STYLES)
    distinct = set(groups.values())
    assert len(distinct) == -(-len(BROAD_STYLES) // HELD_OUT_GROUP) and all(len(g) <= HELD_OUT_GROUP for g in distinct)
    assert all(style in groups[style] for style in BROAD_STYLES)
    assert all(any(s in READ_STYLES for s in g) and any(s not in READ_STYLES for s in g) for g in distinct)
    assert held_out_groups(["waste", "dating"]) == {"waste": ("waste", "dating"), "dating": ("waste", "dating")}

