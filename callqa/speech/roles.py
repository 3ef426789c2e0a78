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
class VoiceSplit:
    """Which of two unnamed voices said each word of a mono call (callqa.speech.voices)."""

    labels: tuple[int, ...]  # 0 or 1 per word, in time order
    posterior: tuple[float, ...]  # per word: probability of its label
    similarity: float  # cosine similarity of the two voices' centroids (1.0: the same voice)
    minor_share: float  # the smaller group's share of windows
    coherence: float  # how often neighbouring windows of one stretch of speech share a group
    windows: int


@dataclass(frozen=True)
class SpeakerDecision:
    method: Literal["channel", "text", "voice", "given"]
    agent_channel: str | None  # "left" | "right" for stereo, None for mono
    confidence: float
    reason: str
    evidence: tuple[Cue, ...]
    voices: int | None = None  # mono: how many voices were heard (None: not told)
    segment_confidence: dict[str, float] | None = None  # mono: segment id -> confidence in its speaker
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        out = {
            "method": self.method,
            "agent_channel": self.agent_channel,
            "confidence": round(self.confidence, 3),
            "reason": self.reason,
            "evidence": [c.to_dict() for c in self.evidence],
        }
        if self.voices is not None:
            out["voices"] = self.voices
        if self.segment_confidence is not None:
            out["segment_confidence"] = {k: round(v, 3) for k, v in self.segment_confidence.items()}
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


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


# One voice or two, from the voice windows of a mono call (callqa.speech.voices.separate_voices).
# Measured on 3 real Harper Valley calls (each party's file alone, and the two mixed) and the 24
# bundled synthetic calls: two distinct voices have centroids below ~0.76 cosine similarity on
# the synthetic calls but up to 0.86 on real ones, where one real voice alone also reaches
# 0.75-0.94; what tells them apart there is that two people's windows stay in their group
# through a stretch of speech (coherence 1.0 on the real mixes, >= 0.85 on the synthetic ones)
# while one voice split in two flips between groups (0.43-0.67), and that the two groups' text
# points to different roles.
DISTINCT_VOICES = 0.76  # below: two voices on the sound alone
SAME_VOICE = 0.88  # at or above: one voice on the sound alone
MIN_SIDE_WEIGHT = 3.0
MIN_COHERENCE = 0.8
MIN_MINOR_SHARE = 0.05
# A second voice says something: some run of at least this many words in a row. On a real
# agent's file alone (Harper Valley 010eaccb, faster-whisper tiny.en on an AMD host) the
# "second voice" was the last word of two phrases ("...help me | today.", "Have a great | day."),
# their falling pitch far enough from the rest (similarity 0.70) to pass for another person;
# every real caller in the mono mixes says several words in a row.
MIN_MINOR_RUN = 3


def _as_segment(piece: Segment, words: list, number: int) -> Segment:
    text = " ".join(w.text for w in words if w.text).strip()
    return Segment(
        id=f"{piece.id}.{number}",
        speaker=piece.speaker,
        channel=piece.channel,
        start=words[0].start,
        end=words[-1].end,
        text=text,
        confidence=round(sum(w.prob for w in words) / len(words), 3),
        words=tuple(words),
    )


def split_at_voice_changes(pieces: list[Segment], split: VoiceSplit) -> tuple[list[Segment], list[int], list[float]]:
    """Pieces cut wherever the voice of consecutive words changes: (pieces, voice group per
    piece, mean word posterior per piece). Pieces without words keep their own group."""
    out: list[Segment] = []
    groups: list[int] = []
    conf: list[float] = []
    k = 0
    for piece in pieces:
        if not piece.words:
            out.append(piece)
            groups.append(split.labels[k - 1] if k else 0)
            conf.append(0.5)
            continue
        run: list = []
        run_post: list[float] = []
        number = 1
        for w in piece.words:
            label = split.labels[k]
            if run and label != run_label:
                out.append(_as_segment(piece, run, number))
                groups.append(run_label)
                conf.append(sum(run_post) / len(run_post))
                run, run_post, number = [], [], number + 1
            if not run:
                run_label = label
            run.append(w)
            run_post.append(split.posterior[k])
            k += 1
        out.append(_as_segment(piece, run, number))
        groups.append(run_label)
        conf.append(sum(run_post) / len(run_post))
    return out, groups, conf


def _longest_run(labels: tuple[int, ...], minor: int) -> int:
    """The most words in a row given to the group `minor`."""
    longest = run = 0
    for label in labels:
        run = run + 1 if label == minor else 0
        longest = max(longest, run)
    return longest


def assign_by_voices(pieces: list[Segment], split: VoiceSplit) -> tuple[list[Segment], list[Role], list[float], SpeakerDecision] | None:
    """Roles for a mono call from who spoke each word: the pieces cut where the voice changes,
    each voice named by what it says. One voice heard: every word to the party its text
    supports, with a warning. None when the voices are neither clearly one nor clearly two
    (the caller falls back to cues and turn-taking)."""
    cut, groups, conf = split_at_voice_changes(pieces, split)
    cues = [cues_in(p) for p in cut]
    evidence = tuple(c for found in cues for c in found)
    by_group = [sum(agent_score(c) for c, g in zip(cues, groups) if g == group) for group in (0, 1)]
    minor_run = _longest_run(split.labels, minor=int(sum(split.labels) * 2 < len(split.labels)))
    sound = (
        f"voice similarity {split.similarity:.2f}, coherence {split.coherence:.2f}, {split.windows} windows, "
        f"agent cue weight per group {by_group[0]:g}/{by_group[1]:g}, at most {minor_run} word{'s' if minor_run != 1 else ''} in a row from the smaller"
    )
    # Both groups saying the same party's things is one party, split by what was said.
    # (a lone weak cue, such as a customer's "thank you for your help", is not a side).
    same_side = min(abs(by_group[0]), abs(by_group[1])) >= MIN_SIDE_WEIGHT and (by_group[0] > 0) == (by_group[1] > 0)
    # A service call's two voices include the agent, and agents say agent things (greet, offer
    # help, close). Groups of which neither reads like the agent while one reads like the
    # customer are one caller split by what they said: the callers' files alone (3 real Harper
    # Valley calls) split into two coherent groups on 2 of 3, with customer cues only.
    no_agent = max(by_group) <= 0 and min(by_group) < 0
    if split.similarity >= SAME_VOICE or split.minor_share < MIN_MINOR_SHARE or minor_run < MIN_MINOR_RUN:
        one = True
    elif split.similarity < DISTINCT_VOICES:
        one = False
    else:  # the sound alone cannot tell: two voices must take turns and say different things
        one = split.coherence < MIN_COHERENCE or same_side or no_agent
    if one:
        margin = sum(by_group)
        role: Role = "customer" if margin < 0 else "agent"
        confidence = _confidence(margin) if margin else 0.5
        why = f"its text supports the {role} (cue weight margin {abs(margin):g})" if margin else "no role cues: taken as the agent"
        reason = f"one voice heard ({sound}): every word given to the {role}; {why}"
        warning = f"only one voice was heard in this mono recording: every word is given to the {role}"
        roles: list[Role] = [role] * len(pieces)
        return list(pieces), roles, [1.0] * len(pieces), SpeakerDecision(
            "voice", None, confidence, reason, evidence, voices=1, warnings=(warning,)
        )
    margin = by_group[0] - by_group[1]
    if margin == 0:
        agent_group = groups[0]  # agents open inbound calls
        naming = "no role cues tell the voices apart: the first to speak taken as the agent"
        name_conf = 0.5
    else:
        agent_group = 0 if margin > 0 else 1
        naming = f"the voices named by their text (cue weight margin {abs(margin):g})"
        name_conf = _confidence(margin)
    roles = ["agent" if g == agent_group else "customer" for g in groups]
    words = sum(len(p.words) for p in cut) or 1
    mean_post = sum(c * len(p.words) for c, p in zip(conf, cut)) / words
    reason = f"two voices told apart word by word ({sound}), cut where the voice changes; {naming}"
    return cut, roles, conf, SpeakerDecision("voice", None, name_conf * mean_post, reason, evidence, voices=2)
