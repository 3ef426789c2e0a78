"""Which audio files the review app may serve: only files under the recordings roots.

The client never names a path: it asks for a call's audio and the path comes from the store.
The path is still resolved (symlinks and '..' followed) and checked against the roots, so a
record naming /etc/passwd, or a symlink out of a root, is refused. The default roots are the
folders the records name (the folder resolved, never the file: a `passwd.wav` symlink to
/etc/passwd must not make /etc a root).

Only audio is served, and its media type comes from the file's own first bytes (its container
signature), never from the name: a record pointing at page.html or image.svg renamed .wav gets
415, not a page the browser would render in the app's origin.
"""

from __future__ import annotations

import os
from pathlib import Path


class AudioRefused(Exception):
    """The call's audio is outside every recordings root, or missing."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def default_roots(audio_paths: list[str]) -> list[Path]:
    """The folders the records' audio lives in: what `callqa serve` serves without --recordings-root.
    The folder named in the record, resolved; not the folder a symlinked file points into."""
    return sorted({Path(os.path.abspath(p)).parent.resolve() for p in audio_paths if p})


def resolve_audio(path: str | None, roots: list[Path]) -> Path:
    """The file to serve. `roots` are already resolved (create_app and default_roots do it once):
    this runs on every range request of a player, and the default roots may be many folders."""
    if not path:
        raise AudioRefused(404, "this call has no audio path")
    resolved = Path(path).resolve()
    if not any(resolved.is_relative_to(root) for root in roots):
        raise AudioRefused(403, "the recording is outside the configured recordings roots")
    if not resolved.is_file():
        raise AudioRefused(404, "the recording is not on disk")
    return resolved


REDACTED_AUDIO_DIR = "redacted-audio"  # as callqa.retention and callqa.speech.privacy write it


def redacted_copy(record_path: str | None, call_id: str) -> Path | None:
    """The --redact-audio copy of a call (`<out>/redacted-audio/<call_id>.wav`, beside the
    `<out>/records` folder the store names), or None. Served instead of the original recording."""
    if not record_path:
        return None
    folder = (Path(record_path).parent.parent / REDACTED_AUDIO_DIR).resolve()
    candidate = (folder / f"{call_id}.wav").resolve()
    if candidate.parent != folder or not candidate.is_file():
        return None  # never a name that walks out of the folder, nor a link out of it
    return candidate


def sniff_audio(head: bytes) -> str | None:
    """The audio media type of a file from its first bytes, or None when it is not audio that
    callqa decodes (wav, flac, ogg/opus, mp3, mp4/m4a, webm)."""
    if head[:4] in (b"RIFF", b"RIFX", b"RF64") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:4] == b"fLaC":
        return "audio/flac"
    if head[:4] == b"OggS":
        return "audio/ogg"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0 and (head[1] & 0x06) != 0):
        return "audio/mpeg"  # ID3 tag, or an MPEG audio frame sync with a valid layer
    if head[4:8] == b"ftyp" and head[8:12] in (b"M4A ", b"M4B ", b"mp42", b"isom", b"dash", b"mp41"):
        return "audio/mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3" and b"webm" in head[:64]:
        return "audio/webm"
    return None


def media_type(path: Path) -> str:
    """The audio media type of `path`, from its content; AudioRefused(415) when not audio."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise AudioRefused(404, "the recording cannot be read") from exc
    kind = sniff_audio(head)
    if kind is None:
        raise AudioRefused(415, "the recording is not an audio file callqa can play")
    return kind
