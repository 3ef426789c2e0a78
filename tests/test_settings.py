from pathlib import Path

import pytest

from callqa.settings import Settings, SettingsError, load_settings


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"backend": "whisperx"}, "backend must be one of"),
        ({"agent_channel": "middle"}, "agent_channel"),
        ({"beam_size": 0}, "beam_size"),
        ({"vad_threshold": 1.5}, "vad_threshold"),
        ({"vad_threshold": 0.2, "vad_fallback_threshold": 0.3}, "fallback"),
        ({"backend": "openai-whisper", "compute_type": "float16"}, "float32"),
        ({"workers": -1}, "workers must be 'auto' or a positive"),
        ({"threads": "many"}, "threads must be 'auto'"),
        ({"cluster": "tcp://h:8786", "local_cluster": 2}, "not both"),
        ({"crosstalk_margin_db": 0}, "crosstalk_margin_db"),
    ],
)
def test_bad_settings_fail_early_with_the_field_named(overrides: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings(**overrides)


def test_yaml_file_and_overrides(tmp_path: Path) -> None:
    cfg = tmp_path / "callqa.yaml"
    cfg.write_text("model: base\nagent_channel: right\n")
    settings = load_settings(cfg, agent_channel=None, beam_size=3)
    assert (settings.model, settings.agent_channel, settings.beam_size) == ("base", "right", 3)


@pytest.mark.parametrize("text, message", [("- a\n- b\n", "mapping"), ("modle: base\n", "unknown setting"), ("a: [\n", "cannot read")])
def test_bad_settings_file(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    with pytest.raises(SettingsError, match=message):
        load_settings(cfg)


def test_transcription_key_tracks_what_changes_a_transcript(tmp_path: Path) -> None:
    base = Settings(work_dir=tmp_path)
    assert base.transcription_key() == Settings(work_dir=tmp_path / "elsewhere", threads=1, workers=3, local_cluster=2).transcription_key()
    assert base.transcription_key() != Settings(work_dir=tmp_path, model="base").transcription_key()
    assert base.transcription_key() != Settings(work_dir=tmp_path, vad_threshold=0.3).transcription_key()


@pytest.mark.parametrize(
    "workers, threads, cores, expected",
    [
        ("auto", "auto", 2, (2, 1)),  # one single-threaded worker per core
        ("auto", "auto", 8, (8, 1)),
        ("auto", 2, 8, (4, 2)),
        (1, "auto", 8, (1, 8)),
        (3, "auto", 8, (3, 2)),
        ("auto", 4, 2, (1, 4)),  # more threads than cores: still one worker
        (2, 2, 2, (2, 2)),  # both given: taken as they are
        (0, 0, 4, (4, 1)),  # 0 is the old spelling of auto
    ],
)
def test_parallelism_fills_the_cores(workers, threads, cores: int, expected: tuple[int, int]) -> None:
    assert Settings(workers=workers, threads=threads).parallelism(cores) == expected


def test_old_cpu_threads_name_still_reads(tmp_path: Path) -> None:
    cfg = tmp_path / "old.yaml"
    cfg.write_text("cpu_threads: 2\nworkers: auto\n")
    settings = load_settings(cfg)
    assert (settings.threads, settings.workers) == (2, "auto")


def test_editing_a_speech_rule_changes_the_transcription_key():
    """Speaker-role and hallucination rules shape the transcript: editing one must transcribe
    again, not re-analyse a stale cached transcript (they once fed only the analysis key)."""
    from nlp.phrases import rules_hash, rules_path

    path = rules_path("speaker_roles.yaml", "callqa.speech")
    original = path.read_bytes()
    before = Settings().transcription_key()
    try:
        path.write_bytes(original + b"\n# a reviewer's edit\n")
        rules_hash.cache_clear()
        after = Settings().transcription_key()
    finally:
        path.write_bytes(original)
        rules_hash.cache_clear()
    assert after != before
    assert Settings().transcription_key() == before


def test_decoding_context_settings_are_part_of_the_transcription_key(tmp_path: Path) -> None:
    base = Settings()
    for change in ({"domain_prompt": True}, {"channel_context": True}, {"crosstalk_guard": False}, {"crosstalk_gate": False}, {"crosstalk_margin_db": 20.0}):
        assert base.with_overrides(**change).transcription_key() != base.transcription_key(), change
    # With the domain prompt on, the policy catalog's product names are part of the prompt, so of the key.
    policy = tmp_path / "policy.yaml"
    default = Path(__file__).resolve().parents[1] / "nlp" / "policy" / "default.yaml"
    policy.write_text(default.read_text().replace("catalog: []", """catalog:
  - id: unlimited_plan
    names: ["Unlimited plan"]
    kind: upsell
    fits_needs: []"""))
    prompted = base.with_overrides(domain_prompt=True)
    with_catalog = prompted.with_overrides(policy=policy)
    assert with_catalog.transcription_key() != prompted.transcription_key()
    assert base.with_overrides(policy=policy).transcription_key() == base.transcription_key()

    from callqa.speech.asr import domain_prompt

    assert domain_prompt(base) is None
    text = domain_prompt(with_catalog)
    assert text.startswith("Unlimited plan, ") and "cancellation fee" in text and "twelve-month contract" in text
