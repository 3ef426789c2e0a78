from callqa.speech.roles import VoiceGroups, VoiceSplit, assign_by_voices, assign_mono_roles, choose_agent_channel
from nlp.transcript import Segment, Word


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


def _worded(i: int, start: float, text: str) -> Segment:
    words = tuple(Word(w, start + 0.3 * k, start + 0.3 * k + 0.25, 0.9) for k, w in enumerate(text.split()))
    return Segment(f"c-mono-{i:04d}", "unknown", "mono", start, words[-1].end, text, 0.9, words)


def _split(pieces: list[Segment], groups: list[int], similarity: float, coherence: float = 1.0) -> VoiceSplit:
    labels = tuple(g for p, g in zip(pieces, groups) for _ in p.words)
    return VoiceSplit(labels, (0.9,) * len(labels), similarity, 0.4, coherence, 40)


# The caller's file of a real Harper Valley call as tiny.en heard it, split by the voice
# windows into two coherent groups of similar sound (similarity 0.86): one caller, not two people.
CALLER_ALONE = ["Hi, my name is Elizabeth Davis.", "I need to check my account balance.", "My checking account.", "Thank you. That was going to be it."]


def test_caller_alone_split_in_two_by_sound_is_one_voice_the_customer() -> None:
    pieces = [_worded(i, 5.0 * i, t) for i, t in enumerate(CALLER_ALONE)]
    found = assign_by_voices(pieces, _split(pieces, [0, 1, 1, 0], similarity=0.86))
    assert found is not None
    _, roles, _, decision = found
    assert decision.voices == 1 and "one voice" in decision.reason and decision.warnings
    assert set(roles) == {"customer"}
    assert {c.rule for c in decision.evidence} >= {"CU-WANTS-FOR-SELF", "CU-MY-ACCOUNT"}


def test_agent_and_caller_of_similar_sound_stay_two_voices() -> None:
    lines = ["Hello, this is Harper Valley National Bank, how can I help you today?", *CALLER_ALONE[:2], "Which one would you like to check?", CALLER_ALONE[2]]
    pieces = [_worded(i, 5.0 * i, t) for i, t in enumerate(lines)]
    found = assign_by_voices(pieces, _split(pieces, [1, 0, 0, 1, 0], similarity=0.86))
    assert found is not None
    cut, roles, _, decision = found
    assert decision.voices == 2
    assert roles == ["agent", "customer", "customer", "agent", "customer"]


def test_phrase_ends_of_another_sound_are_no_second_voice() -> None:
    """A real agent's file alone as tiny.en heard it: the last word of two phrases fell in a
    group of its own (similarity 0.70, below the line for two voices on the sound alone). No
    one says only a word at a time: one voice, the agent's."""
    lines = ["Hello, this is Harper Valley National Bank.", "My name is Linda.", "How may I help you", "today.",
             "What day would you like for your appointment?", "Thank you for calling.", "Have a great", "day."]
    pieces = [_worded(i, 5.0 * i, t) for i, t in enumerate(lines)]
    groups = [0, 0, 0, 1, 0, 0, 0, 1]
    found = assign_by_voices(pieces, _split(pieces, groups, similarity=0.70))
    assert found is not None
    _, roles, _, decision = found
    assert decision.voices == 1 and "at most 1 word in a row" in decision.reason
    assert set(roles) == {"agent"}
    # the same sound with the second group saying a phrase of its own is two people
    lines[3] = "I'd like to book an appointment."
    pieces = [_worded(i, 5.0 * i, t) for i, t in enumerate(lines)]
    found = assign_by_voices(pieces, _split(pieces, groups, similarity=0.70))
    assert found is not None and found[3].voices == 2
