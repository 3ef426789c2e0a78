"""The auditors' export: disclosure evidence for a filter as CSV or JSON, with the review
decisions taken on each offer's flags (the audit trail travels with the evidence)."""

from __future__ import annotations

import io
import json
from dataclasses import asdict, fields
from datetime import date, datetime

from callqa.csvsafe import SafeDictWriter
from callqa.store.queries import DisclosureRow

COLUMNS = [f.name for f in fields(DisclosureRow)]


def _plain(value: object) -> object:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def rows_as_dicts(rows: list[DisclosureRow]) -> list[dict]:
    return [{k: _plain(v) for k, v in asdict(r).items()} for r in rows]


def to_json(rows: list[DisclosureRow], filters: dict) -> str:
    return json.dumps({"filters": filters, "count": len(rows), "rows": rows_as_dicts(rows)}, indent=1)


def to_csv(rows: list[DisclosureRow]) -> str:
    buffer = io.StringIO()
    writer = SafeDictWriter(buffer, fieldnames=COLUMNS)  # formula-looking cells neutralised
    writer.writeheader()
    for row in rows_as_dicts(rows):
        row["decisions"] = " | ".join(row["decisions"])
        writer.writerow(row)
    return buffer.getvalue()
