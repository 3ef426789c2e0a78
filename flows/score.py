"""The batch flow: discover recordings, then per call transcribe -> analyse -> write a record.

Tasks are thin wrappers over plain functions (callqa.transcription, callqa.record), which
carry the logic and are tested directly. A call that fails gets a failed record and the batch
goes on; a rerun skips calls whose record already matches the audio bytes and settings, and
Prefect's cache (keyed by audio sha256 + transcription settings) skips transcription when
only the record is missing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from callqa.env import configure_offline
from callqa.settings import Settings, default_work_dir

configure_offline(default_work_dir())

from prefect import flow, task  # noqa: E402  (after the offline environment is set)
from prefect.context import TaskRunContext  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: E402

from callqa import __version__  # noqa: E402
from callqa.audio import AudioError, file_sha256  # noqa: E402
from callqa.record import failed_record, is_done, read_record, record_path, scored_record, write_record  # noqa: E402
from callqa.transcription import CallTranscription, transcribe_call  # noqa: E402
from flows.discover import CallInput, discover  # noqa: E402
from nlp.analyse import AnalysisSettings, analyse  # noqa: E402
from nlp.phrases import rules_hash  # noqa: E402
from nlp.policy import Policy, cached_policy  # noqa: E402


@dataclass(frozen=True)
class CallFailure:
    code: str
    message: str


@dataclass
class BatchSummary:
    total: int = 0
    scored: int = 0
    failed: int = 0
    skipped: int = 0  # already done in an earlier run
    cached: int = 0  # record rebuilt from a cached transcription
    ignored: int = 0  # sidecar files (labels, scripts) next to the recordings
    audio_s: float = 0.0  # transcribed in this run
    wall_s: float = 0.0
    failures: dict[str, str] = field(default_factory=dict)  # call_id -> error code

    @property
    def speed(self) -> float:
        """Audio seconds transcribed per wall second in this run."""
        return self.audio_s / self.wall_s if self.wall_s else 0.0

    def line(self) -> str:
        return (
            f"{self.total} calls: {self.scored} scored, {self.failed} failed, {self.skipped} already done"
            f"{f' ({self.cached} from cached transcripts)' if self.cached else ''}"
            f"{f', {self.ignored} non-audio files ignored' if self.ignored else ''}; "
            f"{self.audio_s / 60:.1f} audio min in {self.wall_s:.0f} s ({self.speed:.1f}x real time)"
        )


def _transcription_cache_key(context: TaskRunContext, parameters: dict) -> str:
    settings: Settings = parameters["settings"]
    return f"transcribe-{parameters['sha256']}-{settings.transcription_key()}"


@task(
    name="transcribe",
    retries=2,
    retry_delay_seconds=2,
    cache_key_fn=_transcription_cache_key,
    persist_result=True,
    task_run_name="transcribe-{call_id}",
)
def transcribe_task(call_id: str, path: Path, sha256: str, settings: Settings) -> CallTranscription | CallFailure:
    """AudioError is a fact about the file, so it is returned (and cached), not retried."""
    try:
        return transcribe_call(path, settings, call_id)
    except AudioError as exc:
        return CallFailure(exc.code, exc.message)


@task(name="analyse", task_run_name="analyse-{result.call_id}")
def analyse_task(result: CallTranscription, settings: Settings, policy: Policy) -> dict:
    analysis = analyse(result.transcript, AnalysisSettings(policy, settings.sentiment_model_dir))
    return scored_record(result, settings, analysis, analysis_key(settings, policy))


def analysis_key(settings: Settings, policy: Policy) -> str:
    """What the analysis depends on beyond the transcript: a change re-analyses, it does not re-transcribe."""
    return f"{__version__}:{rules_hash()}:{policy.source_hash}:{settings.sentiment_model_dir or 'default'}"


@task(name="write-record", retries=2, retry_delay_seconds=1)
def write_task(out_dir: Path, record: dict) -> Path:
    return write_record(out_dir, record)


def _process(call: CallInput, out_dir: Path, settings: Settings, policy: Policy, summary: BatchSummary) -> None:
    try:
        sha = file_sha256(call.path) if call.path.is_file() else None
    except OSError as exc:
        write_task(out_dir, failed_record(call.call_id, call.path, "unreadable_file", str(exc), settings))
        summary.failed += 1
        summary.failures[call.call_id] = "unreadable_file"
        return
    if sha is not None and is_done(read_record(record_path(out_dir, call.call_id)), sha, settings, analysis_key(settings, policy)):
        summary.skipped += 1
        return
    result: CallTranscription | None = None
    try:
        if sha is None:
            raise AudioError("file_not_found", f"{call.path} does not exist or is not a file")
        state = transcribe_task.with_options(result_storage=settings.work_dir / "results")(
            call.call_id, call.path, sha, settings, return_state=True
        )
        result = state.result()
        if isinstance(result, CallFailure):
            raise AudioError(result.code, result.message)
        record = analyse_task(result, settings, policy)
        if state.name == "Cached":
            summary.cached += 1
        else:
            summary.audio_s += result.audio.duration_s
    except AudioError as exc:
        record = failed_record(call.call_id, call.path, exc.code, exc.message, settings, sha256=sha)
    except Exception as exc:  # noqa: BLE001  one broken call must not stop the batch
        code = "analysis_error" if result is not None else "internal_error"
        record = failed_record(call.call_id, call.path, code, f"{type(exc).__name__}: {exc}", settings, sha256=sha, partial=result)
    write_task(out_dir, record)
    if record["status"] == "scored":
        summary.scored += 1
    else:
        summary.failed += 1
        summary.failures[call.call_id] = record["error"]["code"]


@flow(name="score-calls", validate_parameters=False)
def score_calls(inputs: list[Path], out_dir: Path, settings: Settings | None = None, show_progress: bool = False) -> BatchSummary:
    """Score every recording under `inputs` into `<out_dir>/records/<call_id>.json`."""
    settings = settings or Settings()
    policy = cached_policy(str(settings.policy) if settings.policy else None)  # a bad policy stops the batch before any call
    started = time.perf_counter()
    found = discover([Path(p) for p in inputs])
    summary = BatchSummary(total=len(found.calls), ignored=len(found.ignored))
    out_dir = Path(out_dir)
    with Progress(
        TextColumn("[bold]scoring"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("calls · {task.fields[audio_min]:.1f} audio min · {task.fields[speed]:.1f}x real time"),
        TimeElapsedColumn(),
        disable=not show_progress,
        transient=False,
    ) as progress:
        bar = progress.add_task("calls", total=len(found.calls), audio_min=0.0, speed=0.0)
        for call in found.calls:
            _process(call, out_dir, settings, policy, summary)
            summary.wall_s = time.perf_counter() - started
            progress.update(bar, advance=1, audio_min=summary.audio_s / 60, speed=summary.speed)
    summary.wall_s = time.perf_counter() - started
    return summary
