"""The batch summary artifact's content, and that a failure to publish it is returned, not raised."""

from __future__ import annotations

from flows.artifact import flag_totals, publish_summary, summary_markdown, worst_calls
from flows.score import BatchSummary, CallOutcome


def _summary() -> BatchSummary:
    summary = BatchSummary(total=4, scored=3, failed=1, stored=4)
    summary.outcomes = {
        "good": CallOutcome("good", "scored", 100.0, (), None),
        "pushy": CallOutcome("pushy", "scored", 20.0, ("EXCESSIVE_CLOSING_ATTEMPTS", "CONTINUED_AFTER_DECLINE", "CONTINUED_AFTER_DECLINE"), None),
        "meh": CallOutcome("meh", "scored", 20.0, ("NO_COST_RECAP",), None),
        "broken": CallOutcome("broken", "failed", None, (), "decode_error"),
    }
    summary.store_failures = {"meh": "OperationalError: database is locked"}
    return summary


def test_summary_tables() -> None:
    summary = _summary()
    assert flag_totals(summary) == {"EXCESSIVE_CLOSING_ATTEMPTS": 1, "CONTINUED_AFTER_DECLINE": 1, "NO_COST_RECAP": 1}
    assert [row["call"] for row in worst_calls(summary)] == ["pushy", "meh", "good"]  # equal scores: more flags first
    text = summary_markdown(summary)
    assert "| 4 | 3 | 1 | 0 | 4 | 1 |" in text and "| broken | decode_error |" in text and "| meh | OperationalError" in text


def test_a_failed_artifact_is_reported_not_raised() -> None:
    problem = publish_summary(_summary(), summary_key="Not A Valid Key!")
    assert problem is not None and "lowercase" in problem
