"""Each rule file carries its own pass/fail examples; these tests run them."""

import pytest

from callqa.speech.guard import why_drop
from callqa.settings import Settings
from nlp.phrases import PhraseRule, RuleFileError, load_rule_file, normalise, parse_rules, rules_path
from callqa.speech.roles import agent_score, cues_in
from nlp.transcript import Segment

HALLUCINATIONS = load_rule_file(rules_path("asr_hallucinations.yaml", "callqa.speech"))
ROLES = load_rule_file(rules_path("speaker_roles.yaml", "callqa.speech"))
SETTINGS = Settings()


def _segment(text: str, start: float = 1.0) -> Segment:
    return Segment(id="t-mono-0001", speaker="unknown", channel="mono", start=start, end=start + 2, text=text, confidence=0.9)


@pytest.mark.parametrize("text, energy, prob", HALLUCINATIONS["examples"]["drop"])
def test_phantom_phrases_over_silence_are_dropped(text: str, energy: float, prob: float) -> None:
    verdict = why_drop(text, energy, prob, -0.5, 0.1, 1.2, SETTINGS)
    assert verdict is not None


@pytest.mark.parametrize("text, energy, prob", HALLUCINATIONS["examples"]["keep"])
def test_real_speech_is_kept(text: str, energy: float, prob: float) -> None:
    assert why_drop(text, energy, prob, -0.5, 0.1, 1.2, SETTINGS) is None


def test_guard_reasons() -> None:
    assert why_drop("hello there", 0.9, 0.9, -1.5, 0.9, 1.2, SETTINGS)[0] == "no_speech"
    assert why_drop("yes yes yes yes yes yes", 0.9, 0.9, -0.2, 0.0, 1.2, SETTINGS)[0] == "repetition"
    assert why_drop("a long sentence", 0.9, 0.9, -0.2, 0.0, 3.1, SETTINGS)[0] == "repetition"
    assert why_drop("my card was charged twice", 0.05, 0.9, -0.2, 0.0, 1.2, SETTINGS)[0] == "silence"
    assert why_drop("Thanks for watching!", 0.1, 0.4, -0.5, 0.1, 1.2, SETTINGS)[1] == "HAL-WATCHING"


@pytest.mark.parametrize("text", ROLES["examples"]["agent"])
def test_agent_examples_point_to_agent(text: str) -> None:
    assert agent_score(cues_in(_segment(text))) > 0


@pytest.mark.parametrize("text", ROLES["examples"]["customer"])
def test_customer_examples_point_to_customer(text: str) -> None:
    assert agent_score(cues_in(_segment(text))) < 0


@pytest.mark.parametrize("text", ROLES["examples"]["neither"])
def test_neutral_examples_carry_no_cue(text: str) -> None:
    assert cues_in(_segment(text)) == []


def test_cue_window_limits_rules_to_the_start_of_the_call() -> None:
    assert any(c.rule == "AG-SPEAKING-WITH" for c in cues_in(_segment("this is Dana from Northwind", start=3.0)))
    assert not any(c.rule == "AG-SPEAKING-WITH" for c in cues_in(_segment("this is Dana from Northwind", start=200.0)))


def test_fuzzy_match_tolerates_asr_variants_but_short_phrases_match_exactly() -> None:
    rule = PhraseRule("X", (normalise("thank you for calling"),))
    assert rule.match(normalise("Thank you for callin' Northwind.")) is not None
    short = PhraseRule("Y", ("this is",))
    assert short.match("this is dana") is not None
    assert short.match("thesis is done") is None
    # A text shorter than the phrase is not a match, however well it aligns inside it.
    assert PhraseRule("Z", (normalise("please subscribe"),)).match("please") is None


@pytest.mark.parametrize(
    "entries, message",
    [("nope", "list"), ([{"id": "A"}], "phrases"), ([{"id": "A", "phrases": ["x"]}, {"id": "A", "phrases": ["y"]}], "duplicate")],
)
def test_malformed_rule_files_fail_clearly(entries: object, message: str) -> None:
    with pytest.raises(RuleFileError, match=message):
        parse_rules(entries, "test.yaml")
