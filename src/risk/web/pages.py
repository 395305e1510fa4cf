"""Page handlers: dashboard, worklist, customer sheet, statement, recorded actions."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

import pandas as pd
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from risk.errors import LedgerError
from risk.scoring import UnknownEntityError
from risk.serving.audit import AuditRecord
from risk.web import views
from risk.web.actions import CHANNELS, KINDS, ActionError, CollectionAction
from risk.web.letters import next_action_letter
from risk.web.lookup import rows_of
from risk.web.security import current_session, prefix
from risk.web.sessions import COOKIE, Session
from risk.web.sheet import customer_sheet
from risk.web.state import PortfolioState
from risk.web.worklist import SORTS, Query

if TYPE_CHECKING:
    from risk.web.app import WebApp

logger = logging.getLogger(__name__)


class BadQueryError(ValueError):
    """A query-string or form value breaks a rule (400)."""


def _guard(request: Request) -> tuple[WebApp, Session | Response]:
    """The app and the live session, or the redirect to the sign-in page."""
    web: WebApp = request.app.state.web
    session = current_session(request, web.sessions)
    if session is None:
        return web, web.signin_redirect(request, expired=COOKIE in request.cookies)
    return web, session


async def _snapshot(
    web: WebApp, request: Request, session: Session
) -> tuple[PortfolioState, None] | tuple[None, Response]:
    state = await run_in_threadpool(web.state)
    if state is None:
        return None, web.error(request, session, 503, "not_ready", web.not_ready())
    return state, None


def _audit(web: WebApp, session: Session, endpoint: str, request: Request, **fields: Any) -> None:
    audit = web.audit()
    state = web.state()
    if audit is None or state is None:
        return
    digest = hashlib.sha256(f"{request.method} {request.url.path} {fields}".encode()).hexdigest()
    audit.write(
        AuditRecord(
            request_id=uuid.uuid4().hex,
            key_name=session.key_name,
            endpoint=endpoint,
            input_sha256=digest,
            latency_ms=float(fields.pop("latency_ms", 0.0)),
            model_versions=state.scorer.versions,
            **fields,
        )
    )


async def dashboard(request: Request) -> Response:
    web, session = _guard(request)
    if isinstance(session, Response):
        return session
    state, error = await _snapshot(web, request, session)
    if state is None:
        return error  # type: ignore[return-value]
    snap = await run_in_threadpool(state.snapshot)
    t = web.translator(request)
    return web.render(
        request, "dashboard.html", session, **views.dashboard_view(snap, t),
        fresh=views.freshness(snap, web.loading(), t),
    )  # fmt: skip


def parse_query(params: Any) -> Query:
    """The worklist's filters from a query string.

    Raises:
        BadQueryError: a value is not usable (the message names it).
    """
    grades = tuple(g for g in params.getlist("grade") if g)
    if any(len(g) != 1 or not g.isalpha() for g in grades):
        raise BadQueryError(f"grade {grades!r}: grade letters such as A or E")
    try:
        min_amount = float(params.get("min_amount") or 0)
        page = int(params.get("page") or 1)
    except ValueError as exc:
        raise BadQueryError(f"min_amount / page: {exc}") from exc
    sort = params.get("sort") or "at_risk"
    if sort not in SORTS:
        raise BadQueryError(f"sort {sort!r}: one of {', '.join(SORTS)}")
    return Query(
        grades=grades,
        sector=(params.get("sector") or "")[:2],
        action=(params.get("action") or "")[:40],
        owner=(params.get("owner") or "")[:40],
        min_amount=max(min_amount, 0.0),
        sort=sort,
        page=max(page, 1),
    )


async def worklist(request: Request) -> Response:
    web, session = _guard(request)
    if isinstance(session, Response):
        return session
    try:
        query = parse_query(request.query_params)
    except BadQueryError as exc:
        return web.error(request, session, 400, "bad_request", str(exc))
    state, error = await _snapshot(web, request, session)
    if state is None:
        return error  # type: ignore[return-value]
    snap = await run_in_threadpool(state.snapshot)
    prepared = await run_in_threadpool(snap.prepared)
    rows, matched = prepared.page(query)
    context = views.worklist_view(snap, rows, matched, query, request.query_params)
    partial = (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-target") == "worklist-results"
    )
    template = "_worklist_results.html" if partial else "worklist.html"
    fresh = views.freshness(snap, web.loading(), web.translator(request))
    return web.render(request, template, session, **context, fresh=fresh)


async def customer(request: Request) -> Response:
    web, session = _guard(request)
    if isinstance(session, Response):
        return session
    started = time.perf_counter()
    state, error = await _snapshot(web, request, session)
    if state is None:
        return error  # type: ignore[return-value]
    customer_id = request.path_params["customer_id"]
    snap = await run_in_threadpool(state.snapshot)
    try:
        sheet = await run_in_threadpool(
            customer_sheet, snap, customer_id, state.actions.read(customer_id)
        )
    except UnknownEntityError as exc:
        return web.error(request, session, 404, "not_found", str(exc))
    if not sheet.reasons_en:
        scored = await run_in_threadpool(
            state.scorer.score_customers, snap.ledger, snap.as_of, [customer_id], True
        )
        sheet = views.with_reasons(sheet, scored.iloc[0])
    await run_in_threadpool(
        _audit, web, session, "web_customer", request,
        customer_ids=[customer_id], probability=[float(sheet.score["probability"])],
        grade=[str(sheet.score["grade"])], latency_ms=(time.perf_counter() - started) * 1000,
    )  # fmt: skip
    t = web.translator(request)
    return web.render(
        request, "customer.html", session, **views.customer_view(snap, sheet, t),
        recorded=request.query_params.get("recorded") == "1", channels=CHANNELS,
        fresh=views.freshness(snap, web.loading(), t),
        history_note=views.history_note(state.history_progress, t),
    )  # fmt: skip


async def statement(request: Request) -> Response:
    web, session = _guard(request)
    if isinstance(session, Response):
        return session
    state, error = await _snapshot(web, request, session)
    if state is None:
        return error  # type: ignore[return-value]
    customer_id = request.path_params["customer_id"]
    snap = await run_in_threadpool(state.snapshot)
    try:
        sheet = await run_in_threadpool(customer_sheet, snap, customer_id, [])
    except UnknownEntityError as exc:
        return web.error(request, session, 404, "not_found", str(exc))
    await run_in_threadpool(
        _audit, web, session, "web_statement", request, customer_ids=[customer_id]
    )
    return web.render(request, "statement.html", session, sheet=sheet, as_of=snap.as_of)


async def letter(request: Request) -> Response:
    """The letter of the customer's next action, as a text file to download."""
    web, session = _guard(request)
    if isinstance(session, Response):
        return session
    state, error = await _snapshot(web, request, session)
    if state is None:
        return error  # type: ignore[return-value]
    customer_id = request.path_params["customer_id"]
    snap = await run_in_threadpool(state.snapshot)
    if customer_id not in snap.customers.index:
        return web.error(request, session, 404, "not_found", f"no open invoice of {customer_id}")
    lang = web.translator(request).lang
    invoice_id, text = await run_in_threadpool(
        next_action_letter, snap, customer_id, lang, state.config.rates
    )
    await run_in_threadpool(
        _audit, web, session, "web_letter", request,
        customer_ids=[customer_id], invoice_ids=[invoice_id],
    )  # fmt: skip
    return PlainTextResponse(
        text,
        headers={
            "content-disposition": f'attachment; filename="{customer_id}-{invoice_id}-{lang}.txt"'
        },
    )


def parse_action(form: Any, customer_id: str, row: pd.Series | None, as_of: pd.Timestamp,
                 key_name: str, open_ids: list[str]) -> CollectionAction:  # fmt: skip
    """The action a form records (invoices: those of the current action, else all open ones).

    Raises:
        ActionError: a field breaks a rule.
    """
    kind = str(form.get("kind", ""))
    if kind not in KINDS:
        raise ActionError(f"kind {kind!r}: one of {', '.join(KINDS)}")
    promised: dt.date | None = None
    if kind == "promise":
        try:
            promised = dt.date.fromisoformat(str(form.get("promised_on", "")))
        except ValueError as exc:
            raise ActionError(f"promised_on: a date YYYY-MM-DD ({exc})") from exc
    invoices = list(row["action_invoices"]) if row is not None and kind != "promise" else open_ids
    step = 0
    if row is not None:  # a reminder or call does the current step; others keep the one reached
        step = int(row["step"]) if kind in ("reminder", "call") else max(int(row["step"]) - 1, 0)
    channel = (
        str(form.get("channel", "")) if kind == "reminder" else ("phone" if kind == "call" else "")
    )
    return CollectionAction(
        customer_id=customer_id, invoice_ids=invoices, kind=kind, effective_on=as_of.date(),
        key_name=key_name, channel=channel, step=step, promised_on=promised,
        note=str(form.get("note", ""))[:1000],
    )  # fmt: skip


async def record_action(request: Request) -> Response:
    web, session = _guard(request)
    if isinstance(session, Response):
        return session
    form = await request.form()
    if not session.csrf_ok(str(form.get("csrf", ""))):
        return web.error(request, session, 403, "forbidden", "CSRF token missing or wrong")
    if not session.can_record:
        return web.error(request, session, 403, "forbidden", "viewer keys cannot record actions")
    state, error = await _snapshot(web, request, session)
    if state is None:
        return error  # type: ignore[return-value]
    customer_id = request.path_params["customer_id"]
    snap = await run_in_threadpool(state.snapshot)
    if customer_id not in snap.customers.index:
        return web.error(request, session, 404, "not_found", f"no open invoice of {customer_id}")
    row = snap.customers.loc[customer_id]
    open_ids = rows_of(snap.invoices, "customer_id", customer_id)["invoice_id"]
    try:
        action = parse_action(form, customer_id, row, snap.as_of, session.key_name, list(open_ids))
    except ActionError as exc:
        return web.error(request, session, 422, "bad_request", str(exc))
    try:
        snap = await run_in_threadpool(state.record, action)
    except ActionError as exc:
        return web.error(request, session, 422, "bad_request", str(exc))
    except LedgerError as exc:
        return web.error(request, session, 409, "bad_request", f"action not recorded: {exc}")
    await run_in_threadpool(
        _audit, web, session, "web_action", request,
        customer_ids=[customer_id], invoice_ids=list(action.invoice_ids),
    )  # fmt: skip
    if request.headers.get("hx-request") == "true":
        t = web.translator(request)
        new_row = snap.customers.loc[customer_id] if customer_id in snap.customers.index else None
        return web.render(
            request, "_worklist_row.html", session, row=new_row, customer_id=customer_id,
            as_of=snap.as_of, just_recorded=True, channels=CHANNELS,
            default_promise=views.default_promise(snap.as_of), t_=t,
        )  # fmt: skip
    back = str(form.get("back", "")) or f"{prefix(request)}/customers/{customer_id}?recorded=1"
    if not back.startswith(prefix(request) + "/"):
        back = f"{prefix(request)}/customers/{customer_id}?recorded=1"
    return RedirectResponse(back, status_code=303)
