"""The batch flow: discover recordings, then per call transcribe -> analyse -> write a record.

Tasks are thin wrappers over plain functions (callqa.transcription, callqa.record), which
carry the logic and are tested directly. Calls run concurrently: on this machine in worker
processes that load the models once (callqa.parallel), or on a Dask cluster (flows.runners).
A call that fails gets a failed record and the batch goes on; a rerun skips calls whose record
already matches the audio bytes and settings, and Prefect's cache (keyed by call id, audio
sha256 and transcription settings) skips transcription when only the record is missing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from callqa.env import configure_offline
from callqa.settings import Settings, default_work_dir

configure_offline(default_work_dir())

from prefect import flow, task  # noqa: E402  (after the offline environment is set)
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.context import TaskRunContext  # noqa: E402
from prefect.futures import PrefectFuture, as_completed  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: E402

from callqa import __version__  # noqa: E402
from callqa.audio import AudioError, file_sha256  # noqa: E402
from callqa.parallel import configure_threads, run_in_worker  # noqa: E402
from callqa.record import failed_record, is_done, read_record, record_path, scored_record, write_record  # noqa: E402
from callqa.transcription import CallTranscription, transcribe_call  # noqa: E402
from flows.discover import CallInput, discover  # noqa: E402
from flows.runners import for_workers, require_prefect_server, task_runner, uses_dask  # noqa: E402
from nlp.analyse import AnalysisSettings, analyse  # noqa: E402
from nlp.policy import Policy, cached_policy  # noqa: E402


@dataclass(frozen=True)
class CallFailure:
    code: str
    message: str


@dataclass(frozen=True)
class CallOutcome:
    """What became of one call, returned to the flow to count (its task may run on another machine)."""

    call_id: str
    status: str  # scored | failed | skipped (already done in an earlier run)
    audio_s: float = 0.0  # transcribed in this run
    cached: bool = False  # record rebuilt from a cached transcription
    error_code: str | None = None


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

    def add(self, outcome: CallOutcome) -> None:
        if outcome.status == "skipped":
            self.skipped += 1
            return
        if outcome.status == "scored":
            self.scored += 1
        else:
            self.failed += 1
            self.failures[outcome.call_id] = outcome.error_code or "internal_error"
        self.cached += outcome.cached
        self.audio_s += outcome.audio_s

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
    # The call id is part of the key: the transcript carries it (segment ids, the record's name),
    # so two files with the same bytes under different names must not share one.
    return f"transcribe-{parameters['call_id']}-{parameters['sha256']}-{settings.transcription_key()}"


@task(
    name="transcribe",
    retries=2,
    retry_delay_seconds=2,
    cache_key_fn=_transcription_cache_key,
    persist_result=True,
    task_run_name="transcribe-{call_id}",
)
def transcribe_task(call_id: str, path: Path, sha256: str, settings: Settings, use_pool: bool) -> CallTranscription | CallFailure:
    """AudioError is a fact about the file, so it is returned (and cached), not retried."""
    try:
        return run_in_worker(settings, use_pool, transcribe_call, path, settings, call_id)
    except AudioError as exc:
        return CallFailure(exc.code, exc.message)


@task(name="analyse", task_run_name="analyse-{result.call_id}")
def analyse_task(result: CallTranscription, settings: Settings, policy: Policy, use_pool: bool) -> dict:
    analysis = run_in_worker(settings, use_pool, analyse, result.transcript, AnalysisSettings(policy, settings.sentiment_model_dir))
    return scored_record(result, settings, analysis, analysis_key(settings, policy))


def analysis_key(settings: Settings, policy: Policy) -> str:
    """What the analysis depends on beyond the transcript: a change re-analyses, it does not re-transcribe."""
    return f"{__version__}:{policy.source_hash}:{settings.sentiment_model_dir or 'default'}"


@task(name="write-record", retries=2, retry_delay_seconds=1, task_run_name="write-{record[call_id]}")
def write_task(out_dir: Path, record: dict) -> Path:
    return write_record(out_dir, record)


@task(name="score-call", task_run_name="score-{call.call_id}", cache_policy=NO_CACHE)
def score_call_task(call: CallInput, out_dir: Path, settings: Settings, policy: Policy, use_pool: bool) -> CallOutcome:
    """One call, start to record. Runs in a thread of the flow that hands the heavy work to this
    machine's worker pool (use_pool), or whole inside a Dask worker."""
    if not use_pool:
        configure_threads(settings.parallelism()[1])
    try:
        sha = file_sha256(call.path) if call.path.is_file() else None
    except OSError as exc:
        write_task(out_dir, failed_record(call.call_id, call.path, "unreadable_file", str(exc), settings))
        return CallOutcome(call.call_id, "failed", error_code="unreadable_file")
    if sha is not None and is_done(read_record(record_path(out_dir, call.call_id)), sha, settings, analysis_key(settings, policy)):
        return CallOutcome(call.call_id, "skipped")
    result: CallTranscription | None = None
    cached, audio_s = False, 0.0
    try:
        if sha is None:
            raise AudioError("file_not_found", f"{call.path} does not exist or is not a file")
        state = transcribe_task.with_options(result_storage=settings.work_dir / "results")(
            call.call_id, call.path, sha, settings, use_pool, return_state=True
        )
        result = state.result()
        if isinstance(result, CallFailure):
            raise AudioError(result.code, result.message)
        record = analyse_task(result, settings, policy, use_pool)
        cached = state.name == "Cached"
        audio_s = 0.0 if cached else result.audio.duration_s
    except AudioError as exc:
        record = failed_record(call.call_id, call.path, exc.code, exc.message, settings, sha256=sha)
    except Exception as exc:  # noqa: BLE001  one broken call must not stop the batch
        code = "analysis_error" if result is not None else "internal_error"
        record = failed_record(call.call_id, call.path, code, f"{type(exc).__name__}: {exc}", settings, sha256=sha, partial=result)
    write_task(out_dir, record)
    if record["status"] == "scored":
        return CallOutcome(call.call_id, "scored", audio_s=audio_s, cached=cached)
    return CallOutcome(call.call_id, "failed", error_code=record["error"]["code"])


def _outcome(future: PrefectFuture[CallOutcome], call: CallInput) -> CallOutcome:
    try:
        return future.result()
    except Exception:  # noqa: BLE001  the call's task itself broke (its record could not be written)
        return CallOutcome(call.call_id, "failed", error_code="internal_error")


@flow(name="score-calls", validate_parameters=False)
def score_flow(inputs: list[Path], out_dir: Path, settings: Settings, show_progress: bool = False) -> BatchSummary:
    """Score every recording under `inputs` into `<out_dir>/records/<call_id>.json`."""
    policy = cached_policy(str(settings.policy) if settings.policy else None)  # a bad policy stops the batch before any call
    started = time.perf_counter()
    found = discover([Path(p) for p in inputs])
    summary = BatchSummary(total=len(found.calls), ignored=len(found.ignored))
    out_dir = Path(out_dir)
    use_pool = not uses_dask(settings)
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
        submitted = {}
        for call in found.calls:
            future = score_call_task.submit(call, out_dir, settings, policy, use_pool)
            submitted[future.task_run_id] = (future, call)
        for future in as_completed([f for f, _ in submitted.values()]):
            summary.add(_outcome(future, submitted[future.task_run_id][1]))
            summary.wall_s = time.perf_counter() - started
            progress.update(bar, advance=1, audio_min=summary.audio_s / 60, speed=summary.speed)
    summary.wall_s = time.perf_counter() - started
    return summary


def score_calls(inputs: list[Path], out_dir: Path, settings: Settings | None = None, show_progress: bool = False) -> BatchSummary:
    """Score a batch on this machine's worker pool, or on Dask when the settings name a cluster.

    Raises ClusterError when the Dask mode has no Prefect server to report to."""
    settings = for_workers(settings or Settings())
    if uses_dask(settings):
        require_prefect_server()
    return score_flow.with_options(task_runner=task_runner(settings))(inputs, Path(out_dir), settings, show_progress)
