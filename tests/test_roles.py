from callqa.speech.roles import VoiceGroups, assign_mono_roles, choose_agent_channel
from nlp.transcript import Segment


def _seg(i: int, channel: str, start: float, text: str) -> Segment:
    return Segment(f"c-{channel}-{i:04d}", "unknown", channel, start, start + 2.0, text, 0.9)


AGENT_LINES = ["Thank you for calling Brightwave Energy, this is Sam, how can I help?", "Can you confirm your date of birth?", "Is there anything else I can help with today?"]
CUSTOMER_LINES = ["Hi, I'm calling about my bill, it went up.", "Sure, it's the fourth of May.", "No, that's all, thanks."]


def test_agent_channel_found_on_either_side() -> None:
    agent = [_seg(i, "left", 10.0 * i, t) for i, t in enumerate(AGENT_LINES)]
    customer = [_seg(i, "right", 10.0 * i + 4, t) for i, t in enumerate(CUSTOMER_LINES)]
    left_agent = choose_agent_channel(agent, customer)
    assert left_agent.agent_channel == "left" and left_agent.confidence > 0.8
    swapped = choose_agent_channel(
        [_seg(i, "left", s.start, s.text) for i, s in enumerate(customer)], [_seg(i, "right", s.start, s.text) for i, s in enumerate(agent)]
    )
    assert swapped.agent_channel == "right" and swapped.confidence > 0.8
    assert {c.rule for c in swapped.evidence} >= {"AG-THANKS-FOR-CALLING", "CU-CALLING-ABOUT"}


def test_no_cues_falls_back_to_left_with_low_confidence() -> None:
    decision = choose_agent_channel([_seg(0, "left", 0, "okay")], [_seg(0, "right", 1, "right")])
    assert decision.agent_channel == "left" and decision.confidence == 0.5
    assert "fell back" in decision.reason


def test_forced_channel_wins() -> None:
    decision = choose_agent_channel([_seg(0, "left", 0, AGENT_LINES[0])], [_seg(0, "right", 3, CUSTOMER_LINES[0])], forced="right")
    assert decision.agent_channel == "right" and decision.confidence == 1.0


def test_mono_roles_follow_cues_and_turn_taking() -> None:
    lines = [AGENT_LINES[0], CUSTOMER_LINES[0], "Let me pull up your account.", "Okay.", AGENT_LINES[2], CUSTOMER_LINES[2]]
    roles, decision = assign_mono_roles([_seg(i, "mono", 5.0 * i, t) for i, t in enumerate(lines)])
    assert roles == ["agent", "customer", "agent", "customer", "agent", "customer"]
    assert decision.method == "text" and decision.confidence > 0.6


def test_mono_call_opened_by_the_customer() -> None:
    lines = ["Hi, I'm calling about my bill.", "Thank you for calling Brightwave, how can I help?", "Yeah it doubled."]
    roles, _ = assign_mono_roles([_seg(i, "mono", 5.0 * i, t) for i, t in enumerate(lines)])
    assert roles == ["customer", "agent", "customer"]


def test_voice_groups_place_pieces_the_text_cannot() -> None:
    """Two agent sentences in a row: turn-taking alone would alternate, the voices say otherwise."""
    lines = [AGENT_LINES[0], "Our fibre plan is faster.", "It costs ten more a month.", CUSTOMER_LINES[0], "Okay.", "Sounds good."]
    pieces = [_seg(i, "mono", 3.0 * i, t) for i, t in enumerate(lines)]
    voices = VoiceGroups((1, 1, 1, 0, 0, 0), separation=0.5)
    roles, decision = assign_mono_roles(pieces, voices)
    assert roles == ["agent", "agent", "agent", "customer", "customer", "customer"]
    assert "two voices" in decision.reason
    # Indistinct voices (separation near 0) carry no weight: back to cues and turn-taking.
    roles_flat, _ = assign_mono_roles(pieces, VoiceGroups((1, 1, 1, 0, 0, 0), separation=0.0))
    assert roles_flat != roles
