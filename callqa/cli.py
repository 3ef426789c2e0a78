"""The `callqa` command: transcribe, score a batch, list models."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from callqa.env import configure_offline
from callqa.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from callqa.metadata import Manifest
    from callqa.store import Store
    from flows.summary import BatchSummary

app = typer.Typer(help="Score every recorded contact-centre call, offline.", no_args_is_help=True, add_completion=False)
console = Console()
err = Console(stderr=True)

ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", help="YAML settings file (keys as in callqa.settings.Settings).")]
ModelOpt = Annotated[Optional[str], typer.Option("--model", "-m", help="Whisper model: tiny.en, base, or a CTranslate2 model directory.")]
BackendOpt = Annotated[Optional[str], typer.Option("--backend", help="faster-whisper (default) or openai-whisper.")]
AgentOpt = Annotated[Optional[str], typer.Option("--agent-channel", help="Stereo: auto (from the text), left or right.")]
ThreadsOpt = Annotated[Optional[int], typer.Option("--threads", help="ASR threads per worker (default: auto, so that workers x threads = cores).")]
WorkersOpt = Annotated[Optional[int], typer.Option("--workers", help="Calls scored at once, each in its own process (default: auto, one per core).")]
ClusterOpt = Annotated[Optional[str], typer.Option("--cluster", help="Run on an existing Dask cluster: its scheduler address, tcp://host:8786 (needs PREFECT_API_URL).")]
LocalClusterOpt = Annotated[Optional[int], typer.Option("--local-cluster", help="Run on a Dask LocalCluster of N worker processes (needs PREFECT_API_URL).")]
PolicyOpt = Annotated[Optional[Path], typer.Option("--policy", help="QA policy YAML (default: nlp/policy/default.yaml).")]
SentimentOpt = Annotated[Optional[Path], typer.Option("--sentiment-model", help="A Hugging Face sentiment model directory (default: offline lexicon + embeddings).")]
DbOpt = Annotated[Optional[str], typer.Option("--db", help="Store URL: sqlite:///FILE or postgresql+psycopg://user:pass@host/db (default: OUT/callqa.db).")]
MetadataOpt = Annotated[Optional[Path], typer.Option("--metadata", help="Call metadata manifest (CSV or JSON) keyed by call_id or file: agent, team, queue, date, time, customer_account.")]
WorkDirOpt = Annotated[Optional[Path], typer.Option("--work-dir", help="Model cache and Prefect state (env CALLQA_HOME, default ./.callqa).")]


def _private_files() -> None:
    """Files callqa creates from here on (records, the SQLite store, journals, users) are the
    owner's only: they hold customers' words, account numbers and password hashes."""
    os.umask(0o077)


@app.callback()
def _entry() -> None:
    """Score every recorded contact-centre call, offline."""
    _private_files()


def _settings(config: Path | None, work_dir: Path | None, **overrides: object) -> Settings:
    if work_dir is not None:
        # Read by callqa.env before Prefect is imported, so Prefect's home follows too.
        os.environ["CALLQA_HOME"] = str(work_dir.resolve())
        overrides["work_dir"] = work_dir
    try:
        settings = load_settings(config, **overrides)
    except SettingsError as exc:
        err.print(f"[red]settings error:[/red] {exc}")
        raise typer.Exit(2) from exc
    # The one place the command line sets the offline environment, before any command imports
    # Prefect, Hugging Face or the models (they read it when first imported).
    configure_offline(settings.work_dir)
    return settings


def _clock(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes):02d}:{secs:05.2f}"


@app.command()
def transcribe(
    files: Annotated[list[Path], typer.Argument(help="Recordings (wav, flac, mp3, ogg, ...).", exists=False)],
    config: ConfigOpt = None,
    model: ModelOpt = None,
    backend: BackendOpt = None,
    agent_channel: AgentOpt = None,
    threads: ThreadsOpt = None,
    work_dir: WorkDirOpt = None,
) -> None:
    """Print the speaker-attributed transcript of each file, with times."""
    settings = _settings(config, work_dir, model=model, backend=backend, agent_channel=agent_channel, threads=threads)
    from callqa.speech.audio import AudioError
    from callqa.speech.transcription import transcribe_call
    from models.registry import ModelNotFound

    failed = 0
    for path in files:
        try:
            result = transcribe_call(path, settings)
        except AudioError as exc:
            err.print(f"[red]{path}: {exc.code}[/red]: {exc.message}")
            failed += 1
            continue
        except ModelNotFound as exc:
            err.print(f"[red]model not available:[/red] {exc}")
            raise typer.Exit(2) from exc
        sp = result.speakers
        layout = f"stereo, agent on the {sp.agent_channel} channel" if sp.method == "channel" else "mono, roles from the text"
        console.print(
            f"[bold]{path.name}[/bold]  {result.audio.duration_s:.1f} s · {layout} "
            f"(confidence {sp.confidence:.2f}) · {result.asr['backend']} {result.asr['model']} · "
            f"{result.audio.duration_s / result.elapsed_s:.1f}x real time"
        )
        for seg in result.transcript.segments:
            colour = "cyan" if seg.speaker == "agent" else "magenta" if seg.speaker == "customer" else "white"
            console.print(f"  [{_clock(seg.start)} - {_clock(seg.end)}] [{colour}]{seg.speaker:>8}[/{colour}]: {seg.text}")
        for ch in result.channels:
            for d in ch.dropped:
                console.print(f"  [dim]dropped ({d.reason}, {d.rule}) {ch.channel} {d.start:.1f}-{d.end:.1f}: {d.text}[/dim]")
            if ch.vad.low_coverage:
                err.print(f"[yellow]warning:[/yellow] {ch.channel} channel: VAD kept {ch.vad.coverage:.0%} of voiced audio")
    raise typer.Exit(1 if failed else 0)


@app.command()
def score(
    paths: Annotated[list[Path], typer.Argument(help="Recordings or folders of recordings (searched recursively).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder: records go to OUT/records/<call_id>.json.")] = Path("out"),
    config: ConfigOpt = None,
    model: ModelOpt = None,
    backend: BackendOpt = None,
    agent_channel: AgentOpt = None,
    threads: ThreadsOpt = None,
    workers: WorkersOpt = None,
    cluster: ClusterOpt = None,
    local_cluster: LocalClusterOpt = None,
    work_dir: WorkDirOpt = None,
    policy: PolicyOpt = None,
    sentiment_model: SentimentOpt = None,
    db: DbOpt = None,
    store: Annotated[bool, typer.Option("--store/--no-store", help="Copy each record into the store (--db).")] = True,
    metadata: MetadataOpt = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
    redact: Annotated[Optional[bool], typer.Option("--redact/--no-redact", help="Mask PII (cards, SSNs, emails, phones, dates of birth) in transcripts before anything is written (default: on).")] = None,
    redact_audio: Annotated[Optional[bool], typer.Option("--redact-audio/--no-redact-audio", help="Also write OUT/redacted-audio/<call_id>.wav with silence over the masked spans; the review app plays it instead of the original.")] = None,
) -> None:
    """Score every recording or transcript file into one JSON record per call (failed calls get a failed record), and copy each into the store."""
    settings = _settings(
        config, work_dir, model=model, backend=backend, agent_channel=agent_channel, threads=threads, workers=workers,
        cluster=cluster, local_cluster=local_cluster, policy=policy, sentiment_model_dir=sentiment_model,
        redact=redact, redact_audio=redact_audio,
    )
    _check_ready(settings)
    _check_outputs((db or _default_db(out)) if store else None, metadata)
    from flows.runners import ClusterError
    from flows.score import score_calls

    try:
        summary = score_calls(paths, out, settings, show_progress=progress and sys.stderr.isatty(), db=db, store=store, metadata_file=metadata)
    except ClusterError as exc:
        err.print(f"[red]cluster:[/red] {exc}")
        raise typer.Exit(2) from exc
    _print_calls(summary, out)
    console.print(summary.line())
    if summary.needs_review:
        unsure = ", ".join(f"{code} {n}" for code, n in summary.review_totals().items())
        console.print(f"[yellow]needs review:[/yellow] {summary.needs_review} call(s)" + (f" (unsure flags, not in the score: {unsure})" if unsure else ""))
    for call_id, code in summary.failures.items():
        detail = summary.messages.get(call_id)
        console.print(f"  [red]failed[/red] {escape(call_id)}: {code}{f' ({escape(detail)})' if detail and code != 'not_run' else ''}")
    if summary.stopped:
        err.print(f"[red]batch stopped:[/red] {summary.stopped}")
    for call_id, problem in summary.metadata_problems.items():
        err.print(f"[yellow]metadata:[/yellow] {call_id}: {problem}")
    console.print(f"records: {out / 'records'}")
    if summary.store_url:
        console.print(f"store: {summary.store_url} ({summary.stored} calls written or up to date)")
    for call_id, problem in summary.store_failures.items():
        err.print(f"[red]not stored[/red] {call_id}: {problem}")
    if summary.store_failures:
        err.print(f"the records are on disk: load them later with `callqa ingest {out}{f' --db URL' if db else ''}`")
    if summary.artifact_error:
        err.print(f"[yellow]Prefect summary artifact not published:[/yellow] {summary.artifact_error}")
    raise typer.Exit(1 if summary.failed or summary.store_failures else 0)


def _default_db(out: Path) -> str:
    from callqa.store import default_url

    return default_url(out)


def _check_outputs(db: str | None, metadata: Path | None) -> Manifest | None:
    """A bad manifest or an unreachable database stops the batch before any call."""
    from callqa.metadata import MetadataError, load_manifest
    from callqa.store import StoreError, open_store

    try:
        manifest = load_manifest(metadata) if metadata is not None else None
        if db is not None:
            open_store(db).close()
        return manifest
    except MetadataError as exc:
        err.print(f"[red]metadata error:[/red] {exc}")
        raise typer.Exit(2) from exc
    except StoreError as exc:
        err.print(f"[red]store error:[/red] {exc}")
        raise typer.Exit(2) from exc


@app.command()
def ingest(
    records: Annotated[Path, typer.Argument(help="A folder of JSON records, or a `callqa score --out` folder holding records/.")],
    db: Annotated[Optional[str], typer.Option("--db", help="Store URL (default: callqa.db beside the records folder).")] = None,
    metadata: MetadataOpt = None,
) -> None:
    """Load existing JSON records into the store (idempotent: unchanged records are skipped)."""
    from callqa.store import ingest_records, open_store

    folder = records / "records" if (records / "records").is_dir() else records
    if not folder.is_dir():
        err.print(f"[red]not a folder of records:[/red] {records}")
        raise typer.Exit(2)
    url = db or _default_db(folder.parent if folder.name == "records" else folder)
    manifest = _check_outputs(url, metadata)
    from callqa.store import journal as journals

    store = open_store(url)
    journal = journals.journal_path(folder)
    try:
        with store.session() as session:
            result = ingest_records(session, sorted(folder.glob("*.json")), manifest)
            replayed = journals.replay(session, journal)
    finally:
        store.close()
    for path, problem in result.errors.items():
        err.print(f"[red]skipped[/red] {path}: {problem}")
    console.print(f"{result.written} records written, {result.unchanged} unchanged, {len(result.errors)} skipped; store: {store.display_url}")
    if replayed.restored or replayed.present:
        console.print(f"review decisions from {journal}: {replayed.restored} restored, {replayed.present} already stored")
    raise typer.Exit(1 if result.errors else 0)


ByOpt = Annotated[Optional[str], typer.Option("--by", help="Who deletes, for the audit trail [default: the login name].")]


def _existing_store(out: Path, db: str | None) -> Store | None:
    """The store of --db, else the one under OUT if there is one (none: records only)."""
    from callqa.store import StoreError, open_store

    url = db or (_default_db(out) if (out / "callqa.db").is_file() else None)
    try:
        return open_store(url) if url else None
    except StoreError as exc:
        err.print(f"[red]store error:[/red] {exc}")
        raise typer.Exit(2) from exc


def _forget_calls(call_ids: list[str], out: Path, db: str | None, work_dir: Path | None, by: str | None, reason: str) -> None:
    import getpass

    from callqa.retention import forget

    who = by or getpass.getuser()
    store = _existing_store(out, db)
    settings = _settings(None, work_dir)
    missing = 0
    try:
        for call_id in call_ids:
            done = forget(call_id, out, store, settings.work_dir, who, reason)
            if not done.removed and not done.store_rows:
                missing += 1
                err.print(f"[yellow]{call_id}[/yellow]: nothing found (deletion still noted in the journal)")
                continue
            console.print(f"forgot {call_id}: {len(done.removed)} file(s){', store rows' if done.store_rows else ''}")
    finally:
        if store is not None:
            store.close()
    console.print(f"{len(call_ids) - missing} call(s) deleted by {who}; their review decisions stay in the audit trail")
    raise typer.Exit(1 if missing else 0)


@app.command("forget")
def forget_cmd(
    call_ids: Annotated[list[str], typer.Argument(help="Call ids to delete.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The `callqa score --out` folder.")] = Path("out"),
    db: DbOpt = None,
    work_dir: WorkDirOpt = None,
    by: ByOpt = None,
) -> None:
    """Delete calls: record, store rows, cached transcription, redacted audio (review decisions are kept, with the deletion)."""
    _forget_calls(call_ids, out, db, work_dir, by, "forget")


@app.command()
def purge(
    older_than: Annotated[str, typer.Option("--older-than", help="Delete calls older than this: 90d, 12w.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The `callqa score --out` folder.")] = Path("out"),
    db: DbOpt = None,
    work_dir: WorkDirOpt = None,
    by: ByOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the calls, delete nothing.")] = False,
) -> None:
    """Delete every call older than the retention period (by metadata.date, else the record's file time)."""
    from callqa.retention import RetentionError, expired, parse_age

    try:
        age = parse_age(older_than)
    except RetentionError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    store = _existing_store(out, db)
    try:
        call_ids = expired(out, store, age)
    finally:
        if store is not None:
            store.close()
    if dry_run or not call_ids:
        for call_id in call_ids:
            console.print(call_id)
        console.print(f"{len(call_ids)} call(s) older than {older_than}{' (dry run: nothing deleted)' if dry_run else ''}")
        raise typer.Exit(0)
    _forget_calls(call_ids, out, db, work_dir, by, f"purge older than {older_than}")


def _print_calls(summary: BatchSummary, out: Path) -> None:
    """One line per call of the batch, as the flow returned it: what a QA lead scans first."""
    table = Table("call", "status", "score", "need", "offers", "closes", "flags", "review", title=f"calls in {out}")
    for call_id, o in sorted(summary.outcomes.items()):
        if o.status != "scored":
            table.add_row(call_id, f"[red]failed[/red] {o.error}", "", "", "", "", "", "")
            continue
        flags = ", ".join(o.flags) or "-"
        review = ", ".join([*o.review_flags, *(["LOW_TRANSCRIPT_QUALITY"] if o.low_transcript_quality else [])]) or "-"
        table.add_row(
            call_id,
            "scored",
            "-" if o.score is None else f"{o.score:.0f}",
            o.need or "-",
            ", ".join(o.offers) or "-",
            str(o.closing_attempts),
            f"[yellow]{flags}[/yellow]" if o.flags else flags,
            review,
        )
    console.print(table)


def _check_ready(settings: Settings) -> None:
    """Fail the whole batch up front on a missing model or a bad policy, not once per call."""
    from models.registry import ModelNotFound, resolve_whisper
    from nlp.policy import PolicyError, load_policy

    try:
        resolve_whisper(settings.model, settings.work_dir / "models")
        load_policy(settings.policy)
    except ModelNotFound as exc:
        err.print(f"[red]model not available:[/red] {exc}")
        raise typer.Exit(2) from exc
    except PolicyError as exc:
        err.print(f"[red]policy error:[/red] {exc}")
        raise typer.Exit(2) from exc


@app.command("eval")
def evaluate(
    labels_dir: Annotated[Optional[Path], typer.Argument(help="Folder of <call_id>.labels.json files (searched recursively); not with --styles.")] = None,
    records: Annotated[Optional[Path], typer.Option("--records", help="Compare with the records of an earlier `callqa score --out DIR`.")] = None,
    text: Annotated[bool, typer.Option("--text", help="Analyse the labelled transcripts themselves (no ASR).")] = False,
    styles: Annotated[bool, typer.Option("--styles", help="Per writing style of --corpus, leave-one-style-out, the rules alone and combined with the learned models, with 95 % intervals.")] = False,
    corpus: Annotated[Path, typer.Option(help="With --styles: corpus folder (styles/<style>/text and dev/).")] = Path("corpus"),
    samples: Annotated[Optional[Path], typer.Option(help="With --styles: bundled samples, scored with the dev style.")] = Path("audio_samples"),
    real_calls: Annotated[Optional[Path], typer.Option(help="With --styles: real calls with human transcripts (no sale), as controls.")] = Path("../shared/data/real_calls"),
    reading: Annotated[str, typer.Option(help="With --styles: rules (callqa's reading before the turn-act model), combined (rules + the models, leave-one-style-out), or both.")] = "both",
    only: Annotated[Optional[list[str]], typer.Option("--only", help="With --styles: score only this style (repeat for more); with two or more, a pooled row too. The held-out styles: --only outbound --only indirect ...")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Without --records or --text: score the audio next to the labels into this folder first.")] = Path("out/eval"),
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Also write the metrics as JSON.")] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print Markdown tables instead of terminal tables.")] = False,
    config: ConfigOpt = None,
    model: ModelOpt = None,
    policy: PolicyOpt = None,
    work_dir: WorkDirOpt = None,
) -> None:
    """Accuracy against labelled calls: per field and per flag for one folder, or per writing
    style with the learned reading trained without the style it is scored on (--styles)."""
    import json as jsonlib

    settings = _settings(config, work_dir, model=model, policy=policy)
    if styles == (labels_dir is not None):
        err.print("[red]give a labels folder, or --styles for the per-style evaluation of --corpus[/red]")
        raise typer.Exit(2)
    if styles:
        figures = _evaluate_styles(settings, corpus, samples, real_calls, reading, only or [])
        if json_out is not None:
            json_out.parent.mkdir(parents=True, exist_ok=True)
            json_out.write_text(jsonlib.dumps(figures, indent=2) + "\n")
        return
    from callqa.eval.compare import audio_inputs, evaluate_records, evaluate_text, load_labels
    from callqa.eval.report import markdown_report, print_report

    labels = load_labels(labels_dir)
    if records is not None:
        mode, report = f"records in {records}", evaluate_records(labels, records)
    elif text:
        mode, report = "labelled transcripts (text only)", evaluate_text(labels, settings.policy)
    else:
        _check_ready(settings)
        from flows.score import score_calls

        inputs = audio_inputs(labels)
        if not inputs:
            err.print(f"[red]no audio next to the labels in {labels_dir}[/red]: use --text for text-only labels")
            raise typer.Exit(2)
        score_calls(inputs, out, settings, show_progress=sys.stderr.isatty())
        labels = [g for g in labels if any(p.stem == g["call_id"] for p in inputs)]
        mode, report = f"audio end to end ({len(inputs)} recordings, records in {out})", evaluate_records(labels, out)
    if markdown:
        print(markdown_report(report, f"{labels_dir} · {mode}"))
    else:
        print_report(console, report, f"{labels_dir} · {mode}")
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(jsonlib.dumps(report.summary(), indent=2))


def _evaluate_styles(settings: Settings, corpus: Path, samples: Path | None, real_calls: Path | None, reading: str,
                     only: list[str]) -> dict:
    from callqa.eval.styles import READINGS, real_call_controls, run_styles, style_labels
    from nlp.policy import cached_policy

    chosen = list(READINGS) if reading == "both" else [reading]
    if any(r not in READINGS for r in chosen):
        err.print("[red]--reading must be rules, combined or both[/red]")
        raise typer.Exit(2)
    if not (corpus / "styles").is_dir():
        err.print(f"[red]no styles/ folder in {corpus}[/red]")
        raise typer.Exit(2)
    policy = cached_policy(str(settings.policy) if settings.policy else None)
    labels = style_labels(corpus, samples if samples and samples.is_dir() else None)
    if unknown := [s for s in only if s not in labels]:
        err.print(f"[red]no labelled style {', '.join(unknown)} in {corpus}[/red]: one of {', '.join(labels)}")
        raise typer.Exit(2)
    if only:
        labels = {s: labels[s] for s in only}
    controls = real_call_controls(real_calls) if real_calls and (real_calls / "hvb_src").is_dir() else []
    # plain print: a table to paste into the README, not one to wrap
    return run_styles(policy, labels, controls, chosen, on_result=lambda _, table: print(table, flush=True), pooled=bool(only))


@app.command("eval-public")
def evaluate_public(
    split: Annotated[str, typer.Option(help="banking77 split: test or train.")] = "test",
    limit: Annotated[Optional[int], typer.Option(help="An evenly spaced sample of this many queries.")] = None,
    policy: PolicyOpt = None,
) -> None:
    """Need accuracy on public customer-service data (banking77, ABCD in ../shared/data), mapped to the taxonomy."""
    _settings(None, None)
    from callqa.eval.public import PublicDataMissing, abcd_need_accuracy, banking77_need_accuracy
    from nlp.policy import load_policy

    loaded = load_policy(policy)
    table = Table("dataset", "split", "n", "skipped (unmapped)", "accuracy", title="need accuracy on public data")
    try:
        results = [banking77_need_accuracy(loaded, split, limit), abcd_need_accuracy(loaded)]
    except PublicDataMissing as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    for r in results:
        table.add_row(r.dataset, r.split, str(r.n), str(r.skipped), f"{r.accuracy:.3f}")
    console.print(table)
    for r in results:
        per_label = ", ".join(f"{label} {c['correct']}/{c['n']}" for label, c in sorted(r.per_label.items()))
        console.print(f"  {r.dataset} by label: {per_label}")


@app.command("models")
def list_models(work_dir: WorkDirOpt = None) -> None:
    """Which Whisper models are installed, where, and their sizes."""
    settings = _settings(None, work_dir)
    from models.registry import PACKAGED, installed_models

    table = Table("model", "status", "source", "path", "size")
    for name, resolved, problem in installed_models(settings.work_dir / "models"):
        if resolved is None:
            table.add_row(name, "[red]missing[/red]", " + ".join(PACKAGED[name].pip_names), problem, "")
        else:
            table.add_row(name, "[green]ready[/green]", resolved.source, str(resolved.path), f"{resolved.size_bytes / 1e6:.0f} MB")
    console.print(table)
    console.print(
        "A larger model (small, medium, ...) ships in no package: convert one to CTranslate2 elsewhere and pass "
        "its directory with --model DIR."
    )


users_app = typer.Typer(help="Reviewer accounts for `callqa serve` (scrypt-hashed passwords).", no_args_is_help=True)
app.add_typer(users_app, name="users")
UsersOpt = Annotated[Optional[Path], typer.Option("--users", help="Users file [default: WORK_DIR/users.json].")]


def _users_file(users: Path | None, work_dir: Path | None) -> Path:
    return users if users is not None else _settings(None, work_dir).work_dir / "users.json"


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The reviewer's login name (shown on their review decisions).")],
    users: UsersOpt = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")] = False,
    role: Annotated[str, typer.Option("--role", help="admin (manages users), reviewer (confirms/overturns) or auditor (reads and exports only).")] = "reviewer",
    work_dir: WorkDirOpt = None,
) -> None:
    """Add a user (or set a new password and role); prompts for the password."""
    from callqa.web.users import ROLES, UsersError, add_user

    if role not in ROLES:
        err.print(f"[red]--role is one of {', '.join(ROLES)}, not {role!r}[/red]")
        raise typer.Exit(2)
    _private_files()
    path = _users_file(users, work_dir)
    password = sys.stdin.readline().rstrip("\n") if password_stdin else typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        is_new = add_user(path, name, password, role)
    except UsersError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"{'added' if is_new else 'updated'} {name} ({role}) in {path}")


@users_app.command("remove")
def users_remove(
    name: Annotated[str, typer.Argument(help="The login name to remove.")],
    users: UsersOpt = None,
    work_dir: WorkDirOpt = None,
) -> None:
    """Remove a user (their past review decisions keep their name)."""
    from callqa.web.users import UsersError, remove_user

    _private_files()
    path = _users_file(users, work_dir)
    try:
        removed = remove_user(path, name)
    except UsersError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if not removed:
        err.print(f"[red]no user {name!r} in {path}[/red]")
        raise typer.Exit(1)
    console.print(f"removed {name} from {path}; a running `callqa serve` keeps its users until restarted")


@users_app.command("list")
def users_list(users: UsersOpt = None, work_dir: WorkDirOpt = None) -> None:
    """The reviewers in the users file."""
    from callqa.web.users import load_users

    path = _users_file(users, work_dir)
    accounts = load_users(path)
    for name in sorted(accounts.hashes):
        console.print(f"{name}\t{accounts.role(name)}")


@app.command()
def serve(
    out: Annotated[Path, typer.Option("--out", "-o", help="Serve the store of `callqa score --out DIR` (DIR/callqa.db).")] = Path("out"),
    db: Annotated[Optional[str], typer.Option("--db", help="Any store by URL (sqlite:///..., postgresql://...); overrides --out.")] = None,
    host: Annotated[str, typer.Option("--host", help="Interface to bind; anything but loopback needs users (`callqa users add`) and --recordings-root.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    recordings_root: Annotated[Optional[list[Path]], typer.Option("--recordings-root", help="Only serve audio under this folder (repeatable) [default: the folders of the stored calls' audio].")] = None,
    users: UsersOpt = None,
    cancellations: Annotated[Optional[Path], typer.Option("--cancellations", help="CSV of cancellations/returns (account, date, product) joined to sales.")] = None,
    cancel_window_days: Annotated[int, typer.Option("--cancel-window-days", min=0, help="A cancellation this many days after the sale or fewer is a quick cancel.")] = 30,
    ssl_certfile: Annotated[Optional[Path], typer.Option("--ssl-certfile", help="Serve HTTPS with this certificate (PEM).")] = None,
    ssl_keyfile: Annotated[Optional[Path], typer.Option("--ssl-keyfile", help="The certificate's private key (PEM).")] = None,
    insecure_http: Annotated[bool, typer.Option("--insecure-http", help="Serve off loopback over plain HTTP anyway (passwords in the clear: only behind a TLS proxy).")] = False,
    allowed_host: Annotated[Optional[list[str]], typer.Option("--allowed-host", help="A Host name the app answers besides 127.0.0.1, localhost and [::1] (repeatable; the name users type in the browser).")] = None,
    work_dir: WorkDirOpt = None,
) -> None:
    """The review web app: calls, call pages with audio at every piece of evidence, disclosure audit, agents."""
    import uvicorn

    from callqa.store.db import DB_FILE, StoreError, default_url, safe_url
    from callqa.web.app import ServeConfig, create_app
    from callqa.web.auth import is_loopback
    from callqa.web.cancellations import CancellationsError, load_cancellations
    from callqa.web.users import UsersError, load_users

    if db is None and not (out / DB_FILE).is_file():
        err.print(f"[red]no store at {out / DB_FILE}[/red]: run `callqa score ... --out {out}` first, or give --db URL")
        raise typer.Exit(2)
    users_path = _users_file(users, work_dir)
    try:
        accounts = load_users(users_path)
        cancelled = tuple(load_cancellations(cancellations)) if cancellations is not None else None
    except (UsersError, CancellationsError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if not is_loopback(host) and not accounts.hashes:
        err.print(f"[red]refusing to serve on {host} without users[/red]: add one with `callqa users add NAME` ({users_path}), or bind 127.0.0.1")
        raise typer.Exit(2)
    if not is_loopback(host) and not recordings_root:
        # The default roots are the folders the store's records name, so a hand-made record fed
        # to `callqa ingest` could name any folder: off the machine, the roots must be explicit.
        err.print(f"[red]refusing to serve on {host} without --recordings-root[/red]: name the folders the recordings live in")
        raise typer.Exit(2)
    hosts = list(allowed_host or [])
    if host not in ("0.0.0.0", "::", "") and not is_loopback(host):
        hosts.append(f"[{host}]" if ":" in host else host)  # the address it binds, typed in a browser
    if not is_loopback(host) and not (ssl_certfile and ssl_keyfile) and not insecure_http:
        # Basic credentials and the calls themselves would cross the network in the clear.
        err.print(f"[red]refusing to serve on {host} without TLS[/red]: give --ssl-certfile and --ssl-keyfile, "
                  "or --insecure-http when a TLS proxy on this machine terminates HTTPS")
        raise typer.Exit(2)
    from callqa.store.journal import journal_path

    journal = journal_path(out) if out.is_dir() else None
    config = ServeConfig(db or default_url(out), tuple(recordings_root or ()), accounts, cancelled, cancel_window_days, tuple(hosts), journal)
    try:
        web = create_app(config)
    except StoreError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    roots = web.state.callqa.roots
    scheme = "https" if ssl_certfile else "http"
    console.print(f"callqa review app on {scheme}://{host}:{port}/  (store {safe_url(config.db_url)})")
    console.print(f"  Host names answered: 127.0.0.1, localhost, [::1]{''.join(', ' + h for h in hosts)}")
    console.print(f"  review decisions journalled in {journal}" if journal else f"  [yellow]no decisions journal[/yellow]: {out} does not exist (give --out DIR beside the records)")
    console.print(f"  audio served only from: {', '.join(map(str, roots)) or '(no recordings)'}")
    console.print(f"  {'login required: ' + str(len(accounts.hashes)) + ' user(s) in ' + str(users_path) if accounts.hashes else 'no login (loopback only)'}")
    uvicorn.run(
        web, host=host, port=port, log_level="warning",
        ssl_certfile=str(ssl_certfile) if ssl_certfile else None, ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
    )


if __name__ == "__main__":
    app()
