"""Quick cancellations: a CSV of cancellations/returns (account, date, product) joined to the
sales made on calls. A sale cancelled within N days is the strongest sign of a pushed or
falsified sale, so the rate per agent is shown beside the call-based numbers."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rapidfuzz import fuzz

from callqa.store.queries import SaleRow

ACCOUNT_COLUMNS = ("account", "customer_account", "customer")
PRODUCT_MATCH = 80  # rapidfuzz token_set_ratio: "device protection" ~ "Device Protection Plan"


class CancellationsError(ValueError):
    """The cancellations file cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Cancellation:
    account: str
    date: date
    product: str | None  # None: the whole account (any product)


@dataclass(frozen=True)
class QuickCancel:
    sale: SaleRow
    cancellation: Cancellation
    days: int


@dataclass(frozen=True)
class AgentCancelRate:
    agent: str | None
    sales: int  # with an account and a date, so they can be joined
    quick_cancels: int

    @property
    def rate(self) -> float | None:
        return self.quick_cancels / self.sales if self.sales else None


def load_cancellations(path: Path) -> list[Cancellation]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            columns = {c.strip().lower(): c for c in reader.fieldnames or []}
            account_col = next((columns[c] for c in ACCOUNT_COLUMNS if c in columns), None)
            if account_col is None or "date" not in columns:
                raise CancellationsError(f"{path}: needs columns account and date (and optionally product); found {', '.join(columns) or 'none'}")
            found = []
            for line, row in enumerate(reader, start=2):
                account = (row.get(account_col) or "").strip()
                when = (row.get(columns["date"]) or "").strip()
                if not account or not when:
                    raise CancellationsError(f"{path}:{line}: account and date are required")
                try:
                    day = date.fromisoformat(when[:10])
                except ValueError as exc:
                    raise CancellationsError(f"{path}:{line}: date {when!r} is not YYYY-MM-DD") from exc
                product = (row.get(columns["product"]) or "").strip() if "product" in columns else ""
                found.append(Cancellation(account, day, product or None))
            return found
    except OSError as exc:
        raise CancellationsError(f"cannot read {path}: {exc}") from exc


def _same_product(sale: SaleRow, cancellation: Cancellation) -> bool:
    if cancellation.product is None:
        return True
    return fuzz.token_set_ratio(sale.product.lower(), cancellation.product.lower()) >= PRODUCT_MATCH


def quick_cancels(sales: list[SaleRow], cancellations: list[Cancellation], window_days: int) -> list[QuickCancel]:
    """Each sale cancelled on the call's day or within `window_days` after it (first match)."""
    by_account: dict[str, list[Cancellation]] = defaultdict(list)
    for c in sorted(cancellations, key=lambda c: c.date):  # sorted once, so each account's list is by date
        by_account[c.account].append(c)
    found = []
    for sale in sales:
        if sale.customer_account is None or sale.call_date is None:
            continue
        for c in by_account.get(sale.customer_account, []):
            days = (c.date - sale.call_date).days
            if 0 <= days <= window_days and _same_product(sale, c):
                found.append(QuickCancel(sale, c, days))
                break
    return found


def rates_by_agent(sales: list[SaleRow], quick: list[QuickCancel]) -> list[AgentCancelRate]:
    joinable: dict[str | None, int] = defaultdict(int)
    for sale in sales:
        if sale.customer_account is not None and sale.call_date is not None:
            joinable[sale.agent] += 1
    cancelled: dict[str | None, int] = defaultdict(int)
    for q in quick:
        cancelled[q.sale.agent] += 1
    return [AgentCancelRate(agent, n, cancelled[agent]) for agent, n in sorted(joinable.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))]
