"""Call metadata (agent, team, queue, date, time, customer account): from a CSV or JSON
manifest keyed by call_id or file name, or from a regex over the file name.

A manifest error names the file and the line (CSV) or entry (JSON); the whole manifest is
checked before any call is scored.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, time
from pathlib import Path

FIELDS = ("agent", "team", "queue", "date", "time", "customer_account")
KEYS = ("call_id", "file")  # how a manifest entry names its call
ALIASES = {"filename": "file", "account": "customer_account", "customer": "customer_account"}


class MetadataError(ValueError):
    """A manifest or filename pattern is malformed; the message says where."""


@dataclass(frozen=True)
class CallMetadata:
    agent: str | None = None
    team: str | None = None
    queue: str | None = None
    date: date | None = None
    time: time | None = None
    customer_account: str | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["date"] = self.date.isoformat() if self.date else None
        data["time"] = self.time.isoformat() if self.time else None
        return data

    @classmethod
    def from_dict(cls, data: dict | None, where: str = "metadata") -> CallMetadata:
        """Values as strings (CSV cells, JSON, regex groups); unknown keys are an error."""
        data = {ALIASES.get(k, k): v for k, v in (data or {}).items()}
        unknown = sorted(set(data) - set(FIELDS))
        if unknown:
            raise MetadataError(f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}")
        clean = {k: (str(v).strip() or None) if v is not None else None for k, v in data.items()}
        when = clean.pop("date", None)
        at = clean.pop("time", None)
        day, clock = _parse_date(when, where), _parse_time(at, where)
        if when and "T" in when and clock is None:  # an ISO datetime in the date field
            clock = datetime.fromisoformat(when).time().replace(tzinfo=None)
        return cls(date=day, time=clock, **clean)

    def merged_over(self, base: CallMetadata) -> CallMetadata:
        """These values where set, `base`'s elsewhere."""
        return CallMetadata(**{f.name: getattr(self, f.name) if getattr(self, f.name) is not None else getattr(base, f.name) for f in fields(self)})

    @property
    def started_at(self) -> datetime | None:
        return datetime.combine(self.date, self.time) if self.date and self.time else None


def _parse_date(value: str | None, where: str) -> date | None:
    if not value:
        return None
    for parse in (date.fromisoformat, lambda v: datetime.strptime(v, "%Y%m%d").date(), lambda v: datetime.fromisoformat(v).date()):
        try:
            return parse(value)
        except ValueError:
            continue
    raise MetadataError(f"{where}: date {value!r} is not YYYY-MM-DD, YYYYMMDD or an ISO date-time")


def _parse_time(value: str | None, where: str) -> time | None:
    if not value:
        return None
    # strptime alone would read "0915" as 09:01:05 under %H%M%S: pick the format by shape.
    formats = ("%H:%M:%S", "%H:%M") if ":" in value else {4: ("%H%M",), 6: ("%H%M%S",)}.get(len(value), ())
    for fmt in formats:
        try:
            return datetime.strptime(value, fmt).time()
        except ValueError:
            continue
    raise MetadataError(f"{where}: time {value!r} is not HH:MM[:SS] or HHMM[SS]")


@dataclass(frozen=True)
class Manifest:
    """Metadata per call_id and per file name."""

    by_call_id: dict[str, CallMetadata]
    by_file: dict[str, CallMetadata]
    source: str = ""

    def lookup(self, call_id: str, path: Path | str | None = None) -> CallMetadata | None:
        if call_id in self.by_call_id:
            return self.by_call_id[call_id]
        if path is not None:
            name = Path(path).name
            return self.by_file.get(name) or self.by_file.get(Path(name).stem)
        return None

    def __len__(self) -> int:
        return len(self.by_call_id) + len(self.by_file)


def _entry(manifest: Manifest, row: dict, where: str) -> None:
    row = {ALIASES.get(str(k).strip(), str(k).strip()): v for k, v in row.items() if k is not None}
    named = {k: str(v).strip() for k in KEYS if (v := row.pop(k, None)) is not None}
    keys = {k: v for k, v in named.items() if v}  # a blank (or all-space) cell names nothing
    if not keys:
        raise MetadataError(f"{where}: no call_id or file given")
    meta = CallMetadata.from_dict(row, where)
    for key, table in (("call_id", manifest.by_call_id), ("file", manifest.by_file)):
        if key in keys:
            if keys[key] in table:
                raise MetadataError(f"{where}: {key} {keys[key]!r} appears twice in the manifest")
            table[keys[key]] = meta


def load_manifest(path: Path) -> Manifest:
    """A CSV (header row: call_id or file, then any of FIELDS) or JSON manifest (a list of
    objects, or an object mapping call_id to an object)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise MetadataError(f"cannot read metadata manifest {path}: {exc}") from exc
    manifest = Manifest({}, {}, str(path))
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MetadataError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
        if isinstance(data, dict):
            data = [{"call_id": k, **v} if isinstance(v, dict) else v for k, v in data.items()]
        if not isinstance(data, list):
            raise MetadataError(f"{path}: a JSON manifest is a list of objects or an object keyed by call_id")
        for i, row in enumerate(data, 1):
            if not isinstance(row, dict):
                raise MetadataError(f"{path}: entry {i} is not an object")
            _entry(manifest, row, f"{path}: entry {i}")
        return manifest
    reader = csv.DictReader(text.splitlines())
    header = [ALIASES.get(h.strip(), h.strip()) for h in reader.fieldnames or []]
    if not any(k in header for k in KEYS):
        raise MetadataError(f"{path}: line 1: the header needs a call_id or file column (found: {', '.join(header) or 'nothing'})")
    for row in reader:
        where = f"{path}: line {reader.line_num}"
        if None in row:
            raise MetadataError(f"{where}: more cells than header columns")
        _entry(manifest, row, where)
    return manifest


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A regex with named groups among FIELDS (e.g. `(?P<agent>[^_]+)_(?P<date>\\d{8})_.*`)."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise MetadataError(f"metadata_pattern {pattern!r} is not a valid regex: {exc}") from exc
    unknown = sorted(set(compiled.groupindex) - set(FIELDS))
    if unknown:
        raise MetadataError(f"metadata_pattern: unknown group(s) {', '.join(unknown)}; groups can be {', '.join(FIELDS)}")
    if not compiled.groupindex:
        raise MetadataError("metadata_pattern has no named groups such as (?P<agent>...)")
    return compiled


def from_filename(pattern: re.Pattern[str], path: Path | str) -> CallMetadata | None:
    """Metadata from the file name without its extension; None when it does not match."""
    match = pattern.fullmatch(Path(path).stem)
    if match is None:
        return None
    return CallMetadata.from_dict({k: v for k, v in match.groupdict().items() if v is not None}, f"file name {Path(path).name}")


def resolve(
    call_id: str,
    path: Path,
    manifest: Manifest | None,
    pattern: re.Pattern[str] | None,
    previous: CallMetadata | None = None,
) -> CallMetadata:
    """A call's metadata: the manifest entry, then the file-name pattern, then what the call's
    record already held (so a rerun without the manifest keeps it). Raises MetadataError when
    the file name matches the pattern with a bad value (a date like 20261399)."""
    given = (manifest.lookup(call_id, path) if manifest else None) or CallMetadata()
    named = (from_filename(pattern, path) if pattern else None) or CallMetadata()
    return given.merged_over(named.merged_over(previous or CallMetadata()))
