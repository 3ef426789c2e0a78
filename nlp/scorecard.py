"""The QA score: policy scorecard items judged from the call's flags.

An item fails when one of its flags was raised, passes otherwise, and is N/A when it does not
apply to the call (no offer, no accepted offer); N/A items are left out of the score. A failed
auto-fail item sets the score to 0, as QA forms do for compliance breaches. Flags with status
`needs_review` (too unsure to count: nlp.confidence) do not fail an item; they are listed for a
reviewer instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from nlp.flags import Flag
from nlp.policy import Policy


@dataclass(frozen=True)
class ScoreItemResult:
    id: str
    question: str
    result: str  # pass | fail | na
    weight: float
    auto_fail: bool
    evidence: tuple[dict, ...]

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "question": self.question,
            "result": self.result,
            "weight": self.weight,
            "auto_fail": self.auto_fail,
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class Score:
    value: float | None  # None when no item applies
    items: tuple[ScoreItemResult, ...]

    def to_dict(self) -> dict:
        return {"value": self.value, "items": [i.to_dict() for i in self.items]}


def score_call(flags: list[Flag], has_offers: bool, has_accepted_offers: bool, policy: Policy) -> Score:
    applies = {"all_calls": True, "calls_with_offers": has_offers, "calls_with_accepted_offers": has_accepted_offers}
    results = []
    for item in policy.scorecard:
        if not applies[item.applies_to]:
            results.append(ScoreItemResult(item.id, item.question, "na", item.weight, item.auto_fail, ()))
            continue
        failing = [f for f in flags if f.code in item.fails_on and f.counts]  # needs_review flags wait for a reviewer
        evidence = tuple({"flag": f.code, **e.to_dict()} for f in failing for e in f.evidence)
        results.append(ScoreItemResult(item.id, item.question, "fail" if failing else "pass", item.weight, item.auto_fail, evidence))
    counted = [r for r in results if r.result != "na"]
    if not counted:
        return Score(None, tuple(results))
    if any(r.result == "fail" and r.auto_fail for r in counted):
        return Score(0.0, tuple(results))
    value = 100.0 * sum(r.weight for r in counted if r.result == "pass") / sum(r.weight for r in counted)
    return Score(round(value, 1), tuple(results))
