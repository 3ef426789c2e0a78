"""Transcripts as input: a call scored from a transcript file instead of a recording.

Two formats, told apart by the file name:

- `<call_id>.transcript.json`: {"turns": [{"speaker": "agent"|"customer", "text": "...",
  "start": 1.2, "end": 4.0}, ...], "metadata": {...}}. start/end are optional; when any turn
  lacks them the turns are kept in file order with synthetic times, one second per turn, and
  the record says `asr.transcript_timing: "order_only"`. metadata (optional) has the
  manifest's fields (callqa.metadata).
- `<call_id>.vtt`: WebVTT whose cues carry voice tags (`<v Agent>`, `<v Customer>`); voice
  names map to roles through Settings.agent_names / customer_names.

The result is a CallTranscription like the one from audio (speakers.method "given", segment ids
`<call_id>-given-0001`, no words, confidence 1.0), so the analysis and the record are the same.
A file that cannot be read as a transcript raises AudioError with a stable code: not_json,
no_turns, bad_turn, unknown_speaker, empty_transcript, bad_vtt, bad_metadata.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from callqa.metadata import CallMetadata, MetadataError
from callqa.settings import Settings
from callqa.speech.audio import AudioError, AudioInfo, existing_size, file_sha256
from callqa.speech.roles import SpeakerDecision
from callqa.speech.transcription import CallTranscription
from nlp.transcript import Segment, Transcript

JSON_SUFFIX = ".transcript.json"
VTT_SUFFIX = ".vtt"
CHANNEL = "given"
SYNTHETIC_TURN_S = 1.0
MAX_BYTES = 20 * 1024 * 1024  # a transcript this large is not a call


def is_transcript_input(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(JSON_SUFFIX) or name.endswith(VTT_SUFFIX)


def transcript_call_id(path: Path) -> str:
    """The call id of a transcript file: its name without `.transcript.json` or `.vtt`."""
    name = path.name
    for suffix in (JSON_SUFFIX, VTT_SUFFIX):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def role_of(name: str, settings: Settings) -> str | None:
    """agent | customer for a speaker or voice name, None when it names neither."""
    key = " ".join(name.strip().lower().split())
    first = key.split(" ", 1)[0] if key else ""
    for role, names in (("agent", settings.agent_names), ("customer", settings.customer_names)):
        if key in names or first in names:
            return role
    return None


def _read_text(path: Path) -> str:
    size = existing_size(path)
    if size > MAX_BYTES:
        raise AudioError("too_large", f"{path.name} is {size} bytes; a transcript input is at most {MAX_BYTES}")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        code = "bad_vtt" if path.name.lower().endswith(VTT_SUFFIX) else "not_json"
        raise AudioError(code, f"{path.name} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def given_metadata(path: Path) -> CallMetadata | None:
    """The metadata a .transcript.json carries (None when it has none or cannot be read: the
    transcription step reports what is wrong with the file)."""
    if not path.name.lower().endswith(JSON_SUFFIX):
        return None
    try:
        data = json.loads(_read_text(path))
        meta = data.get("metadata") if isinstance(data, dict) else None
        return CallMetadata.from_dict(meta, f"{path.name}: metadata") if isinstance(meta, dict) else None
    except (AudioError, OSError, ValueError):
        return None


def _number(value: object, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value < 0:
        raise AudioError("bad_turn", f"{where}: must be a number of seconds >= 0, not {value!r}")
    return float(value)


def _turns_from_json(path: Path, settings: Settings) -> list[tuple[str, str, float | None, float | None]]:
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise AudioError("not_json", f"{path.name} is not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    if not isinstance(data, dict):
        raise AudioError("not_json", f"{path.name}: a transcript is a JSON object with \"turns\", not a {type(data).__name__}")
    meta = data.get("metadata")
    if meta is not None:
        if not isinstance(meta, dict):
            raise AudioError("bad_metadata", f"{path.name}: metadata must be an object")
        try:
            CallMetadata.from_dict(meta, f"{path.name}: metadata")
        except MetadataError as exc:
            raise AudioError("bad_metadata", str(exc)) from exc
    turns = data.get("turns")
    if not isinstance(turns, list) or not turns:
        raise AudioError("no_turns", f"{path.name}: \"turns\" must be a non-empty list of {{speaker, text}}")
    out = []
    for i, turn in enumerate(turns, 1):
        where = f"{path.name}: turn {i}"
        if not isinstance(turn, dict):
            raise AudioError("bad_turn", f"{where} is not an object")
        speaker, text = turn.get("speaker"), turn.get("text")
        if not isinstance(text, str):
            raise AudioError("bad_turn", f"{where}: text must be a string")
        role = role_of(speaker, settings) if isinstance(speaker, str) else None
        if role is None:
            raise AudioError("unknown_speaker", f"{where}: speaker {speaker!r} is neither agent nor customer")
        out.append((role, text, _number(turn.get("start"), f"{where}: start"), _number(turn.get("end"), f"{where}: end")))
    return out


CUE_TIME = re.compile(r"^(?:(\d+):)?([0-5]\d):([0-5]\d)[.,](\d{3})$")
VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]*)>", re.I)
TAG = re.compile(r"</?[^>]*>")


def _cue_time(text: str, where: str) -> float:
    m = CUE_TIME.match(text.strip())
    if m is None:
        raise AudioError("bad_vtt", f"{where}: {text.strip()!r} is not a WebVTT time (hh:mm:ss.ttt)")
    hours, minutes, seconds, millis = m.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&nbsp;", " ").replace("&amp;", "&")


def _turns_from_vtt(path: Path, settings: Settings) -> list[tuple[str, str, float | None, float | None]]:
    lines = _read_text(path).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines or not re.match(r"^WEBVTT(?:[ \t].*)?$", lines[0]):
        raise AudioError("bad_vtt", f"{path.name}: a WebVTT file starts with the line WEBVTT")
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines[1:]:
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    out = []
    for block in blocks:
        timing = next((i for i, line in enumerate(block) if "-->" in line), None)
        if timing is None:
            if block[0].startswith(("NOTE", "STYLE", "REGION")):
                continue
            raise AudioError("bad_vtt", f"{path.name}: block {block[0][:40]!r} has no cue timing (start --> end)")
        where = f"{path.name}: cue at {block[timing].strip()[:40]!r}"
        start_text, _, rest = block[timing].partition("-->")
        start = _cue_time(start_text, where)
        end = _cue_time((rest.strip().split() or [""])[0], where)
        if end < start:
            raise AudioError("bad_vtt", f"{where}: ends before it starts")
        payload = " ".join(block[timing + 1:])
        voices = VOICE.findall(payload)
        if not voices:
            raise AudioError("unknown_speaker", f"{where}: no voice tag (<v Agent> or <v Customer>)")
        roles = {role_of(_unescape(v), settings) for v in voices}
        if None in roles or len(roles) != 1:
            raise AudioError("unknown_speaker", f"{where}: voice {', '.join(repr(v.strip()) for v in voices)} is not one agent or customer name")
        text = " ".join(_unescape(TAG.sub(" ", payload)).split())
        out.append((roles.pop(), text, start, end))
    if not out:
        raise AudioError("no_turns", f"{path.name}: no cues")
    return out


def read_transcript(path: Path, settings: Settings, call_id: str | None = None) -> CallTranscription:
    """The transcript file as a CallTranscription; AudioError (with a stable code) when it is not one."""
    started = time.perf_counter()
    call_id = call_id or transcript_call_id(path)
    vtt = path.name.lower().endswith(VTT_SUFFIX)
    turns = _turns_from_vtt(path, settings) if vtt else _turns_from_json(path, settings)
    timed = all(start is not None and end is not None for _, _, start, end in turns)
    segments = []
    for i, (role, text, start, end) in enumerate(turns):
        text = " ".join(text.split())
        if not text:
            continue
        if timed:
            assert start is not None and end is not None
            if end < start:
                raise AudioError("bad_turn", f"{path.name}: turn {i + 1} ends ({end}) before it starts ({start})")
        else:
            start, end = i * SYNTHETIC_TURN_S, (i + 1) * SYNTHETIC_TURN_S
        segments.append((role, text, round(start, 3), round(end, 3)))
    if not segments:
        raise AudioError("empty_transcript", f"{path.name}: every turn is empty")
    if timed:
        segments.sort(key=lambda s: (s[2], s[3]))  # stable: turns at one time keep file order
    transcript = Transcript(call_id, tuple(
        Segment(id=f"{call_id}-{CHANNEL}-{n:04d}", speaker=role, channel=CHANNEL, start=start, end=end, text=text, confidence=1.0)  # type: ignore[arg-type]
        for n, (role, text, start, end) in enumerate(segments, start=1)
    ))
    size = path.stat().st_size
    audio = AudioInfo(path=str(path), sha256=file_sha256(path), size_bytes=size, duration_s=None, sample_rate=None, channels=None, codec=None)
    speakers = SpeakerDecision(method="given", agent_channel=None, confidence=1.0, reason="roles given in the transcript file", evidence=())
    asr = {
        "backend": "transcript",
        "model": "webvtt" if vtt else "transcript.json",
        "model_source": "input file",
        "compute_type": "none",
        "language": None,
        "beam_size": 0,
        "vad": False,
        "settings_key": settings.transcription_key(),
        "transcript_timing": "timed" if timed else "order_only",
    }
    return CallTranscription(
        call_id=call_id,
        audio=audio,
        speakers=speakers,
        transcript=transcript,
        channels=(),
        asr=asr,
        elapsed_s=time.perf_counter() - started,
        source="transcript",
    )
