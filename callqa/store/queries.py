"""Read API of the store, for the review app and exports: plain functions over a Session.

    list_calls(session, filters=CallFilter(), sort="-date", page=1, page_size=50) -> CallPage
        rows of one page (CallRow), the total matching, calls per status, and calls per flag
        code under every filter except the flag filter (facet counts for the top of the list).
    get_call(session, call_id) -> CallDetail | None
        the Call row with segments (sentiment per segment), offers (disclosures, closing
        attempts, response, recap evidence), flags and score items (each with evidence), the
        need evidence, and every review decision, oldest first, by (target_kind, target_key).
    disclosure_rows(session, filters=CallFilter(), limit=None) -> list[DisclosureRow]
        one row per offer x disclosure item of the matching calls, with its evidence (or none
        when never said) and the review decisions on the flags of that offer: the auditors' export.
    agent_summary(session, filters=CallFilter()) -> list[AgentSummary]
        per agent over the filtered calls (typically date_from/date_to): calls, offers per call,
        need-fit rate, closing attempts per offer, calls over the maximum, attempts after a
        decline, disclosure compliance per item, sales to upset customers, average score.
    filter_options(session) -> FilterOptions
        the values the list's filters can take (agents, teams, queues, needs, flag codes, date span).
    sales(session, filters=CallFilter()) -> list[SaleRow]
        accepted offers with agent, date and customer account: for joining cancellations.
    add_decision(session, call_id, target_kind, target_key, decision, reviewer, note="") -> ReviewDecision
        a review decision on a flag (target_key = Flag.key) or score item (ScoreItem.item_id) of a
        stored call; validated, committed. Decisions are appended, never updated.

Bad filter or paging values raise QueryError (a ValueError) with a message fit for a 400.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import Select, and_, case, exists, func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.selectable import ScalarSelect

from nlp.vocabulary import RECORD_STATUSES
from callqa.store.models import DECISIONS, TARGET_KINDS, Call, Disclosure, Evidence, Flag, Offer, ReviewDecision, ScoreItem

SORTS = {
    "score": (Call.score_value.asc().nulls_last(),),
    "-score": (Call.score_value.desc().nulls_last(),),
    "flags": (Call.flag_count.asc(),),
    "-flags": (Call.flag_count.desc(),),
    "date": (Call.call_date.asc().nulls_last(), Call.started_at.asc().nulls_last()),
    "-date": (Call.call_date.desc().nulls_last(), Call.started_at.desc().nulls_last()),
    "call_id": (),
}
MAX_PAGE_SIZE = 500
STATUSES = RECORD_STATUSES
DISCLOSED = ("disclosed_before_consent", "disclosed_after_consent")
UPSET_FLAG = "OFFER_TO_UPSET_CUSTOMER"
OVER_MAX_FLAG = "EXCESSIVE_CLOSING_ATTEMPTS"


class QueryError(ValueError):
    """A filter, sort or paging value the store cannot use."""


@dataclass(frozen=True)
class CallFilter:
    """Every field optional; all given fields must hold (AND). Dates are inclusive."""

    flag: str | None = None  # calls with at least one flag of this code
    agent: str | None = None
    team: str | None = None
    queue: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    need: str | None = None
    score_min: float | None = None  # score band, inclusive; calls without a score never match a band
    score_max: float | None = None
    status: str | None = None  # scored | failed
    customer_account: str | None = None
    needs_review: bool | None = None  # True: calls a reviewer should look at first (unsure flags, poor transcript)

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in STATUSES:
            raise QueryError(f"status must be one of {', '.join(STATUSES)}, not {self.status!r}")
        for name in ("score_min", "score_max"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 100:
                raise QueryError(f"{name} must be between 0 and 100, not {value}")
        if self.score_min is not None and self.score_max is not None and self.score_min > self.score_max:
            raise QueryError("score_min is above score_max")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise QueryError("date_from is after date_to")

    def without(self, name: str) -> CallFilter:
        return replace(self, **{name: None})


def _where(query: Select, f: CallFilter) -> Select:
    conditions = []
    for name, column in (("agent", Call.agent), ("team", Call.team), ("queue", Call.queue), ("need", Call.need_label), ("status", Call.status), ("customer_account", Call.customer_account)):
        value = getattr(f, name)
        if value is not None:
            conditions.append(column == value)
    if f.date_from is not None:
        conditions.append(Call.call_date >= f.date_from)
    if f.date_to is not None:
        conditions.append(Call.call_date <= f.date_to)
    if f.score_min is not None:
        conditions.append(Call.score_value >= f.score_min)
    if f.score_max is not None:
        conditions.append(Call.score_value <= f.score_max)
    if f.flag is not None:  # raised flags: needs_review ones are not verdicts yet
        conditions.append(exists().where(Flag.call_pk == Call.id, Flag.code == f.flag, Flag.status == "raised"))
    if f.needs_review is not None:
        conditions.append(Call.needs_review == f.needs_review)
    return query.where(*conditions) if conditions else query


@dataclass(frozen=True)
class CallRow:
    call_id: str
    status: str
    error_code: str | None
    agent: str | None
    team: str | None
    queue: str | None
    call_date: date | None
    started_at: datetime | None
    customer_account: str | None
    need_label: str | None
    need_confidence: float | None
    score_value: float | None
    flag_count: int
    offer_count: int
    duration_s: float | None
    stereo: bool | None
    speaker_method: str | None
    review_count: int = 0  # needs_review flags
    needs_review: bool = False
    flag_codes: tuple[str, ...] = ()  # raised flags, in record order, repeats kept


@dataclass(frozen=True)
class CallPage:
    rows: list[CallRow]
    total: int  # calls matching the filters
    page: int
    page_size: int
    flag_counts: dict[str, int]  # flag code -> calls with it, under all filters but `flag`
    status_counts: dict[str, int]  # scored/failed -> calls, under all filters but `status`

    @property
    def pages(self) -> int:
        return page_count(self.total, self.page_size)


def page_count(total: int, page_size: int) -> int:
    """Pages of page_size rows that hold total rows (at least one, empty)."""
    return max(1, -(-total // page_size))


_ROW_COLUMNS = [getattr(Call, f.name) for f in fields(CallRow) if f.name != "flag_codes"]


def list_calls(session: Session, filters: CallFilter = CallFilter(), sort: str = "-date", page: int = 1, page_size: int = 50) -> CallPage:
    """One page of calls matching `filters`, sorted (`score`, `flags`, `date`, `call_id`; a
    leading `-` for descending); ties are broken by call_id so pages never overlap."""
    if sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    if not isinstance(page, int) or page < 1:
        raise QueryError(f"page must be a whole number from 1, not {page!r}")
    if not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise QueryError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, not {page_size!r}")
    total = session.scalar(_where(select(func.count(Call.id)), filters)) or 0
    query = _where(select(Call.id, *_ROW_COLUMNS), filters).order_by(*SORTS[sort], Call.call_id).limit(page_size).offset((page - 1) * page_size)
    found = session.execute(query).all()
    codes: dict[int, list[str]] = defaultdict(list)
    if found:
        for call_pk, code in session.execute(select(Flag.call_pk, Flag.code).where(Flag.call_pk.in_([r.id for r in found]), Flag.status == "raised").order_by(Flag.call_pk, Flag.position)):
            codes[call_pk].append(code)
    rows = [CallRow(*r[1:], flag_codes=tuple(codes[r.id])) for r in found]
    return CallPage(rows, total, page, page_size, flag_counts(session, filters.without("flag")), _status_counts(session, filters.without("status")))


def flag_counts(session: Session, filters: CallFilter = CallFilter()) -> dict[str, int]:
    """Flag code -> number of matching calls with at least one such flag."""
    query = _where(select(Flag.code, func.count(func.distinct(Flag.call_pk))).join(Call, Call.id == Flag.call_pk).where(Flag.status == "raised"), filters).group_by(Flag.code)
    return dict(sorted(session.execute(query).tuples().all()))


def _status_counts(session: Session, filters: CallFilter) -> dict[str, int]:
    query = _where(select(Call.status, func.count(Call.id)), filters).group_by(Call.status)
    return dict(session.execute(query).tuples().all())


@dataclass
class CallDetail:
    call: Call  # .segments, .offers (.disclosures, .evidence), .flags (.evidence), .score_items (.evidence)
    need_evidence: Evidence | None
    decisions: dict[tuple[str, str], list[ReviewDecision]] = field(default_factory=dict)  # (kind, key) -> oldest first

    def decisions_for(self, target_kind: str, target_key: str) -> list[ReviewDecision]:
        return self.decisions.get((target_kind, target_key), [])

    def latest_decision(self, target_kind: str, target_key: str) -> ReviewDecision | None:
        found = self.decisions_for(target_kind, target_key)
        return found[-1] if found else None


def _chunks(values: list[str], size: int = 500) -> Iterator[list[str]]:
    """Slices of at most `size` values, so an IN (...) list stays under the drivers' parameter limits."""
    for i in range(0, len(values), size):
        yield values[i : i + size]


def get_call(session: Session, call_id: str) -> CallDetail | None:
    """Everything the call page shows, loaded up front (usable after the session closes)."""
    call = session.scalars(
        select(Call)
        .where(Call.call_id == call_id)
        .options(
            selectinload(Call.segments),
            selectinload(Call.offers).selectinload(Offer.disclosures).selectinload(Disclosure.evidence),
            selectinload(Call.offers).selectinload(Offer.evidence),
            selectinload(Call.flags).selectinload(Flag.evidence),
            selectinload(Call.score_items).selectinload(ScoreItem.evidence),
            selectinload(Call.evidence),
        )
        .execution_options(populate_existing=True)  # never a stale copy from earlier in the session
    ).first()
    if call is None:
        return None
    need = next((e for e in call.evidence if e.role == "need"), None)
    return CallDetail(call, need, decisions_by_target(session, [call_id]).get(call_id, {}))


def decisions_by_target(session: Session, call_ids: list[str]) -> dict[str, dict[tuple[str, str], list[ReviewDecision]]]:
    """call_id -> (target_kind, target_key) -> decisions, oldest first."""
    out: dict[str, dict[tuple[str, str], list[ReviewDecision]]] = defaultdict(lambda: defaultdict(list))
    for chunk in _chunks(call_ids):
        query = select(ReviewDecision).where(ReviewDecision.call_id.in_(chunk)).order_by(ReviewDecision.created_at, ReviewDecision.id)
        for d in session.scalars(query):
            out[d.call_id][(d.target_kind, d.target_key)].append(d)
    return {k: dict(v) for k, v in out.items()}


@dataclass(frozen=True)
class DisclosureRow:
    call_id: str
    agent: str | None
    call_date: date | None
    audio_path: str | None
    offer_id: str
    product: str
    customer_response: str
    consent_time: float | None
    item: str
    status: str
    before_consent: bool | None  # None: never said
    quote: str | None
    speaker: str | None
    start: float | None
    end: float | None
    segment_id: str | None
    rule: str | None
    decisions: tuple[str, ...] = ()  # "confirm|overturn <flag key> by <reviewer> at <time>: <note>" on this offer's flags


def _disclosure_conditions(filters: CallFilter, item: str | None, status: str | None) -> list:
    conditions = [Disclosure.call_pk.in_(_where(select(Call.id), filters).scalar_subquery())]
    if item is not None:
        conditions.append(Disclosure.item == item)
    if status is not None:
        conditions.append(Disclosure.status == status)
    return conditions


def count_disclosures(session: Session, filters: CallFilter = CallFilter(), item: str | None = None, status: str | None = None) -> int:
    """How many rows disclosure_rows would return for the same arguments (without limit)."""
    return session.scalar(select(func.count(Disclosure.id)).where(*_disclosure_conditions(filters, item, status))) or 0


def disclosure_rows(
    session: Session,
    filters: CallFilter = CallFilter(),
    limit: int | None = None,
    *,
    item: str | None = None,  # one disclosure item (price, recurring_charge, ...)
    status: str | None = None,  # one status (missing, disclosed_after_consent, ...)
    offset: int = 0,
) -> list[DisclosureRow]:
    """Every disclosure item of every offer in the matching calls, by call and time."""
    query = (
        select(
            Call.call_id, Call.agent, Call.call_date, Call.audio_path,
            Offer.offer_id, Offer.product, Offer.customer_response, Offer.consent_time,
            Disclosure.item, Disclosure.status,
            Evidence.quote, Evidence.speaker, Evidence.start, Evidence.end, Evidence.segment_id, Evidence.rule,
        )
        .join(Offer, Offer.id == Disclosure.offer_pk)
        .join(Call, Call.id == Disclosure.call_pk)
        .outerjoin(Evidence, and_(Evidence.disclosure_pk == Disclosure.id, Evidence.position == 0))
        .where(*_disclosure_conditions(filters, item, status))
        .order_by(Call.call_date.asc().nulls_last(), Call.call_id, Offer.position, Disclosure.position)
    )
    if limit is not None or offset:
        query = query.limit(limit).offset(offset)
    found = session.execute(query).all()
    offer_flags: dict[tuple[str, str], list[str]] = defaultdict(list)
    call_ids = sorted({r.call_id for r in found})
    for chunk in _chunks(call_ids):
        flag_query = select(Call.call_id, Flag.key, Flag.offer_id).join(Call, Call.id == Flag.call_pk).where(Call.call_id.in_(chunk), Flag.offer_id.is_not(None))
        for call_id, key, offer_id in session.execute(flag_query):
            offer_flags[(call_id, offer_id)].append(key)
    decided = decisions_by_target(session, call_ids)
    rows = []
    for r in found:
        notes = tuple(
            f"{d.decision} {key} by {d.reviewer} at {d.created_at:%Y-%m-%d %H:%M}" + (f": {d.note}" if d.note else "")
            for key in offer_flags.get((r.call_id, r.offer_id), [])
            for d in decided.get(r.call_id, {}).get(("flag", key), [])
        )
        said = r.status in DISCLOSED
        rows.append(
            DisclosureRow(
                r.call_id, r.agent, r.call_date, r.audio_path, r.offer_id, r.product, r.customer_response, r.consent_time,
                r.item, r.status, (r.status == "disclosed_before_consent") if said else None,
                r.quote, r.speaker, r.start, r.end, r.segment_id, r.rule, notes,
            )
        )
    return rows


@dataclass(frozen=True)
class AgentSummary:
    agent: str | None  # None: calls without an agent in their metadata
    calls: int  # scored calls
    failed_calls: int
    offers: int
    offers_per_call: float
    need_fit_rate: float | None  # share of offers that fit the customer's need
    closing_attempts: int
    closing_attempts_per_offer: float | None
    calls_over_max: int  # calls flagged EXCESSIVE_CLOSING_ATTEMPTS
    attempts_after_decline: int
    sales: int  # accepted offers
    sales_to_upset: int  # accepted offers flagged OFFER_TO_UPSET_CUSTOMER
    average_score: float | None
    # item -> share of applicable items on accepted offers disclosed before consent
    disclosure_compliance: dict[str, float] = field(default_factory=dict)


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _per_agent_calls(session: Session, matching: ScalarSelect) -> list:
    """Per agent: scored and failed calls, offers, closing attempts (and after a decline), average score."""
    return session.execute(
        select(
            Call.agent,
            func.sum(case((Call.status == "scored", 1), else_=0)),
            func.sum(case((Call.status == "failed", 1), else_=0)),
            func.sum(Call.offer_count),
            func.sum(Call.closing_attempts),
            func.sum(Call.closing_attempts_after_decline),
            func.avg(Call.score_value),
        )
        .where(Call.id.in_(matching))
        .group_by(Call.agent)
    ).all()


def _per_agent_offers(session: Session, matching: ScalarSelect) -> dict[str | None, tuple[int, int]]:
    """Per agent: offers that fit the need, and sales (accepted offers)."""
    rows = session.execute(
        select(
            Call.agent,
            func.sum(case((Offer.need_fit.is_(True), 1), else_=0)),
            func.sum(case((Offer.customer_response == "accepted", 1), else_=0)),
        )
        .join(Call, Call.id == Offer.call_pk)
        .where(Call.id.in_(matching))
        .group_by(Call.agent)
    )
    return {agent: (int(fit or 0), int(sales or 0)) for agent, fit, sales in rows}


def _per_agent_calls_over_max(session: Session, matching: ScalarSelect) -> dict[str | None, int]:
    return dict(
        session.execute(
            select(Call.agent, func.count(func.distinct(Flag.call_pk)))
            .join(Call, Call.id == Flag.call_pk)
            .where(Call.id.in_(matching), Flag.code == OVER_MAX_FLAG, Flag.status == "raised")
            .group_by(Call.agent)
        ).tuples().all()
    )


def _per_agent_sales_to_upset(session: Session, matching: ScalarSelect) -> dict[str | None, int]:
    upset_offer = exists().where(Flag.call_pk == Offer.call_pk, Flag.code == UPSET_FLAG, Flag.offer_id == Offer.offer_id, Flag.status == "raised")
    return dict(
        session.execute(
            select(Call.agent, func.count(Offer.id))
            .join(Call, Call.id == Offer.call_pk)
            .where(Call.id.in_(matching), Offer.customer_response == "accepted", upset_offer)
            .group_by(Call.agent)
        ).tuples().all()
    )


def _per_agent_compliance(session: Session, matching: ScalarSelect) -> dict[str | None, dict[str, float]]:
    """Per agent and disclosure item: the share of sales where it was stated before the yes."""
    compliance: dict[str | None, dict[str, float]] = defaultdict(dict)
    for agent, item, before, applicable in session.execute(
        select(
            Call.agent,
            Disclosure.item,
            func.sum(case((Disclosure.status == "disclosed_before_consent", 1), else_=0)),
            func.count(Disclosure.id),
        )
        .join(Offer, Offer.id == Disclosure.offer_pk)
        .join(Call, Call.id == Disclosure.call_pk)
        .where(Call.id.in_(matching), Offer.customer_response == "accepted", Disclosure.status != "not_applicable")
        .group_by(Call.agent, Disclosure.item)
    ):
        compliance[agent][item] = before / applicable
    return compliance


def agent_summary(session: Session, filters: CallFilter = CallFilter()) -> list[AgentSummary]:
    """Per agent over the matching calls (failed calls counted apart), by agent name."""
    matching = _where(select(Call.id), filters.without("status")).scalar_subquery()
    offers = _per_agent_offers(session, matching)
    over_max = _per_agent_calls_over_max(session, matching)
    upset_sales = _per_agent_sales_to_upset(session, matching)
    compliance = _per_agent_compliance(session, matching)
    out = []
    for agent, scored, failed, offer_total, attempts, after_decline, avg_score in _per_agent_calls(session, matching):
        offer_total, attempts = int(offer_total or 0), int(attempts or 0)
        fit, sales = offers.get(agent, (0, 0))
        out.append(
            AgentSummary(
                agent=agent,
                calls=int(scored or 0),
                failed_calls=int(failed or 0),
                offers=offer_total,
                offers_per_call=offer_total / scored if scored else 0.0,
                need_fit_rate=_ratio(fit, offer_total),
                closing_attempts=attempts,
                closing_attempts_per_offer=_ratio(attempts, offer_total),
                calls_over_max=over_max.get(agent, 0),
                attempts_after_decline=int(after_decline or 0),
                sales=sales,
                sales_to_upset=upset_sales.get(agent, 0),
                average_score=float(avg_score) if avg_score is not None else None,
                disclosure_compliance=dict(sorted(compliance.get(agent, {}).items())),
            )
        )
    return sorted(out, key=lambda s: (s.agent is None, s.agent or ""))


@dataclass(frozen=True)
class FilterOptions:
    agents: list[str]
    teams: list[str]
    queues: list[str]
    needs: list[str]
    flag_codes: list[str]
    first_date: date | None
    last_date: date | None


def filter_options(session: Session) -> FilterOptions:
    def distinct(column) -> list[str]:  # noqa: ANN001  (an ORM column)
        return list(session.scalars(select(column).where(column.is_not(None)).distinct().order_by(column)))

    first, last = session.execute(select(func.min(Call.call_date), func.max(Call.call_date))).one()
    return FilterOptions(distinct(Call.agent), distinct(Call.team), distinct(Call.queue), distinct(Call.need_label), distinct(Flag.code), first, last)


@dataclass(frozen=True)
class SaleRow:
    call_id: str
    agent: str | None
    call_date: date | None
    customer_account: str | None
    offer_id: str
    product: str
    consent_time: float | None


def sales(session: Session, filters: CallFilter = CallFilter()) -> list[SaleRow]:
    """Accepted offers of the matching calls, by date: what a cancellations file is joined to."""
    query = _where(
        select(Call.call_id, Call.agent, Call.call_date, Call.customer_account, Offer.offer_id, Offer.product, Offer.consent_time)
        .join(Call, Call.id == Offer.call_pk)
        .where(Offer.customer_response == "accepted"),
        filters,
    ).order_by(Call.call_date.asc().nulls_last(), Call.call_id, Offer.position)
    return [SaleRow(*r) for r in session.execute(query)]


class DecisionError(ValueError):
    """A review decision that cannot be recorded: unknown call or target, bad values."""


def add_decision(
    session: Session,
    call_id: str,
    target_kind: str,
    target_key: str,
    decision: str,
    reviewer: str,
    note: str = "",
    journal: Path | None = None,
) -> ReviewDecision:
    """Record (and commit) a reviewer's verdict on a flag or score item of a stored call.

    With `journal` (callqa.store.journal), the decision is first appended and fsynced there,
    beside the records, so a store rebuilt from the records keeps it."""
    if target_kind not in TARGET_KINDS:
        raise DecisionError(f"target_kind must be one of {', '.join(TARGET_KINDS)}, not {target_kind!r}")
    if decision not in DECISIONS:
        raise DecisionError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    reviewer = (reviewer or "").strip()
    if not reviewer:
        raise DecisionError("a decision needs the reviewer's name")
    call_pk = session.scalar(select(Call.id).where(Call.call_id == call_id))
    if call_pk is None:
        raise DecisionError(f"no call {call_id!r} in the store")
    if target_kind == "flag":
        verdict = session.scalar(select(Flag.code).where(Flag.call_pk == call_pk, Flag.key == target_key))
    else:
        verdict = session.scalar(select(ScoreItem.result).where(ScoreItem.call_pk == call_pk, ScoreItem.item_id == target_key))
    if verdict is None:
        raise DecisionError(f"call {call_id} has no {target_kind.replace('_', ' ')} {target_key!r}")
    row = ReviewDecision(
        call_id=call_id,
        target_kind=target_kind,
        target_key=target_key,
        decision=decision,
        note=(note or "").strip(),
        reviewer=reviewer,
        machine_verdict=verdict,
        created_at=datetime.now(timezone.utc),
    )
    session.add(row)
    if journal is None:
        session.commit()
        return row
    from callqa.store import journal as journals

    # Journalled first (fsynced), then committed, both under the journal's lock (see journals.locked).
    with journals.locked(journal) as fd:
        try:
            journals.write_line(fd, journals.decision_entry(row))
        except BaseException:
            session.rollback()
            raise
        session.commit()
    return row


def audio_paths(session: Session) -> list[str]:
    """Every distinct audio path the stored calls name (the review app's default recordings roots)."""
    return sorted(p for p in session.scalars(select(Call.audio_path).where(Call.audio_path.is_not(None)).distinct()))


def call_audio_path(session: Session, call_id: str) -> tuple[bool, str | None]:
    """(the call is stored, its audio path): one indexed lookup, for each range request of a player."""
    row = session.execute(select(Call.audio_path).where(Call.call_id == call_id)).first()
    return (row is not None, row.audio_path if row is not None else None)


def call_audio_source(session: Session, call_id: str) -> tuple[bool, str | None, str | None, str | None]:
    """(the call is stored, its audio path, its record path, its speaker method): what the review
    app needs to pick the file to play (none for a transcript input, whose method is "given";
    the --redact-audio copy beside the record when there is one)."""
    row = session.execute(
        select(Call.audio_path, Call.record_path, Call.speaker_method).where(Call.call_id == call_id)
    ).first()
    if row is None:
        return False, None, None, None
    return True, row.audio_path, row.record_path, row.speaker_method
