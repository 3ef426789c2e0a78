"""The real bank calls' human transcripts (../shared/data/real_calls, service calls with no sale)
read as calls: no offer and no flag may be found on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from callqa.eval.styles import real_call_controls
from nlp.analyse import AnalysisSettings, analyse
from nlp.contract import dump
from nlp.policy import load_policy

REAL_CALLS = Path(__file__).resolve().parents[2] / "shared" / "data" / "real_calls"
pytestmark = pytest.mark.slow  # loads spaCy, the embeddings and the turn-act model


def _controls():
    if not (REAL_CALLS / "hvb_src").is_dir():
        pytest.skip("../shared/data/real_calls is not beside the checkout")
    return real_call_controls(REAL_CALLS)


def test_the_real_calls_are_read_whole() -> None:
    calls = _controls()
    assert len(calls) == 3 and all(len(c.segments) > 10 for c in calls)
    assert {s.speaker for c in calls for s in c.segments} == {"agent", "customer"}


def test_no_flag_on_the_real_service_calls() -> None:
    settings = AnalysisSettings(load_policy())
    for transcript in _controls():
        result = analyse(transcript, settings)
        assert [f.code for f in result.flags if f.status == "raised"] == [], (transcript.call_id, dump(result.flags))
