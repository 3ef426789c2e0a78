"""The batch flow: discover recordings, then per call transcribe -> analyse -> write a record,
then copy it into the store (the JSON record stays the source of truth), and at the end
publish a summary artifact.

Tasks are thin wrappers over plain functions (callqa.speech.transcription, callqa.record), which
carry the logic and are tested directly. Calls run concurrently: on this machine in worker
processes that load the models once (callqa.parallel), or on a Dask cluster (flows.runners).
A call that fails gets a failed record and the batch goes on; a rerun skips calls whose
record already matches the audio bytes and settings, and Prefect's cache (keyed by audio
sha256 + call id + transcription settings) skips transcription when only the record is missing. The
store is written by the flow itself, one call at a time as results come back, so SQLite
never sees two writers and a Dask worker needs no database access.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
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
from callqa.speech.audio import AudioError, file_sha256  # noqa: E402
from callqa.metadata import CallMetadata, Manifest, MetadataError, compile_pattern, load_manifest, resolve  # noqa: E402
from callqa.parallel import configure_threads, run_in_worker  # noqa: E402
from callqa.record import failed_record, is_done, read_record, record_path, scored_record, write_record  # noqa: E402
from callqa.store import Store, default_url, open_store, save_record  # noqa: E402
from callqa.store.db import error_line  # noqa: E402
from callqa.store.write import record_metadata  # noqa: E402
from callqa.speech.transcription import CallTranscription, transcribe_call  # noqa: E402
from flows.artifact import publish_summary  # noqa: E402
from flows.discover import CallInput, discover  # noqa: E402
from flows.runners import for_workers, require_prefect_server, task_runner, uses_dask  # noqa: E402
from nlp.analyse import AnalysisSettings, analyse  # noqa: E402
from nlp.phrases import rules_hash  # noqa: E402
from nlp.policy import Policy, cached_policy  # noqa: E402


@dataclass(frozen=True)
class CallFailure:
    code: str
    message: str


@dataclass(frozen=True)
class CallOutcome:
    """What became of one call, returned to the flow (its task may run on another machine)."""

    call_id: str
    status: str  # the record's: scored | failed
    score: float | None = None
    flags: tuple[str, ...] = ()
    error: str | None = None  # error code of a failed record
    skipped: bool = False  # the record of an earlier run still holds
    audio_s: float = 0.0  # transcribed in this run
    cached: bool = False  # record rebuilt from a cached transcription
    metadata_problem: str | None = None  # bad file-name metadata, reported and left out
    record: dict | None = field(default=None, compare=False, repr=False)  # for the store; None when it could not be written


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
    outcomes: dict[str, CallOutcome] = field(default_factory=dict)  # every call of the batch (records left out)
    store_url: str | None = None  # where the records were copied (password hidden)
    stored: int = 0
    store_failures: dict[str, str] = field(default_factory=dict)  # call_id -> why its rows are not in the store
    metadata_problems: dict[str, str] = field(default_factory=dict)  # call_id -> bad file-name metadata
    artifact_error: str | None = None

    def add(self, outcome: CallOutcome) -> None:
        self.outcomes[outcome.call_id] = replace(outcome, record=None)
        if outcome.metadata_problem:
            self.metadata_problems[outcome.call_id] = outcome.metadata_problem
        if outcome.skipped:
            self.skipped += 1
            return
        if outcome.status == "scored":
            self.scored += 1
        else:
            self.failed += 1
            self.failures[outcome.call_id] = outcome.error or "internal_error"
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
    return f"{__version__}:{rules_hash()}:{policy.source_hash}:{settings.sentiment_model_dir or 'default'}"


@task(name="write-record", retries=2, retry_delay_seconds=1, task_run_name="write-{record[call_id]}")
def write_task(out_dir: Path, record: dict) -> Path:
    return write_record(out_dir, record)


@dataclass(frozen=True)
class Outputs:
    """Where a call's results go beside its JSON record."""

    store: Store | None = None
    manifest: Manifest | None = None
    pattern: re.Pattern[str] | None = None


def _metadata(call: CallInput, previous: dict | None, manifest: Manifest | None, pattern: re.Pattern[str] | None) -> tuple[CallMetadata, str | None]:
    """The call's metadata, and what was wrong with its file name when the pattern did not fit."""
    try:
        before = record_metadata(previous) if previous else None
    except MetadataError:
        before = None  # a hand-edited record with bad metadata: the manifest and pattern still apply
    try:
        return resolve(call.call_id, call.path, manifest, pattern, before), None
    except MetadataError as exc:
        return resolve(call.call_id, call.path, manifest, None, before), str(exc)


def _outcome(record: dict, skipped: bool = False, audio_s: float = 0.0, cached: bool = False, metadata_problem: str | None = None) -> CallOutcome:
    return CallOutcome(
        record["call_id"],
        record.get("status", "failed"),
        (record.get("score") or {}).get("value"),
        tuple(f["code"] for f in record.get("flags") or []),
        (record.get("error") or {}).get("code"),
        skipped=skipped,
        audio_s=audio_s,
        cached=cached,
        metadata_problem=metadata_problem,
        record=record,
    )


@task(name="score-call", task_run_name="score-{call.call_id}", cache_policy=NO_CACHE)
def score_call_task(
    call: CallInput,
    out_dir: Path,
    settings: Settings,
    policy: Policy,
    use_pool: bool,
    manifest: Manifest | None = None,
    pattern: re.Pattern[str] | None = None,
) -> CallOutcome:
    """One call, start to record (written to disk; the earlier one when it still holds). Runs in a
    thread of the flow that hands the heavy work to this machine's worker pool (use_pool), or
    whole inside a Dask worker."""
    if not use_pool:
        configure_threads(settings.parallelism()[1])
    previous = read_record(record_path(out_dir, call.call_id))
    metadata, problem = _metadata(call, previous, manifest, pattern)
    try:
        sha = file_sha256(call.path) if call.path.is_file() else None
    except OSError as exc:
        record = failed_record(call.call_id, call.path, "unreadable_file", str(exc), settings) | {"metadata": metadata.to_dict()}
        write_task(out_dir, record)
        return _outcome(record, metadata_problem=problem)
    if sha is not None and previous is not None and is_done(previous, sha, settings, analysis_key(settings, policy)):
        # A new manifest or pattern, or the same recording now in another folder: nothing to
        # redo, but the record (and so the store) says so too.
        moved = previous["audio"].get("path") != str(call.path)
        if previous.get("metadata") != metadata.to_dict() or moved:
            previous["metadata"] = metadata.to_dict()
            previous["audio"]["path"] = str(call.path)
            write_task(out_dir, previous)
        return _outcome(previous, skipped=True, metadata_problem=problem)
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
        if result.audio.path != str(call.path):
            # a cached transcript of the same bytes read from another folder: the record (and the
            # review app's audio player) must name the file that is here now
            result = replace(result, audio=replace(result.audio, path=str(call.path)))
        record = analyse_task(result, settings, policy, use_pool)
        cached = state.name == "Cached"
        audio_s = 0.0 if cached else result.audio.duration_s
    except AudioError as exc:
        record = failed_record(call.call_id, call.path, exc.code, exc.message, settings, sha256=sha)
    except Exception as exc:  # noqa: BLE001  one broken call must not stop the batch
        code = "analysis_error" if result is not None else "internal_error"
        record = failed_record(call.call_id, call.path, code, f"{type(exc).__name__}: {exc}", settings, sha256=sha, partial=result)
    record["metadata"] = metadata.to_dict()
    write_task(out_dir, record)
    return _outcome(record, audio_s=audio_s, cached=cached, metadata_problem=problem)


def _result(future: PrefectFuture[CallOutcome], call: CallInput) -> CallOutcome:
    try:
        return future.result()
    except Exception:  # noqa: BLE001  the call's task itself broke (its record could not be written)
        return CallOutcome(call.call_id, "failed", error="internal_error")


def _store(record: dict, out_dir: Path, store: Store, summary: BatchSummary) -> None:
    """Copy the record into the store. The JSON record is already on disk, so a failure here
    loses nothing: it is reported, and `callqa ingest` loads the record later."""
    try:
        with store.session() as session:
            save_record(session, record, record_path=record_path(out_dir, record["call_id"]).resolve())
        summary.stored += 1
    except Exception as exc:  # noqa: BLE001  one call's store failure must not stop the batch
        summary.store_failures[record["call_id"]] = error_line(exc)


@flow(name="score-calls", validate_parameters=False)
def score_flow(
    inputs: list[Path],
    out_dir: Path,
    settings: Settings,
    show_progress: bool = False,
    db: str | None = None,
    store: bool = True,
    metadata_file: Path | None = None,
) -> BatchSummary:
    """Score every recording under `inputs` into `<out_dir>/records/<call_id>.json`, and copy
    each record into the store at `db` (default `<out_dir>/callqa.db`; none when `store` is False).

    A bad policy, manifest or database stops the batch before any call.
    """
    policy = cached_policy(str(settings.policy) if settings.policy else None)
    out_dir = Path(out_dir)
    manifest = load_manifest(metadata_file) if metadata_file else None
    pattern = compile_pattern(settings.metadata_pattern) if settings.metadata_pattern else None
    # Opened last, and closed in the finally below whatever fails after it (discovery included).
    outputs = Outputs(open_store(db or default_url(out_dir)) if store else None, manifest, pattern)
    try:
        started = time.perf_counter()
        found = discover([Path(p) for p in inputs])
        summary = BatchSummary(total=len(found.calls), ignored=len(found.ignored), store_url=outputs.store.display_url if outputs.store else None)
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
                future = score_call_task.submit(call, out_dir, settings, policy, use_pool, outputs.manifest, outputs.pattern)
                submitted[future.task_run_id] = (future, call)
            for future in as_completed([f for f, _ in submitted.values()]):
                outcome = _result(future, submitted[future.task_run_id][1])
                summary.add(outcome)
                if outputs.store is not None and outcome.record is not None:
                    _store(outcome.record, out_dir, outputs.store, summary)
                summary.wall_s = time.perf_counter() - started
                progress.update(bar, advance=1, audio_min=summary.audio_s / 60, speed=summary.speed)
    finally:
        if outputs.store is not None:
            outputs.store.close()
    summary.wall_s = time.perf_counter() - started
    summary.artifact_error = publish_summary(summary)
    return summary


def score_calls(
    inputs: list[Path],
    out_dir: Path,
    settings: Settings | None = None,
    show_progress: bool = False,
    db: str | None = None,
    store: bool = True,
    metadata_file: Path | None = None,
) -> BatchSummary:
    """Score a batch (see score_flow) on this machine's worker pool, or on Dask when the settings
    name a cluster. Raises ClusterError when the Dask mode has no Prefect server to report to."""
    settings = for_workers(settings or Settings())
    if uses_dask(settings):
        require_prefect_server()
    flow_with_runner = score_flow.with_options(task_runner=task_runner(settings))
    return flow_with_runner(inputs, Path(out_dir), settings, show_progress, db, store, metadata_file)
