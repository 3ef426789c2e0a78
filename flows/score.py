"""The batch flow: discover recordings, then per call transcribe -> analyse -> write a record,
then copy it into the store (the JSON record stays the source of truth), and at the end
publish a summary artifact.

Tasks are thin wrappers: the per-call logic is flows.call.score_call, a plain function tested
directly, and the record contract is callqa.record. Calls run concurrently: on this machine in
worker processes that load the models once (callqa.parallel), or on a Dask cluster
(flows.runners). A call that fails gets a failed record and the batch goes on; a rerun skips
calls whose record already matches the audio bytes and settings, and Prefect's cache (keyed by
audio sha256 + call id + transcription settings) skips transcription when only the record is
missing. The store is written by the flow itself, one call at a time as results come back, so
SQLite never sees two writers and a Dask worker needs no database access.

Entry points (the CLI, tests, benchmarks) call callqa.env.configure_offline before importing
this module: Prefect reads its settings when it is first imported.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext
from prefect.futures import PrefectFuture, as_completed
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from callqa.metadata import Manifest, compile_pattern, load_manifest
from callqa.parallel import configure_threads, run_in_worker
from callqa.record import CallRecord, clean_stale_temporaries, is_disk_full, record_path, write_record
from callqa.settings import Settings
from callqa.speech.audio import AudioError
from callqa.speech.privacy import redacted_audio_path, write_redacted_audio
from callqa.speech.transcription import CallTranscription, transcribe_call
from callqa.store import Store, default_url, open_store, save_record
from callqa.store.db import error_line
from flows.artifact import publish_summary
from flows.call import CallFailure, CallSteps, score_call, transcribe_input
from flows.discover import CallInput, discover
from flows.runners import for_workers, require_prefect_server, task_runner, uses_dask
from flows.summary import BatchSummary, CallOutcome, StoreReport, summarise
from nlp.analyse import AnalysisSettings, analyse
from nlp.findings import CallAnalysis
from nlp.policy import Policy, cached_policy


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
    """AudioError is a fact about the file, so it is returned (and cached), not retried. The
    result is PII-redacted here (flows.call.transcribe_input), before Prefect persists it."""
    try:
        return run_in_worker(settings, use_pool, transcribe_input, call_id, path, settings, transcribe_call)
    except AudioError as exc:
        return CallFailure(exc.code, exc.message)


@task(name="analyse", task_run_name="analyse-{result.call_id}")
def analyse_task(result: CallTranscription, settings: Settings, policy: Policy, use_pool: bool) -> CallAnalysis:
    return run_in_worker(settings, use_pool, analyse, result.transcript, AnalysisSettings(policy, settings.sentiment_model_dir))


@task(name="write-record", retries=2, retry_delay_seconds=1, task_run_name="write-{record.call_id}")
def write_task(out_dir: Path, record: CallRecord) -> Path:
    return write_record(out_dir, record)


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
    """flows.call.score_call with Prefect-run steps. Runs in a thread of the flow that hands the
    heavy work to this machine's worker pool (use_pool), or whole inside a Dask worker."""
    if not use_pool:
        configure_threads(settings.parallelism()[1])

    def transcribe(call_id: str, path: Path, sha256: str) -> tuple[CallTranscription | CallFailure, bool]:
        state = transcribe_task.with_options(result_storage=settings.work_dir / "results")(
            call_id, path, sha256, settings, use_pool, return_state=True
        )
        return state.result(), state.name == "Cached"

    steps = CallSteps(
        transcribe=transcribe,
        analyse=lambda result: analyse_task(result, settings, policy, use_pool),
        write=lambda record: write_task(out_dir, record),
        redact_audio=lambda path, call_id, spans: write_redacted_audio(path, out_dir, call_id, spans),
    )
    return score_call(call, out_dir, settings, policy, steps, manifest, pattern)


DISK_FULL = "disk_full"


def _result(future: PrefectFuture[CallOutcome], call: CallInput) -> CallOutcome:
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001  the call's task itself broke (its record could not be written)
        if is_disk_full(exc):
            return CallOutcome(call.call_id, "failed", error=DISK_FULL, message=f"{type(exc).__name__}: {exc}")
        return CallOutcome(call.call_id, "failed", error="internal_error", message=f"{type(exc).__name__}: {exc}")


def clean_leftovers(out_dir: Path) -> int:
    """Temporaries a killed batch left in the output folders (older than a minute: another
    batch writing here now keeps its own)."""
    return sum(len(clean_stale_temporaries(folder)) for folder in (out_dir / "records", redacted_audio_path(out_dir, "x").parent))


def _in_flight(settings: Settings) -> int:
    """Calls submitted ahead of the results: enough to keep every worker busy, few enough that a
    full disk stops the batch after a handful of failures rather than after all of them."""
    return max(4, 2 * settings.parallelism()[0]) if not uses_dask(settings) else 64


def _store(record: CallRecord, out_dir: Path, store: Store) -> str | None:
    """Copy the record into the store; None when stored, else why not. The JSON record is
    already on disk, so a failure here loses nothing: it is reported, and `callqa ingest`
    loads the record later."""
    try:
        with store.session() as session:
            save_record(session, record, record_path=record_path(out_dir, record.call_id).resolve())
    except Exception as exc:  # noqa: BLE001  one call's store failure must not stop the batch
        return error_line(exc)
    return None


def _progress(show: bool) -> Progress:
    return Progress(
        TextColumn("[bold]scoring"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("calls · {task.fields[audio_min]:.1f} audio min · {task.fields[speed]:.1f}x real time"),
        TimeElapsedColumn(),
        disable=not show,
        transient=False,
    )


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
    opened = open_store(db or default_url(out_dir)) if store else None
    started = time.perf_counter()
    outcomes: list[CallOutcome] = []
    store_failures: dict[str, str] = {}
    disk_full: str | None = None
    try:
        clean_leftovers(out_dir)
        found = discover([Path(p) for p in inputs])
        use_pool = not uses_dask(settings)
        window = _in_flight(settings)
        with _progress(show_progress) as progress:
            bar = progress.add_task("calls", total=len(found.calls), audio_min=0.0, speed=0.0)
            waiting = list(found.calls)
            submitted: dict = {}
            while waiting or submitted:
                while waiting and len(submitted) < window and disk_full is None:
                    call = waiting.pop(0)
                    future = score_call_task.submit(call, out_dir, settings, policy, use_pool, manifest, pattern)
                    submitted[future.task_run_id] = (future, call)
                if not submitted:
                    break
                future = next(as_completed([f for f, _ in submitted.values()]))
                result = _result(future, submitted.pop(future.task_run_id)[1])
                outcomes.append(result)
                if result.error == DISK_FULL and disk_full is None:
                    disk_full = result.message or "no space left on device"
                if opened is not None and result.record is not None:
                    if (why := _store(result.record, out_dir, opened)) is not None:
                        store_failures[result.call_id] = why
                audio_s = sum(o.audio_s for o in outcomes if not o.skipped)
                elapsed = time.perf_counter() - started
                progress.update(bar, advance=1, audio_min=audio_s / 60, speed=audio_s / elapsed if elapsed else 0.0)
            # A full disk stops the batch: the calls not started are reported, not failed one by one.
            outcomes.extend(
                CallOutcome(call.call_id, "failed", error="not_run", message=f"the batch stopped: the disk is full ({disk_full})")
                for call in waiting
            )
    finally:
        if opened is not None:
            opened.close()
    report = StoreReport(
        url=opened.display_url if opened else None,
        stored=sum(1 for o in outcomes if o.record is not None and o.call_id not in store_failures) if opened else 0,
        failures=store_failures,
    )
    summary = summarise(outcomes, len(found.ignored), time.perf_counter() - started, report)
    if disk_full is not None:
        summary = replace(summary, stopped=f"stopped early, the disk is full: {disk_full}; the records written so far stay")
    return replace(summary, artifact_error=publish_summary(summary))


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
