"""The batch summary artifact's content, and that a failure to publish it is returned, not raised."""

from __future__ import annotations

from flows.artifact import flag_totals, publish_summary, summary_markdown, worst_calls
from flows.summary import BatchSummary, CallOutcome, StoreReport, summarise


def _summary() -> BatchSummary:
    outcomes = [
        CallOutcome("good", "scored", 100.0, (), None),
        CallOutcome("pushy", "scored", 20.0, ("EXCESSIVE_CLOSING_ATTEMPTS", "CONTINUED_AFTER_DECLINE", "CONTINUED_AFTER_DECLINE"), None),
        CallOutcome("meh", "scored", 20.0, ("NO_COST_RECAP",), None),
        CallOutcome("broken", "failed", None, (), "decode_error"),
    ]
    return summarise(outcomes, store=StoreReport("sqlite:///x", 4, {"meh": "OperationalError: database is locked"}))


def test_the_summary_counts_the_outcomes() -> None:
    summary = _summary()
    assert (summary.total, summary.scored, summary.failed, summary.skipped) == (4, 3, 1, 0)
    assert summary.failures == {"broken": "decode_error"} and summary.stored == 4


def test_summary_tables() -> None:
    summary = _summary()
    assert flag_totals(summary) == {"EXCESSIVE_CLOSING_ATTEMPTS": 1, "CONTINUED_AFTER_DECLINE": 1, "NO_COST_RECAP": 1}
    assert [row["call"] for row in worst_calls(summary)] == ["pushy", "meh", "good"]  # equal scores: more flags first
    text = summary_markdown(summary)
    assert "| 4 | 3 | 1 | 0 | 4 | 1 |" in text and "| broken | decode_error |" in text and "| meh | OperationalError" in text


def test_a_failed_artifact_is_reported_not_raised() -> None:
    problem = publish_summary(_summary(), summary_key="Not A Valid Key!")
    assert problem is not None and "lowercase" in problem


def test_the_summary_counts_needs_review_flags_apart() -> None:
    outcomes = [
        CallOutcome("unsure", "scored", 100.0, ("NO_COST_RECAP",), None, review_flags=("OFFER_WITHOUT_NEED",)),
        CallOutcome("poor-audio", "scored", 90.0, (), None, low_transcript_quality=True),
        CallOutcome("sure", "scored", 20.0, ("OFFER_WITHOUT_NEED",), None),
    ]
    summary = summarise(outcomes)
    assert summary.needs_review == 2
    assert summary.review_totals() == {"OFFER_WITHOUT_NEED": 1}
    assert flag_totals(summary) == {"NO_COST_RECAP": 1, "OFFER_WITHOUT_NEED": 1}  # the unsure one is not counted
    text = summary_markdown(summary)
    assert "## Needs review: 2 call(s)" in text and "| OFFER_WITHOUT_NEED | 1 |" in text
