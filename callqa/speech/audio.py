"""Audio in: probe, hash and decode a recording into 16 kHz float32 channels.

Decoding and resampling are PyAV's (FFmpeg), through the same frame pipeline as
faster-whisper's decode_audio, so every container and codec FFmpeg reads works (wav, flac, mp3,
ogg, 8-48 kHz). Unlike decode_audio, the audio comes out in blocks (decode_blocks): a two-hour
recording is never held whole (it would be 0.9 GB of float32 for a stereo file, plus the int16
buffer it is built from). Failures become AudioError with a stable code that ends up in the
call's failed record.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import av
import numpy as np

# faster-whisper's own frame helpers (skip undecodable frames, group small frames before
# resampling), so the samples are the ones decode_audio gives, byte for byte.
from faster_whisper.audio import _group_frames, _ignore_invalid_frames, _resample_frames

SAMPLE_RATE = 16000
AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".wma", ".au", ".aiff", ".aif")
MIN_DURATION_S = 0.5
# Long recordings are decoded, VAD-ed and transcribed five minutes at a time: calls shorter
# than that are one block, exactly as if decoded whole.
BLOCK_S = 300.0
DECODE_ERRORS = (av.error.FFmpegError, OSError, ValueError, RuntimeError)


class AudioError(Exception):
    """A recording that cannot be used; `code` goes into the failed record."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple:
        # Raised in worker processes and re-raised in the flow: pickle both fields.
        return (AudioError, (self.code, self.message))


@dataclass(frozen=True)
class AudioInfo:
    """A recording's facts; a transcript input has only path, sha256 and size (the rest None)."""

    path: str
    sha256: str
    size_bytes: int
    duration_s: float | None
    sample_rate: int | None
    channels: int | None
    codec: str | None

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "duration_s": round(self.duration_s, 3) if self.duration_s is not None else None,
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "codec": self.codec,
        }


@dataclass(frozen=True)
class CallAudio:
    info: AudioInfo
    # 16 kHz mono float32 per channel: ("left", "right") for stereo, ("mono",) otherwise
    channel_names: tuple[str, ...]
    samples: tuple[np.ndarray, ...]


def file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return printable / len(text) > 0.95


def existing_size(path: Path) -> int:
    """The size of an input file that exists and is not empty; AudioError (file_not_found,
    empty_file) otherwise. Audio and transcript inputs fail these two ways alike."""
    if not path.is_file():
        raise AudioError("file_not_found", f"{path} does not exist or is not a file")
    size = path.stat().st_size
    if size == 0:
        raise AudioError("empty_file", f"{path.name} is empty (0 bytes)")
    return size


def probe(path: Path) -> AudioInfo:
    """Container facts without decoding; raises AudioError for files that are not audio."""
    size = existing_size(path)
    sha = file_sha256(path)
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            streams = container.streams.audio
            if not streams:
                raise AudioError("no_audio_stream", f"{path.name} has no audio stream")
            stream = streams[0]
            duration = _duration_s(container, stream)
            return AudioInfo(
                path=str(path),
                sha256=sha,
                size_bytes=size,
                duration_s=duration,
                sample_rate=int(stream.rate or stream.codec_context.sample_rate or 0),
                channels=int(stream.codec_context.channels or 0),
                codec=stream.codec_context.name,
            )
    except AudioError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        with path.open("rb") as fh:
            head = fh.read(512)
        if _looks_like_text(head):
            raise AudioError("not_audio", f"{path.name} holds text, not audio") from exc
        raise AudioError("unreadable_audio", f"{path.name} is not a readable audio file ({exc})") from exc


def _duration_s(container: av.container.InputContainer, stream: av.audio.stream.AudioStream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0


def decode_blocks(path: Path, stereo: bool, block_s: float = BLOCK_S) -> Iterator[np.ndarray]:
    """16 kHz float32 audio as (channels, samples) blocks of block_s seconds (the last one
    shorter), from one streaming pass of decoding and resampling. Raises AudioError
    (decode_error) when FFmpeg fails part way."""
    channels = 2 if stereo else 1
    block = int(block_s * SAMPLE_RATE)
    resampler = av.audio.resampler.AudioResampler(format="s16", layout="stereo" if stereo else "mono", rate=SAMPLE_RATE)
    pending: list[np.ndarray] = []
    held = 0
    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            frames = _resample_frames(_group_frames(_ignore_invalid_frames(container.decode(audio=0)), 500000), resampler)
            for frame in frames:
                samples = frame.to_ndarray().reshape(-1, channels).T  # packed s16: (1, n*channels) -> (channels, n)
                pending.append(samples)
                held += samples.shape[1]
                while held >= block:
                    joined = np.concatenate(pending, axis=1)
                    yield _to_float(joined[:, :block])
                    pending, held = [joined[:, block:]], held - block
    except DECODE_ERRORS as exc:
        raise AudioError("decode_error", f"{path.name} could not be decoded: {exc}") from exc
    finally:
        # PyAV's resampler holds buffers in reference cycles (faster-whisper issue 390).
        # decode_audio runs a full gc.collect() per file, which costs 0.3 s in a worker holding
        # spaCy and torch objects; the cycles are young, so the youngest generations suffice.
        del resampler
        gc.collect(1)
    if held:
        yield _to_float(np.concatenate(pending, axis=1))


def _to_float(samples: np.ndarray) -> np.ndarray:
    return samples.astype(np.float32) / 32768.0


def check_decoded(path: Path, info: AudioInfo, decoded_s: float) -> None:
    """Raise for a recording too short to use, or one most of which could not be decoded."""
    if decoded_s < MIN_DURATION_S:
        raise AudioError("too_short", f"{path.name} holds {decoded_s:.2f} s of audio, less than {MIN_DURATION_S} s")
    if info.duration_s and decoded_s < 0.5 * info.duration_s:
        # FFmpeg skips corrupt packets with a warning; losing most of the call must not pass silently.
        raise AudioError(
            "decode_error",
            f"{path.name}: only {decoded_s:.1f} s of {info.duration_s:.1f} s could be decoded (corrupt file?)",
        )


def load_call_audio(path: Path) -> CallAudio:
    """Decode a whole recording to 16 kHz; stereo stays two channels (one per party).
    For a short recording; callqa.speech.transcription streams long ones block by block."""
    info = probe(path)
    stereo = info.channels == 2
    blocks = list(decode_blocks(path, stereo))
    decoded = np.concatenate(blocks, axis=1) if blocks else np.zeros((2 if stereo else 1, 0), dtype=np.float32)
    if stereo and same_signal(decoded[0], decoded[1]):
        # Some recorders write the mixed call to both channels: that is a mono call.
        stereo, decoded = False, decoded[:1]
    check_decoded(path, info, decoded.shape[1] / SAMPLE_RATE)
    return CallAudio(
        info=with_duration(info, decoded.shape[1] / SAMPLE_RATE),
        channel_names=("left", "right") if stereo else ("mono",),
        samples=tuple(decoded),
    )


def with_duration(info: AudioInfo, decoded_s: float) -> AudioInfo:
    """The probed facts with the duration actually decoded."""
    return replace(info, duration_s=decoded_s)


def same_signal(left: np.ndarray, right: np.ndarray) -> bool:
    """True when both channels carry the same audio (difference 30 dB below the signal)."""
    signal = float(np.mean(left.astype(np.float64) ** 2)) + 1e-12
    difference = float(np.mean((left.astype(np.float64) - right) ** 2))
    return difference < signal * 1e-3


def is_audio_candidate(path: Path) -> bool:
    return path.suffix.lower() in AUDIO_EXTENSIONS
