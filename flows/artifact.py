"""The batch summary as Prefect artifacts (shown in the Prefect UI when a server is used): a
markdown overview (calls, failures, flags by code) and a table of the worst calls."""

from __future__ import annotations

import logging

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flows.summary import BatchSummary

SUMMARY_KEY = "score-calls-summary"
WORST_KEY = "score-calls-worst"
WORST_CALLS = 10
log = logging.getLogger(__name__)


def flag_totals(summary: BatchSummary) -> dict[str, int]:
    """Flag code -> calls of the batch with it, most frequent first."""
    return summary.flag_totals()


def worst_calls(summary: BatchSummary, n: int = WORST_CALLS) -> list[dict]:
    """Lowest scores first, then most flags; failed calls are listed in the overview instead."""
    scored = [(call_id, o) for call_id, o in summary.outcomes.items() if o.status == "scored"]
    scored.sort(key=lambda item: (item[1].score if item[1].score is not None else 101.0, -len(item[1].flags), item[0]))
    return [
        {"call": call_id, "score": o.score, "flags": len(o.flags), "flag codes": ", ".join(o.flags) or "-"}
        for call_id, o in scored[:n]
    ]


def summary_markdown(summary: BatchSummary) -> str:
    lines = [
        "# Scoring batch",
        "",
        "| calls | scored | failed | already done | stored | store failures |",
        "|---|---|---|---|---|---|",
        f"| {summary.total} | {summary.scored} | {summary.failed} | {summary.skipped} | {summary.stored} | {len(summary.store_failures)} |",
        "",
        f"{summary.audio_s / 60:.1f} audio minutes transcribed in {summary.wall_s:.0f} s"
        + (f"; store: `{summary.store_url}`" if summary.store_url else ""),
        "",
        "## Flags by code (calls)",
        "",
        "| flag | calls |",
        "|---|---|",
        *[f"| {code} | {n} |" for code, n in flag_totals(summary).items()],
        "",
        f"## Needs review: {summary.needs_review} call(s)",
        "",
        "Flags too unsure to count in the score (calls):",
        "",
        "| flag | calls |",
        "|---|---|",
        *[f"| {code} | {n} |" for code, n in summary.review_totals().items()],
    ]
    failed = {call_id: o.error for call_id, o in summary.outcomes.items() if o.status != "scored"}
    for title, errors in (("Failed calls", failed), ("Not in the store", summary.store_failures)):
        if errors:
            lines += ["", f"## {title}", "", "| call | error |", "|---|---|", *[f"| {c} | {e} |" for c, e in sorted(errors.items())]]
    return "\n".join(lines) + "\n"


def publish_summary(summary: BatchSummary, summary_key: str = SUMMARY_KEY, worst_key: str = WORST_KEY) -> str | None:
    """Create both artifacts in the current flow run; a failure is logged and returned, never
    raised: the records are written by then and the batch must not fail for a summary."""
    try:
        create_markdown_artifact(summary_markdown(summary), key=summary_key, description="callqa batch summary")
        worst = worst_calls(summary)
        if worst:
            create_table_artifact(worst, key=worst_key, description=f"the {len(worst)} lowest-scoring calls")
    except Exception as exc:  # noqa: BLE001  see the docstring
        log.warning("could not publish the Prefect summary artifact: %s", exc)
        return f"{type(exc).__name__}: {exc}"
    return None
