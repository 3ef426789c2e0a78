from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from callqa.speech.audio import SAMPLE_RATE, AudioError, load_call_audio, probe

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


@pytest.mark.parametrize("suffix, rate, channels", [(".mp3", 8000, 2), (".flac", 44100, 1), (".ogg", 22050, 2)])
def test_decoding_in_blocks_gives_the_whole_file_decode(tmp_path: Path, suffix: str, rate: int, channels: int) -> None:
    """The streaming decoder's blocks, laid end to end, are faster-whisper's whole-file decode."""
    from faster_whisper.audio import decode_audio

    from callqa.speech.audio import decode_blocks

    data = _speechlike(7.3, rate)
    if channels == 2:
        data = np.stack([data, 0.5 * data[::-1]], axis=1)
    path = _encode(tmp_path / f"call{suffix}", data, rate)
    whole = decode_audio(str(path), sampling_rate=SAMPLE_RATE, split_stereo=channels == 2)
    whole = np.stack(whole) if channels == 2 else whole[None, :]
    blocks = list(decode_blocks(path, stereo=channels == 2, block_s=1.0))
    assert len(blocks) == 8 and all(b.shape == (channels, SAMPLE_RATE) for b in blocks[:-1])
    np.testing.assert_array_equal(np.concatenate(blocks, axis=1), whole)


def test_blocks_are_cut_at_a_quiet_moment_and_nothing_is_lost() -> None:
    from callqa.speech.transcription import CUT_SEARCH_S, _cut_at_quiet

    rng = np.random.default_rng(0)
    audio = (0.3 * rng.standard_normal((2, SAMPLE_RATE * 100))).astype(np.float32)
    quiet = [(55.0, 55.2), (85.0, 85.2)]  # one pause in the last CUT_SEARCH_S of each 60 s block
    for start, end in quiet:
        audio[:, int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)] *= 1e-3
    size = 60 * SAMPLE_RATE
    pieces = list(_cut_at_quiet(iter([audio[:, :size], audio[:, size:]])))
    assert [last for _, last in pieces] == [False, True]
    first = pieces[0][0].shape[1] / SAMPLE_RATE
    assert 60 - CUT_SEARCH_S <= first and 55.0 <= first < 55.2
    np.testing.assert_array_equal(np.concatenate([p for p, _ in pieces], axis=1), audio)
