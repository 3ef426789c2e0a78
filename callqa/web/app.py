"""`callqa serve`: the review web app (FastAPI, server-rendered Jinja2 pages, audio with HTTP
range requests). Every page reads the store through callqa.store.queries; nothing here
writes to it except add_decision, which appends and never touches the machine's verdicts."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import FastAPI, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware
from fastapi.templating import Jinja2Templates

from callqa.store.db import Store, open_store
from callqa.store.queries import (
    DecisionError,
    QueryError,
    add_decision,
    agent_summary,
    audio_paths,
    call_audio_source,
    count_disclosures,
    disclosure_rows,
    FilterOptions,
    filter_options,
    get_call,
    list_calls,
    page_count,
    sales,
)
from callqa.web import exports
from callqa.web.auth import BasicAuthMiddleware
from callqa.web.callview import ITEM_NAMES, clock, closing_attempts, segment_views
from callqa.web.cancellations import Cancellation, quick_cancels, rates_by_agent
from callqa.web.charts import Bar, bar_chart
from callqa.web.media import AudioRefused, default_roots, media_type, redacted_copy, resolve_audio
from callqa.web.security import SecurityHeadersMiddleware, allowed_hosts
from callqa.web.params import DISCLOSURE_ITEMS, KNOWN_FLAGS, DisclosureParams, Filters, ListParams
from callqa.web.users import MAY_DECIDE, Users

HERE = Path(__file__).parent
REVIEWER_COOKIE = "callqa_reviewer"
OPTIONS_TTL_S = 30.0


@dataclass(frozen=True)
class ServeConfig:
    db_url: str
    recordings_roots: tuple[Path, ...] = ()  # empty: the folders of the stored calls' audio
    users: Users = field(default_factory=lambda: Users({}))
    cancellations: tuple[Cancellation, ...] | None = None
    cancel_window_days: int = 30
    allowed_hosts: tuple[str, ...] = ()  # Host names besides the loopback ones (--allowed-host)
    journal: Path | None = None  # decisions journal beside the records (callqa.store.journal)


@dataclass
class AppState:
    store: Store
    roots: list[Path]
    config: ServeConfig
    options: FilterOptions | None = None  # for the filter forms, re-read every OPTIONS_TTL_S
    options_read_at: float = 0.0


def create_app(config: ServeConfig) -> FastAPI:
    store = open_store(config.db_url)
    app = FastAPI(title="callqa review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.callqa = AppState(store, _recordings_roots(store, config), config)
    _add_middleware(app, config)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    page = _page_renderer(app, store, config)
    _add_error_pages(app, page)
    _add_call_routes(app, store, config, page)
    _add_audit_routes(app, store, page)
    _add_agent_routes(app, store, config, page)
    return app


def _recordings_roots(store: Store, config: ServeConfig) -> list[Path]:
    """Where audio may be served from: the roots given, else the folders of the stored calls' audio."""
    if config.recordings_roots:
        return [Path(r).resolve() for r in config.recordings_roots]
    with store.session() as session:
        return default_roots(audio_paths(session))


def _add_middleware(app: FastAPI, config: ServeConfig) -> None:
    # Starlette runs the last added middleware first: headers on every answer, then the Host
    # check (DNS rebinding), then the login.
    if config.users.hashes:
        app.add_middleware(BasicAuthMiddleware, users=config.users)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(config.allowed_hosts), www_redirect=False)
    app.add_middleware(SecurityHeadersMiddleware)


Page = Callable[..., HTMLResponse]


def _page_renderer(app: FastAPI, store: Store, config: ServeConfig) -> Page:
    """`page(request, template, status_code=200, **context)`: a rendered page with the user, role
    and, on pages with the filter form, the values the store holds."""
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(clock=clock, item_names=ITEM_NAMES, items=DISCLOSURE_ITEMS, has_cancellations=config.cancellations is not None)
    templates.env.filters.update(pct=_pct, num=_num)

    def options() -> FilterOptions:
        # Distinct agents, needs and flag codes scan whole tables: read them at most every
        # OPTIONS_TTL_S seconds, not on every page.
        state: AppState = app.state.callqa
        if state.options is None or time.monotonic() - state.options_read_at > OPTIONS_TTL_S:
            with store.session() as session:
                state.options = filter_options(session)
            state.options_read_at = time.monotonic()
        return state.options

    def page(request: Request, name: str, status_code: int = 200, **context: object) -> HTMLResponse:
        user = getattr(request.state, "user", None)
        context.setdefault("may_decide", _may_decide(request))
        context.setdefault("role", getattr(request.state, "role", None))
        if "params" in context:  # a page with the filter form: offer the values the store holds
            held = options()
            context["options"] = held
            context["flag_options"] = [*KNOWN_FLAGS, *sorted(set(held.flag_codes) - set(KNOWN_FLAGS))]
        return templates.TemplateResponse(request, name, {"user": user, **context}, status_code=status_code)

    return page


def _add_error_pages(app: FastAPI, page: Page) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_params(request: Request, exc: RequestValidationError) -> Response:
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or 'query'}: {e['msg']}" for e in exc.errors()]
        if "text/html" in request.headers.get("accept", ""):
            return page(request, "error.html", 422, title="Invalid parameters", problems=problems)
        return JSONResponse({"detail": problems}, status_code=422)

    @app.exception_handler(QueryError)
    @app.exception_handler(DecisionError)
    async def bad_request(request: Request, exc: ValueError) -> Response:
        if "text/html" in request.headers.get("accept", ""):
            return page(request, "error.html", 400, title="Bad request", problems=[str(exc)])
        return JSONResponse({"detail": [str(exc)]}, status_code=400)



def _add_call_routes(app: FastAPI, store: Store, config: ServeConfig, page: Page) -> None:
    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/calls", status_code=307)

    @app.get("/calls", response_class=HTMLResponse)
    def calls(request: Request, params: Annotated[ListParams, Query()]) -> HTMLResponse:
        with store.session() as session:
            result = list_calls(session, params.call_filter(), params.sort, params.page, params.per_page)
        return page(request, "calls.html", result=result, params=params, title="Calls")

    @app.get("/calls/{call_id}", response_class=HTMLResponse)
    def call_page(request: Request, call_id: str) -> HTMLResponse:
        with store.session() as session:
            detail = get_call(session, call_id)
        if detail is None:
            return page(request, "error.html", 404, title="No such call", problems=[f"no call {call_id!r} in the store"])
        return page(
            request,
            "call.html",
            title=f"Call {call_id}",
            detail=detail,
            call=detail.call,
            segments=segment_views(detail),
            attempts=closing_attempts(detail),
            reviewer=request.cookies.get(REVIEWER_COOKIE, ""),
        )

    @app.get("/calls/{call_id}/audio")
    def call_audio(call_id: str) -> Response:
        return _audio_response(app, store, config, call_id)

    @app.post("/calls/{call_id}/decisions")
    def decide(
        request: Request,
        call_id: str,
        target_kind: Annotated[Literal["flag", "score_item"], Form()],
        target_key: Annotated[str, Form(min_length=1, max_length=255)],
        decision: Annotated[Literal["confirm", "overturn"], Form()],
        note: Annotated[str, Form(max_length=2000)] = "",
        reviewer: Annotated[str, Form(max_length=255)] = "",
    ) -> Response:
        # Browsers send Basic credentials with any site's form post: accept only our own pages'.
        origin = request.headers.get("origin")
        if request.headers.get("sec-fetch-site") == "cross-site" or (origin and urlsplit(origin).netloc != request.headers.get("host")):
            return PlainTextResponse("cross-site form posts are refused", status_code=403)
        if not _may_decide(request):  # the auth middleware refuses it first; checked here too
            return PlainTextResponse("this role cannot change anything", status_code=403)
        user = getattr(request.state, "user", None)
        who = user or reviewer.strip()
        with store.session() as session:
            add_decision(session, call_id, target_kind, target_key, decision, who, note, journal=config.journal)
        response = RedirectResponse(f"/calls/{call_id}#decisions", status_code=303)
        if user is None:
            response.set_cookie(REVIEWER_COOKIE, who, max_age=180 * 86400, httponly=True, samesite="strict")
        return response



def _add_audit_routes(app: FastAPI, store: Store, page: Page) -> None:
    @app.get("/disclosures", response_class=HTMLResponse)
    def disclosures(request: Request, params: Annotated[DisclosureParams, Query()]) -> HTMLResponse:
        narrow = {"item": params.item, "status": params.disclosure_status}
        with store.session() as session:
            total = count_disclosures(session, params.call_filter(), **narrow)
            rows = disclosure_rows(session, params.call_filter(), params.per_page, offset=(params.page - 1) * params.per_page, **narrow)
        offers: dict[tuple[str, str], list] = {}
        for row in rows:
            offers.setdefault((row.call_id, row.offer_id), []).append(row)
        return page(
            request, "disclosures.html", title="Disclosure audit", params=params, offers=offers, total=total,
            pages=page_count(total, params.per_page), export_query=params.query(page=None, per_page=None),
        )

    @app.get("/disclosures.csv")
    def disclosures_csv(params: Annotated[DisclosureParams, Query()]) -> Response:
        body = exports.to_csv(_all_disclosures(store, params))
        return Response(body, media_type="text/csv", headers={"Content-Disposition": 'attachment; filename="callqa-disclosures.csv"'})

    @app.get("/disclosures.json")
    def disclosures_json(params: Annotated[DisclosureParams, Query()]) -> Response:
        given = params.model_dump(mode="json", exclude={"page", "per_page"}, exclude_none=True)
        body = exports.to_json(_all_disclosures(store, params), given)
        return Response(body, media_type="application/json", headers={"Content-Disposition": 'attachment; filename="callqa-disclosures.json"'})



def _add_agent_routes(app: FastAPI, store: Store, config: ServeConfig, page: Page) -> None:
    @app.get("/agents", response_class=HTMLResponse)
    def agents(request: Request, params: Annotated[Filters, Query()]) -> HTMLResponse:
        with store.session() as session:
            summaries = agent_summary(session, params.call_filter())
            sold = sales(session, params.call_filter()) if config.cancellations is not None else []
        cancel_rates = {}
        if config.cancellations is not None:
            quick = quick_cancels(sold, list(config.cancellations), config.cancel_window_days)
            cancel_rates = {r.agent: r for r in rates_by_agent(sold, quick)}
        return page(
            request, "agents.html", title="Agents", params=params, summaries=summaries, cancel_rates=cancel_rates,
            charts=_agent_charts(summaries, cancel_rates, params), window=config.cancel_window_days,
        )

    @app.get("/cancellations", response_class=HTMLResponse)
    def cancellations(request: Request, params: Annotated[Filters, Query()]) -> HTMLResponse:
        if config.cancellations is None:
            return page(request, "error.html", 404, title="No cancellations file", problems=["start `callqa serve` with --cancellations FILE"])
        with store.session() as session:
            sold = sales(session, params.call_filter())
        quick = quick_cancels(sold, list(config.cancellations), config.cancel_window_days)
        return page(request, "cancellations.html", title="Quick cancellations", params=params, quick=quick, window=config.cancel_window_days,
                    rates=rates_by_agent(sold, quick))



def _audio_response(app: FastAPI, store: Store, config: ServeConfig, call_id: str) -> Response:
    """A call's recording (or its --redact-audio copy): only audio, only from the recordings roots."""
    with store.session() as session:
        stored, audio_path, stored_record, speaker_method = call_audio_source(session, call_id)
    if not stored:
        return PlainTextResponse("no such call", status_code=404)
    if speaker_method == "given":
        return PlainTextResponse("this call was scored from a transcript: it has no audio", status_code=404)
    state: AppState = app.state.callqa
    try:
        redacted = redacted_copy(stored_record, call_id)
        if redacted is not None:
            # the copy with silence over the masked PII, written by --redact-audio
            return FileResponse(redacted, media_type=media_type(redacted))
        try:
            path = resolve_audio(audio_path, state.roots)
        except AudioRefused as exc:
            if exc.status != 403 or config.recordings_roots:
                raise
            # Default roots follow the store: a call stored since startup may add a folder.
            with store.session() as session:
                state.roots = default_roots(audio_paths(session))
            path = resolve_audio(audio_path, state.roots)
        kind = media_type(path)
    except AudioRefused as exc:
        return PlainTextResponse(exc.reason, status_code=exc.status)
    # Starlette's FileResponse answers Range requests (206 + Content-Range), so the
    # browser seeks in long recordings without downloading them. Inline, never a download
    # name taken from the file.
    return FileResponse(path, media_type=kind)


def _may_decide(request: Request) -> bool:
    """Without users (loopback, no login) the local session reviews; with users, by role."""
    role = getattr(request.state, "role", None)
    return getattr(request.state, "user", None) is None or role in MAY_DECIDE


def _all_disclosures(store: Store, params: DisclosureParams) -> list:
    with store.session() as session:
        return disclosure_rows(session, params.call_filter(), item=params.item, status=params.disclosure_status)


def _agent_charts(summaries: list, cancel_rates: dict, params: Filters) -> list[str]:
    def link(agent: str | None, **extra: object) -> str | None:
        return None if agent is None else f"/calls?{params.query(agent=agent, **extra)}"

    def name(agent: str | None) -> str:
        return agent or "(no agent)"

    charts = [
        bar_chart("Average score", [Bar(name(s.agent), s.average_score or 0, _num(s.average_score, 0), link(s.agent, sort="score")) for s in summaries], max_value=100),
        bar_chart("Offers per call", [Bar(name(s.agent), s.offers_per_call, _num(s.offers_per_call, 2), link(s.agent, sort="-flags")) for s in summaries]),
        bar_chart("Need-fit rate", [Bar(name(s.agent), s.need_fit_rate or 0, _pct(s.need_fit_rate), link(s.agent, flag="OFFER_WITHOUT_NEED")) for s in summaries], max_value=1),
        bar_chart("Closing attempts per offer", [Bar(name(s.agent), s.closing_attempts_per_offer or 0, _num(s.closing_attempts_per_offer, 2), link(s.agent, flag="EXCESSIVE_CLOSING_ATTEMPTS")) for s in summaries]),
    ]
    compliance = []
    for s in summaries:
        values = list(s.disclosure_compliance.values())
        mean = sum(values) / len(values) if values else None
        href = None if s.agent is None else f"/disclosures?{params.query(agent=s.agent)}"
        compliance.append(Bar(name(s.agent), mean or 0, _pct(mean), href))
    charts.append(bar_chart("Disclosure compliance (mean of items)", compliance, max_value=1))
    if cancel_rates:
        charts.append(bar_chart("Quick-cancel rate", [Bar(name(a), r.rate or 0, _pct(r.rate), None if a is None else f"/cancellations?{params.query(agent=a)}") for a, r in cancel_rates.items()], max_value=1))
    return charts


# The pages' `pct` and `num` filters, and the charts' value labels: one format for both.
def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f} %"


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
