"""Two Whisper backends behind one small interface.

Both take 16 kHz mono speech (silence already cut out by the VAD) and return segments with
word timestamps and the decoder statistics the hallucination guard needs. Models are loaded
once per worker process and reused for every call.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from callqa.settings import Settings
from models.registry import ResolvedModel, resolve_whisper

TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


@dataclass(frozen=True)
class AsrWord:
    text: str
    start: float
    end: float
    prob: float


@dataclass(frozen=True)
class AsrSegment:
    start: float
    end: float
    text: str
    words: tuple[AsrWord, ...]
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float


@functools.lru_cache(maxsize=8)
def _domain_prompt(policy: str | None) -> str:
    import yaml

    from callqa.speech import SPEECH_RULES
    from nlp.phrases import rules_path
    from nlp.policy import cached_policy

    names = [name for product in cached_policy(policy).catalog for name in product.names]
    words = yaml.safe_load(rules_path("domain_words.yaml", SPEECH_RULES).read_text()).get("words") or []
    seen: dict[str, None] = dict.fromkeys(n.strip() for n in [*names, *words] if n and n.strip())
    return ", ".join(seen) + "."


def domain_prompt(s: Settings) -> str | None:
    """Whisper's initial prompt when the domain_prompt setting is on: the policy catalog's
    product names, then callqa/speech/rules/domain_words.yaml, as one comma-separated line."""
    if not s.domain_prompt:
        return None
    return _domain_prompt(str(s.policy) if s.policy else None)


class AsrBackend(Protocol):
    name: str
    model: ResolvedModel

    def transcribe(self, audio: np.ndarray, settings: Settings) -> list[AsrSegment]: ...

    def describe(self) -> dict: ...


class FasterWhisperBackend:
    name = "faster-whisper"

    def __init__(self, model: ResolvedModel, compute_type: str, threads: int) -> None:
        from faster_whisper import WhisperModel

        self.model = model
        self.compute_type = compute_type
        self._whisper = WhisperModel(str(model.path), device="cpu", compute_type=compute_type, cpu_threads=threads)

    def transcribe(self, audio: np.ndarray, s: Settings) -> list[AsrSegment]:
        segments, _info = self._whisper.transcribe(
            audio,
            language=s.language,
            beam_size=s.beam_size,
            temperature=list(TEMPERATURES),
            word_timestamps=True,
            vad_filter=False,  # callqa runs the VAD itself, to check and record its coverage
            # Calls are many short turns: carrying text across them feeds repetition loops.
            condition_on_previous_text=s.channel_context,
            initial_prompt=domain_prompt(s),
            no_speech_threshold=s.no_speech_threshold,
            log_prob_threshold=s.logprob_threshold,
            compression_ratio_threshold=s.compression_ratio_threshold,
        )
        return [
            AsrSegment(
                start=seg.start,
                end=seg.end,
                text=seg.text.strip(),
                words=tuple(AsrWord(w.word.strip(), w.start, w.end, w.probability) for w in (seg.words or [])),
                avg_logprob=seg.avg_logprob,
                no_speech_prob=seg.no_speech_prob,
                compression_ratio=seg.compression_ratio,
            )
            for seg in segments
        ]

    def describe(self) -> dict:
        return {"backend": self.name, "model": self.model.name, "model_source": self.model.source, "compute_type": self.compute_type}


class OpenAIWhisperBackend:
    """The reference implementation, on weights converted from the packaged CTranslate2 files."""

    name = "openai-whisper"

    def __init__(self, model: ResolvedModel, threads: int, work_dir: Path) -> None:
        import torch

        from models.convert import convert_ct2_to_openai_whisper, load_openai_whisper

        self.model = model
        torch.set_num_threads(threads)
        checkpoint = openai_checkpoint_path(model, work_dir)
        if not checkpoint.is_file():
            convert_ct2_to_openai_whisper(model.path, checkpoint)
        self._whisper = load_openai_whisper(checkpoint)

    def transcribe(self, audio: np.ndarray, s: Settings) -> list[AsrSegment]:
        import whisper

        result = whisper.transcribe(
            self._whisper,
            audio,
            language=s.language,
            temperature=TEMPERATURES,
            beam_size=s.beam_size,
            best_of=s.beam_size,
            word_timestamps=True,
            condition_on_previous_text=s.channel_context,
            initial_prompt=domain_prompt(s),
            no_speech_threshold=s.no_speech_threshold,
            logprob_threshold=s.logprob_threshold,
            compression_ratio_threshold=s.compression_ratio_threshold,
            fp16=False,
            verbose=None,
        )
        return [
            AsrSegment(
                start=float(seg["start"]),
                end=float(seg["end"]),
                text=seg["text"].strip(),
                words=tuple(
                    AsrWord(w["word"].strip(), float(w["start"]), float(w["end"]), float(w["probability"]))
                    for w in seg.get("words", [])
                ),
                avg_logprob=float(seg["avg_logprob"]),
                no_speech_prob=float(seg["no_speech_prob"]),
                compression_ratio=float(seg["compression_ratio"]),
            )
            for seg in result["segments"]
        ]

    def describe(self) -> dict:
        return {"backend": self.name, "model": self.model.name, "model_source": self.model.source, "compute_type": "float32"}


def openai_checkpoint_path(model: ResolvedModel, work_dir: Path) -> Path:
    size = (model.path / "model.bin").stat().st_size
    return work_dir / "models" / "openai-whisper" / f"{model.name}-{size}.pt"


@functools.lru_cache(maxsize=2)
def _load(backend: str, model_name: str, compute_type: str, threads: int, work_dir: Path) -> AsrBackend:
    resolved = resolve_whisper(model_name, work_dir / "models")
    if backend == "openai-whisper":
        return OpenAIWhisperBackend(resolved, threads, work_dir)
    return FasterWhisperBackend(resolved, compute_type, threads)


def load_backend(settings: Settings) -> AsrBackend:
    """The backend for these settings, loaded once per process (decoding options are per call)."""
    return _load(settings.backend, settings.model, settings.compute_type, settings.parallelism()[1], settings.work_dir)
