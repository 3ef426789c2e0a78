"""Run settings: one frozen dataclass, validated when built, loadable from YAML.

Bad combinations fail here, early, with a message that names the field, rather than deep
inside a Whisper call halfway through a batch.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from callqa.metadata import MetadataError, compile_pattern
from nlp.phrases import rules_hash

BACKENDS = ("faster-whisper", "openai-whisper")
AGENT_CHANNELS = ("auto", "left", "right")
COMPUTE_TYPES = ("int8", "int8_float32", "float32", "float16")
ANALYSIS_FIELDS = ("policy", "sentiment_model_dir")  # change the analysis, not the transcript
OUTPUT_FIELDS = ("metadata_pattern", "redact_audio")  # change what is stored beside a record, not the record's analysis
RUN_FIELDS = ("work_dir", "workers", "threads", "cluster", "local_cluster")  # where and how fast, not what
ALIASES = {"cpu_threads": "threads"}  # earlier names still read from settings files
AUTO = "auto"


class SettingsError(ValueError):
    """A setting is out of range or the settings file is malformed."""


# Bumped when the code changes what a transcript says for the same settings (e.g. how mono
# calls are split between speakers, long calls cut into blocks), so cached transcripts and
# done records are redone.
TRANSCRIPTION_VERSION = 3


def available_cores() -> int:
    """Cores this process may run on (a container or taskset may allow fewer than the machine has)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def default_work_dir() -> Path:
    return Path(os.environ.get("CALLQA_HOME", ".callqa")).resolve()


@dataclass(frozen=True)
class Settings:
    # ASR
    backend: str = "faster-whisper"
    model: str = "tiny.en"  # a packaged model name (see `callqa models`) or a model directory
    compute_type: str = "int8"  # faster-whisper only; openai-whisper runs fp32 on CPU
    beam_size: int = 5
    language: str = "en"
    # Speakers
    agent_channel: str = "auto"  # stereo: which channel is the agent; auto decides from the text
    turn_gap_s: float = 1.0  # a pause this long always splits a segment
    mono_split_gap_s: float = 0.4  # mono: finer cuts, so each piece holds one voice
    # Voice activity. Defaults tuned on 8 kHz telephone audio: Silero's 0.5 threshold drops
    # quiet, band-limited caller speech; 0.25 with a lower fallback keeps it.
    vad: bool = True
    vad_threshold: float = 0.25
    vad_fallback_threshold: float = 0.1
    vad_min_silence_ms: int = 500
    vad_speech_pad_ms: int = 300
    vad_min_coverage: float = 0.8  # share of energy-voiced time the VAD must keep
    # Hallucination guard
    no_speech_threshold: float = 0.6
    logprob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    min_segment_energy: float = 0.3  # share of a segment's span that must be voiced by energy
    # Transcript inputs (.vtt): voice names (<v Name>) read as each role, case-insensitively;
    # a name matches whole or by its first word ("Agent Smith" is an agent).
    agent_names: tuple[str, ...] = ("agent", "representative", "rep", "advisor", "operator")
    customer_names: tuple[str, ...] = ("customer", "caller", "client")
    # Privacy: mask PII (cards, SSNs, emails, phones, dates of birth, long numbers) in the
    # transcript before anything is written or analysed; redact_audio also writes a copy of the
    # recording with silence over the masked spans (<out>/redacted-audio/<call_id>.wav).
    redact: bool = True
    redact_audio: bool = False
    # Stereo crosstalk guard (callqa/speech/crosstalk.py): a run of words on one channel is
    # dropped when the other channel is this many dB louder under it and it says the same words
    # or its loudness follows the other channel's.
    crosstalk_guard: bool = True
    crosstalk_margin_db: float = 10.0
    crosstalk_gate: bool = True  # also silence echo-only frames before the VAD and Whisper
    # Decoding context, both off: measured in the README ("Real recordings"). domain_prompt:
    # Whisper's initial prompt names the words calls are expected to hold (the policy catalog's
    # product names, disclosure vocabulary: callqa/speech/rules/domain_words.yaml); it helped on
    # the 3 real calls but made tiny.en skip whole stretches of the synthetic mono calls.
    # channel_context: condition each window on the channel's previous text (no gain).
    domain_prompt: bool = False
    channel_context: bool = False
    # Analysis
    policy: Path | None = None  # QA policy YAML; None: nlp/policy/default.yaml
    sentiment_model_dir: Path | None = None  # a Hugging Face sequence-classification model directory
    # Call metadata from the file name (without extension): a regex with named groups among
    # agent, team, queue, date, time, customer_account, e.g. (?P<agent>[^_]+)_(?P<date>\d{8})_.*
    # A --metadata manifest entry wins over it.
    metadata_pattern: str | None = None
    # Parallelism on one machine: `workers` calls at once in worker processes, each with `threads`
    # ASR/torch threads. "auto" fills the cores so that workers x threads = cores (see parallelism()).
    workers: int | str = "auto"
    threads: int | str = "auto"
    # Scale-out: the address of an existing Dask scheduler (tcp://host:8786), or the number of
    # workers of a LocalCluster to start (0: none). Either runs the flow on prefect-dask.
    cluster: str | None = None
    local_cluster: int = 0
    # Where joined/converted models, Prefect state and caches live
    work_dir: Path = field(default_factory=default_work_dir)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise SettingsError(f"backend must be one of {BACKENDS}, not {self.backend!r}")
        if self.agent_channel not in AGENT_CHANNELS:
            raise SettingsError(f"agent_channel must be one of {AGENT_CHANNELS}, not {self.agent_channel!r}")
        if self.compute_type not in COMPUTE_TYPES:
            raise SettingsError(f"compute_type must be one of {COMPUTE_TYPES}, not {self.compute_type!r}")
        if self.backend == "openai-whisper" and self.compute_type not in ("float32", "int8"):
            raise SettingsError("openai-whisper runs in float32 on CPU: leave compute_type at its default")
        if not 1 <= self.beam_size <= 10:
            raise SettingsError(f"beam_size must be between 1 and 10, not {self.beam_size}")
        for name in ("workers", "threads"):
            value = getattr(self, name)
            if value == 0:  # 0 meant "all cores" before these settings could say auto
                object.__setattr__(self, name, AUTO)
            elif value != AUTO and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise SettingsError(f"{name} must be {AUTO!r} or a positive whole number, not {value!r}")
        if self.local_cluster < 0:
            raise SettingsError("local_cluster must be 0 (none) or a number of workers")
        if self.cluster and self.local_cluster:
            raise SettingsError("give either cluster (an existing scheduler) or local_cluster, not both")
        for name in ("vad_threshold", "vad_fallback_threshold", "vad_min_coverage", "no_speech_threshold", "min_segment_energy"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise SettingsError(f"{name} must be between 0 and 1, not {value}")
        if self.vad_fallback_threshold > self.vad_threshold:
            raise SettingsError("vad_fallback_threshold must not be above vad_threshold")
        if self.crosstalk_margin_db <= 0:
            raise SettingsError(f"crosstalk_margin_db must be positive, not {self.crosstalk_margin_db}")
        if self.turn_gap_s <= 0 or self.mono_split_gap_s <= 0:
            raise SettingsError("turn_gap_s and mono_split_gap_s must be positive")
        for name in ("agent_names", "customer_names"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(v, str) and v.strip() for v in value):
                raise SettingsError(f"{name} must be a list of names, not {value!r}")
            object.__setattr__(self, name, tuple(v.strip().lower() for v in value))
        if set(self.agent_names) & set(self.customer_names):
            raise SettingsError(f"agent_names and customer_names share {sorted(set(self.agent_names) & set(self.customer_names))}")
        if self.redact_audio and not self.redact:
            raise SettingsError("redact_audio needs redact: there is nothing to silence without it")
        if self.metadata_pattern is not None:
            try:
                compile_pattern(self.metadata_pattern)
            except MetadataError as exc:
                raise SettingsError(str(exc)) from exc
        object.__setattr__(self, "work_dir", Path(self.work_dir).resolve())
        for name in ANALYSIS_FIELDS:
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, Path(value).expanduser().resolve())

    def parallelism(self, cores: int | None = None) -> tuple[int, int]:
        """(workers, threads per worker) with "auto" resolved so that workers x threads = cores.

        Both auto: one thread per worker and a worker per core, because decoding one call is
        sequential (tiny.en runs as fast on one thread as on two) while calls are independent.
        """
        cores = cores or available_cores()
        workers, threads = self.workers, self.threads
        if workers == AUTO and threads == AUTO:
            return cores, 1
        if workers == AUTO:
            return max(1, cores // int(threads)), int(threads)
        if threads == AUTO:
            return int(workers), max(1, cores // int(workers))
        return int(workers), int(threads)

    def transcription_key(self) -> str:
        """Hash of everything that changes a transcript: part of the cache key of a call."""
        relevant = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in (*RUN_FIELDS, *ANALYSIS_FIELDS, *OUTPUT_FIELDS)}
        relevant["transcription_version"] = TRANSCRIPTION_VERSION
        # The speaker-role and hallucination rules change a transcript as much as a setting does.
        relevant["speech_rules"] = rules_hash("callqa.speech")
        if self.domain_prompt:
            # The prompt names the policy catalog's products: a new catalog is a new transcript.
            from nlp.policy import cached_policy

            relevant["catalog_names"] = sorted(n for p in cached_policy(str(self.policy) if self.policy else None).catalog for n in p.names)
        return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["work_dir"] = str(self.work_dir)
        for name in ANALYSIS_FIELDS:
            data[name] = str(data[name]) if data[name] is not None else None
        return data

    def with_overrides(self, **overrides: Any) -> Settings:
        overrides = {ALIASES.get(k, k): v for k, v in overrides.items()}
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Settings from an optional YAML file, then explicit overrides (None means 'not given')."""
    base = Settings()
    if path is not None:
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise SettingsError(f"cannot read settings file {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise SettingsError(f"settings file {path} must hold a mapping of setting: value")
        try:
            base = base.with_overrides(**data)
        except TypeError as exc:
            raise SettingsError(f"{path}: {exc}") from exc
    return base.with_overrides(**overrides)
