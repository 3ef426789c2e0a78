"""Who is the agent: from what each side says.

Stereo recorders put one party on each channel but disagree on which; mono recordings mix
both. Agents greet with the company name, offer help and verify the caller; customers say
why they called. The cues and their weights live in rules/speaker_roles.yaml; the matches
are kept as evidence for the record.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Literal

from callqa.speech import SPEECH_RULES
from nlp.phrases import PhraseRule, load_rule_file, normalise, parse_rules, rules_path
from nlp.transcript import Segment
from nlp.vocabulary import Role

# In a pause-split mono call the next turn is usually the other party: the prior that the
# speaker changes at a turn boundary, before any cue is read.
P_SWITCH = 0.7


@dataclass(frozen=True)
class Cue:
    segment_id: str
    role: Role  # the role the cue points to
    rule: str
    weight: float
    quote: str
    start: float
    end: float

    def to_dict(self) -> dict:
        return {
            "segment_id": self.segment_id,
            "points_to": self.role,
            "rule": self.rule,
            "weight": self.weight,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class VoiceGroups:
    """Two unnamed voices in a mono call: which group each piece is in, and how distinct they are."""

    labels: tuple[int | None, ...]  # 0 or 1 per piece; None when a piece is too short to tell
    separation: float  # silhouette score in [-1, 1]


@dataclass(frozen=True)
class SpeakerDecision:
    method: Literal["channel", "text"]
    agent_channel: str | None  # "left" | "right" for stereo, None for mono
    confidence: float
    reason: str
    evidence: tuple[Cue, ...]

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "agent_channel": self.agent_channel,
            "confidence": round(self.confidence, 3),
            "reason": self.reason,
            "evidence": [c.to_dict() for c in self.evidence],
        }


@functools.lru_cache(maxsize=1)
def role_rules() -> dict[Role, tuple[PhraseRule, ...]]:
    path = rules_path("speaker_roles.yaml", SPEECH_RULES)
    data = load_rule_file(path)
    return {"agent": parse_rules(data.get("agent"), f"{path}:agent"), "customer": parse_rules(data.get("customer"), f"{path}:customer")}


def cues_in(segment: Segment) -> list[Cue]:
    """Every role cue the segment's text carries (each rule counted once per segment)."""
    text = normalise(segment.text)
    found: list[Cue] = []
    for role, rules in role_rules().items():
        for rule in rules:
            if rule.within_first_s is not None and segment.start > rule.within_first_s:
                continue
            phrase = rule.match(text)
            if phrase is not None:
                found.append(Cue(segment.id, role, rule.id, rule.weight, segment.text, segment.start, segment.end))
    return found


def agent_score(cues: list[Cue]) -> float:
    return sum(c.weight if c.role == "agent" else -c.weight for c in cues)


def _confidence(margin: float) -> float:
    """0.5 when the cues say nothing, approaching 1 as the weight of evidence grows."""
    return 0.5 + 0.5 * math.tanh(abs(margin) / 4.0)


def choose_agent_channel(left: list[Segment], right: list[Segment], forced: str = "auto") -> SpeakerDecision:
    left_cues = [c for s in left for c in cues_in(s)]
    right_cues = [c for s in right for c in cues_in(s)]
    evidence = tuple(sorted(left_cues + right_cues, key=lambda c: c.start))
    if forced in ("left", "right"):
        return SpeakerDecision("channel", forced, 1.0, f"agent channel set to {forced} in the settings", evidence)
    margin = agent_score(left_cues) - agent_score(right_cues)
    if margin == 0:
        return SpeakerDecision(
            "channel", "left", 0.5, "the text gives no agent cues either way: fell back to left", evidence
        )
    channel = "left" if margin > 0 else "right"
    return SpeakerDecision(
        "channel",
        channel,
        _confidence(margin),
        f"{channel} channel reads like the agent (cue weight margin {abs(margin):g})",
        evidence,
    )


# Cosine silhouette of the voice encoder's groups: two real speakers measured 0.56-0.76 on the
# labelled calls, one speaker's pieces forced into two groups 0.21-0.23.
SINGLE_VOICE_SEPARATION = 0.25
FULL_WEIGHT_SEPARATION = 0.5


def _voice_weight(separation: float) -> float:
    """How much a voice group counts against text cues: nothing for indistinct voices."""
    share = (separation - SINGLE_VOICE_SEPARATION) / (FULL_WEIGHT_SEPARATION - SINGLE_VOICE_SEPARATION)
    return 3.0 * min(1.0, max(0.0, share))


def assign_mono_roles(segments: list[Segment], voices: VoiceGroups | None = None) -> tuple[list[Role], SpeakerDecision]:
    """Roles for the pieces of a mono call, from text cues, voice groups and turn-taking.

    A two-state Viterbi pass. A piece's emission score adds its text cues and, when two voices
    could be told apart, which voice group it is in (the group whose pieces say more agent
    things is the agent). Between pieces the speaker changes with probability P_SWITCH
    (lower when voices carry the evidence, since pieces are then sentences, not turns). The
    first piece leans agent, since agents open inbound calls.
    """
    if not segments:
        return [], SpeakerDecision("text", None, 0.0, "no speech", ())
    roles: tuple[Role, Role] = ("agent", "customer")
    per_segment = [cues_in(s) for s in segments]
    voice_weight = _voice_weight(voices.separation) if voices else 0.0
    agent_group = 0
    if voices and voice_weight > 0:
        by_group = [sum(agent_score(c) for c, g in zip(per_segment, voices.labels) if g == group) for group in (0, 1)]
        first = next((g for g in voices.labels if g is not None), 0)
        agent_group = 0 if by_group[0] > by_group[1] else 1 if by_group[1] > by_group[0] else first

    def emission(i: int, role: Role) -> float:
        score = agent_score(per_segment[i]) + (1.0 if i == 0 else 0.0)
        if voices and voice_weight > 0 and voices.labels[i] is not None:
            score += voice_weight if voices.labels[i] == agent_group else -voice_weight
        p_agent = 1 / (1 + math.exp(-score))
        return math.log(p_agent if role == "agent" else 1 - p_agent)

    p_switch = 0.5 if voice_weight > 0 else P_SWITCH
    log_switch, log_stay = math.log(p_switch), math.log(1 - p_switch)
    best = [{r: emission(0, r) for r in roles}]
    back: list[dict[Role, Role]] = []
    for i in range(1, len(segments)):
        row: dict[Role, float] = {}
        ptr: dict[Role, Role] = {}
        for r in roles:
            prev = max(roles, key=lambda p: best[-1][p] + (log_stay if p == r else log_switch))
            row[r] = best[-1][prev] + (log_stay if prev == r else log_switch) + emission(i, r)
            ptr[r] = prev
        best.append(row)
        back.append(ptr)
    last: Role = max(roles, key=lambda r: best[-1][r])
    path: list[Role] = [last]
    for ptr in reversed(back):
        path.append(ptr[path[-1]])
    path.reverse()

    evidence = tuple(c for cues in per_segment for c in cues)
    agree = sum(c.weight for i, cues in enumerate(per_segment) for c in cues if c.role == path[i])
    total = sum(c.weight for c in evidence)
    cue_turns = sum(1 for c in per_segment if c)
    if total == 0:
        confidence, reason = 0.3, "no role cues in the text: roles follow turn-taking from an agent greeting"
    else:
        # Cue agreement, discounted when few pieces carry cues and no voice evidence fills the gaps.
        coverage = min(1.0, 0.5 + cue_turns / len(segments) + voice_weight / 3.0)
        confidence = (agree / total) * coverage
        reason = f"roles from text cues on {cue_turns} of {len(segments)} pieces"
    if voices is not None:
        reason += f"; two voices told apart (separation {voices.separation:.2f}), named by their cues"
    elif total:
        reason += ", turn-taking between"
    return path, SpeakerDecision("text", None, confidence, reason, evidence)
