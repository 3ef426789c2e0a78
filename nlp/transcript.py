"""The time-aligned transcript every analysis stage reads.

Frozen dataclasses: stages read a transcript and return findings; nothing edits it in place.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from nlp.vocabulary import SPEAKERS, Speaker



@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    prob: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Segment:
    id: str  # "<call_id>-<channel>-<nnnn>", stable across reruns of the same audio and settings
    speaker: Speaker
    channel: str  # "left", "right" or "mono"
    start: float
    end: float
    text: str
    confidence: float  # mean word probability
    words: tuple[Word, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.speaker not in SPEAKERS:
            raise ValueError(f"segment {self.id}: speaker must be one of {SPEAKERS}, not {self.speaker!r}")
        if self.end < self.start:
            raise ValueError(f"segment {self.id}: end {self.end} is before start {self.start}")

    @property
    def duration(self) -> float:
        return self.end - self.start

    def with_speaker(self, speaker: Speaker) -> Segment:
        return replace(self, speaker=speaker)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "speaker": self.speaker,
            "channel": self.channel,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "confidence": self.confidence,
            "words": [w.to_dict() for w in self.words],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Segment:
        return cls(
            id=data["id"],
            speaker=data["speaker"],
            channel=data.get("channel", "mono"),
            start=float(data["start"]),
            end=float(data["end"]),
            text=data["text"],
            confidence=float(data.get("confidence", 0.0)),
            words=tuple(Word(w["text"], float(w["start"]), float(w["end"]), float(w["prob"])) for w in data.get("words", [])),
        )


@dataclass(frozen=True)
class Transcript:
    call_id: str
    segments: tuple[Segment, ...]

    @classmethod
    def merged(cls, call_id: str, segments: list[Segment]) -> Transcript:
        """Both channels in one conversation order: by start time, then end, then id for stability."""
        return cls(call_id, tuple(sorted(segments, key=lambda s: (s.start, s.end, s.id))))

    @property
    def text(self) -> str:
        return "\n".join(s.text for s in self.segments)

    def to_list(self) -> list[dict]:
        return [s.to_dict() for s in self.segments]

    @classmethod
    def from_list(cls, call_id: str, data: list[dict]) -> Transcript:
        return cls(call_id, tuple(Segment.from_dict(d) for d in data))
