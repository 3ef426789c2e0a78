from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from callqa.audio import SAMPLE_RATE, AudioError, load_call_audio, probe

from conftest import SHARED_AUDIO


def _speechlike(seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 220 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)


def _encode(path: Path, data: np.ndarray, rate: int) -> Path:
    """Real encoder output, like a recorder's: FFmpeg (PyAV) for most, libsndfile for Vorbis."""
    if path.suffix == ".ogg":  # PyAV's wheels carry no Vorbis encoder
        sf.write(path, data, rate, format="OGG", subtype="VORBIS")
        return path
    codec = {".mp3": "libmp3lame", ".wav": "pcm_s16le", ".flac": "flac"}[path.suffix]
    channels = 1 if data.ndim == 1 else data.shape[1]
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate, layout="mono" if channels == 1 else "stereo")
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(data.reshape(1, -1) if channels == 1 else data.T).astype(np.float32),
            format="fltp",
            layout="mono" if channels == 1 else "stereo",
        )
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".mp3", ".ogg"])
@pytest.mark.parametrize("rate", [8000, 16000, 44100, 48000])
def test_formats_and_rates_decode_to_16k(tmp_path: Path, suffix: str, rate: int) -> None:
    if suffix == ".mp3" and rate == 8000:
        rate = 11025  # MPEG audio has no 8 kHz mode at these bit rates
    path = _encode(tmp_path / f"call{suffix}", _speechlike(3.0, rate), rate)
    audio = load_call_audio(path)
    assert audio.channel_names == ("mono",)
    assert audio.info.sample_rate == rate
    assert abs(len(audio.samples[0]) / SAMPLE_RATE - 3.0) < 0.1
    assert audio.samples[0].dtype == np.float32


def test_stereo_is_split_into_left_and_right(tmp_path: Path) -> None:
    left, right = _speechlike(2.0, 8000), np.zeros(16000, dtype=np.float32)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), 8000)
    audio = load_call_audio(path)
    assert audio.channel_names == ("left", "right")
    assert np.abs(audio.samples[0]).max() > 0.1 and np.abs(audio.samples[1]).max() < 1e-3


def test_identical_channels_are_a_mono_call() -> None:
    path = SHARED_AUDIO / "whisper_jfk.flac"
    if not path.exists():
        pytest.skip("shared audio missing")
    audio = load_call_audio(path)
    assert audio.info.channels == 2 and audio.channel_names == ("mono",)


def test_bad_files_get_clear_codes(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    text = tmp_path / "notes.wav"
    text.write_text("Call notes: customer wants a callback tomorrow.\n")
    noise = tmp_path / "random.mp3"
    noise.write_bytes(np.random.default_rng(1).bytes(20000))
    short = tmp_path / "short.wav"
    sf.write(short, np.zeros(800, dtype=np.float32), 16000)
    expected = {empty: "empty_file", text: "not_audio", noise: "unreadable_audio", short: "too_short", tmp_path / "missing.wav": "file_not_found"}
    for path, code in expected.items():
        with pytest.raises(AudioError) as info:
            load_call_audio(path)
        assert info.value.code == code, path
        assert path.name in info.value.message


def test_corrupt_body_is_a_decode_error(tmp_path: Path) -> None:
    """A real FLAC header followed by garbage: FFmpeg opens it, then loses most of the audio."""
    good = tmp_path / "good.flac"
    sf.write(good, _speechlike(20.0, 16000), 16000)
    data = bytearray(good.read_bytes())
    data[2000:] = np.random.default_rng(2).bytes(len(data) - 2000)
    bad = tmp_path / "corrupt.flac"
    bad.write_bytes(bytes(data))
    assert probe(bad).duration_s > 10
    with pytest.raises(AudioError) as info:
        load_call_audio(bad)
    assert info.value.code == "decode_error"
