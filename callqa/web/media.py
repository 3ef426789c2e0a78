"""Which audio files the review app may serve: only files under the recordings roots.

The client never names a path: it asks for a call's audio and the path comes from the store.
The path is still resolved (symlinks and '..' followed) and checked against the roots, so a
record naming /etc/passwd, or a symlink out of a root, is refused.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

AUDIO_TYPES = {
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/ogg",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".webm": "audio/webm",
}


class AudioRefused(Exception):
    """The call's audio is outside every recordings root, or missing."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def default_roots(audio_paths: list[str]) -> list[Path]:
    """The folders the records' audio lives in: what `callqa serve` serves without --recordings-root."""
    return sorted({Path(p).resolve().parent for p in audio_paths if p})


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


def media_type(path: Path) -> str:
    return AUDIO_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
