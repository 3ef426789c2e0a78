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

from nlp.phrases import PhraseRule, load_rule_file, normalise, parse_rules, rules_path
from nlp.transcript import Segment

Role = Literal["agent", "customer"]
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
    path = rules_path("speaker_roles.yaml")
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


def assign_mono_roles(segments: list[Segment]) -> tuple[list[Role], SpeakerDecision]:
    """Roles for the turns of a mono call: cues where they exist, turn-taking between them.

    A two-state Viterbi pass: each turn's cues give its emission score, and the speaker
    changes at a turn boundary with probability P_SWITCH. The first turn leans agent,
    since agents open inbound calls.
    """
    if not segments:
        return [], SpeakerDecision("text", None, 0.0, "no speech", ())
    roles: tuple[Role, Role] = ("agent", "customer")
    per_segment = [cues_in(s) for s in segments]

    def emission(i: int, role: Role) -> float:
        score = agent_score(per_segment[i]) + (1.0 if i == 0 else 0.0)
        p_agent = 1 / (1 + math.exp(-score))
        return math.log(p_agent if role == "agent" else 1 - p_agent)

    log_switch, log_stay = math.log(P_SWITCH), math.log(1 - P_SWITCH)
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
    if total == 0:
        confidence, reason = 0.3, "no role cues in the text: roles follow turn-taking from an agent greeting"
    else:
        # Cue agreement, discounted when few turns carry cues at all.
        cue_share = sum(1 for cues in per_segment if cues) / len(segments)
        confidence = (agree / total) * min(1.0, 0.5 + cue_share)
        reason = f"roles from text cues on {sum(1 for c in per_segment if c)} of {len(segments)} turns, turn-taking between"
    return path, SpeakerDecision("text", None, confidence, reason, evidence)
