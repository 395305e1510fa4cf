"""The web pages' ASGI app (Starlette): sign-in, dashboard, worklist, customer sheet.

``create_app(context)`` builds it; ``context()`` returns the running service (or any object
with ``scorer``, ``ledger``, ``audit`` and ``not_ready``), read when a page is first asked for.
The service mounts it under ``/app``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from risk.ledger import Ledger
from risk.scoring import Scorer
from risk.serving.audit import AuditLog
from risk.serving.limits import FailureLimiter
from risk.serving.settings import ServiceSettings
from risk.web import pages
from risk.web.actions import DEFAULT_ACTIONS_URL, ActionError, ActionLog
from risk.web.i18n import LANGS, Translator, negotiate
from risk.web.security import (
    LANG_COOKIE,
    PRE_CSRF_COOKIE,
    Keys,
    SecurityHeaders,
    client_address,
    current_session,
    pre_csrf,
    prefix,
    safe_next,
    set_cookie,
)
from risk.web.sessions import COOKIE, IDLE_SECONDS, Session, SessionStore
from risk.web.state import PortfolioState

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
CHANGES_KEPT = 1000


def ledger_events(ledgers: Any) -> Callable[[Any], tuple[frozenset[str], Ledger, str, Any]]:
    """The service's ledger-events path for recorded actions: check, persist and publish the
    rows (``LedgerState.append``, as ``POST /ledger/events``); refused rows raise."""

    def append(frames: Any) -> tuple[frozenset[str], Ledger, str, Any]:
        check, snapshot = ledgers.append(frames)
        if sum(check.quarantined.values()):
            rules = "; ".join(
                f"{i.table} row {i.row} {i.column}: {i.rule}" for i in check.issues.itertuples()
            )
            raise ActionError(f"action not recorded, the ledger refused it: {rules}")
        # the service rescores the touched customers' open invoices right after publishing
        # (``LedgerState.complete``); waiting for it lets the pages decide them from its cache
        # instead of scoring and explaining the same invoices a second time
        settle = getattr(ledgers, "settle", None)
        if settle is not None:
            settle()
        current, cache = ledgers.view
        if current is None or current.version != snapshot.version:
            cache = None
        return check.customers, snapshot.ledger, snapshot.version, cache

    return append


class ServiceContext(Protocol):
    scorer: Scorer | None
    ledger: Ledger | None
    audit: AuditLog
    not_ready: str


class WebApp:
    """Shared objects of the pages: keys, sessions, actions, the portfolio state."""

    def __init__(self, context: Callable[[], ServiceContext], env: dict[str, str] | None = None):
        env = dict(os.environ if env is None else env)
        self.context = context
        self.settings = ServiceSettings.from_env(env)
        self.keys = Keys(self.settings)
        # failed sign-ins per client address, as the API counts failed keys (RISK_AUTH_FAILURES
        # a minute, then 429 with Retry-After)
        self.failures = FailureLimiter(self.settings.auth_failures)
        # the audit database by default: sessions outlive a restart. Opened on first use, so
        # that importing the service (which builds this app) creates no file.
        self._sessions_url = env.get("RISK_WEB_SESSIONS_URL") or self.settings.audit_url
        self._session_seconds = float(env.get("RISK_WEB_SESSION_MINUTES", IDLE_SECONDS / 60)) * 60
        self._sessions: SessionStore | None = None
        self.actions_url = env.get("RISK_ACTIONS_URL") or DEFAULT_ACTIONS_URL
        self.scores_url = env.get("RISK_SCORES_URL") or None
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self._state: PortfolioState | None = None
        self._lock = threading.RLock()
        self._changes: list[tuple[str, frozenset[str] | None]] = []
        self._changes_lock = threading.Lock()
        self._rebuilding: str | None = None

    @property
    def sessions(self) -> SessionStore:
        """The sign-in sessions, opened on first use."""
        with self._lock:
            if self._sessions is None:
                self._sessions = SessionStore(
                    self._sessions_url, idle_seconds=self._session_seconds
                )
            return self._sessions

    def state(self) -> PortfolioState | None:
        """The portfolio state of the service's current ledger version (None while the service
        has no model or no ledger).

        A new version whose changes are known (event batches: the customers they touched, same
        cut-off) is applied at once, for those customers only; any other change (a reload)
        rebuilds the state in a background thread, the pages showing the previous version
        until it is ready.
        """
        service = self.context()
        scorer = None if service is None else service.scorer
        view = None if service is None else self._view(service)
        if scorer is None or view is None:
            return None
        ledger, version, cache = view
        with self._lock:
            state = self._state
            if state is None:
                self._state = self._new_state(scorer, ledger, version, cache, service)
                return self._state
            if state.version == version:
                return state
            changed = self._changes_since(state.version, version)
            as_of = cache.as_of if cache is not None else None
            if changed is not None and as_of == state.as_of:
                state.advance(ledger, version, cache, changed)
                return state
            self._rebuild(scorer, ledger, version, cache, service)
            return state

    def loading(self) -> str | None:
        """The ledger version being loaded in the background (the pages meanwhile show the
        previous one), or None."""
        return self._rebuilding

    def _view(self, service: ServiceContext) -> tuple[Ledger, str, Any] | None:
        """(ledger, version, score cache) the service currently scores by id."""
        ledgers = getattr(service, "ledgers", None)
        if ledgers is None:  # an object with a fixed ledger (pages on their own, tests)
            return None if service.ledger is None else (service.ledger, "", None)
        self.attach(ledgers)
        snapshot, cache = ledgers.view
        if snapshot is None:
            return None
        return snapshot.ledger, snapshot.version, cache

    def attach(self, ledgers: Any) -> None:
        """Note the customers each new ledger version changed (wraps the ledger state's
        ``prepare`` hook once), so that the pages redo only those."""
        if getattr(ledgers, "_web_attached", False):
            return
        prepare = ledgers.prepare

        def noting(snapshot: Any, changed: frozenset[str] | None, previous: object) -> object:
            result = prepare(snapshot, changed, previous) if prepare is not None else None
            with self._changes_lock:
                self._changes.append((snapshot.version, changed))
                del self._changes[:-CHANGES_KEPT]
            return result

        ledgers.prepare = noting
        ledgers._web_attached = True

    def _changes_since(self, old: str, new: str) -> frozenset[str] | None:
        """Customers changed between two versions, or None when unknown (a reload)."""
        with self._changes_lock:
            versions = [v for v, _ in self._changes]
            if old not in versions or new not in versions:
                return None
            start, end = versions.index(old), versions.index(new)
            steps = [c for _, c in self._changes[start + 1 : end + 1]]
        if start >= end or any(c is None for c in steps):
            return None
        return frozenset().union(*steps)  # type: ignore[arg-type]

    def _rebuild(
        self, scorer: Scorer, ledger: Ledger, version: str, cache: Any, service: Any
    ) -> None:
        if self._rebuilding == version:
            return
        self._rebuilding = version

        def build() -> None:
            try:
                state = self._new_state(scorer, ledger, version, cache, service)
                state.snapshot()
            except Exception:  # the pages keep the previous version and report it in the log
                logger.exception("web pages: ledger %s not loaded", version)
                return
            with self._lock:
                self._state = state
                if self._rebuilding == version:
                    self._rebuilding = None
            logger.info("web pages on ledger %s", version)

        threading.Thread(target=build, name="risk-web-rebuild", daemon=True).start()

    def _new_state(
        self, scorer: Scorer, ledger: Ledger, version: str, cache: Any, service: Any
    ) -> PortfolioState:
        ledgers = getattr(service, "ledgers", None)
        with self._changes_lock:  # the version the changes that follow are counted from
            if version not in (v for v, _ in self._changes):
                self._changes.append((version, None))
        return PortfolioState(
            scorer, ledger, ActionLog(self.actions_url), scores_url=self.scores_url,
            version=version, cache=cache,
            events=None if ledgers is None else ledger_events(ledgers),
        )  # fmt: skip

    def warm(self, service: ServiceContext) -> None:
        """Build the portfolio state of ``service`` in a background thread (at start-up), so
        that the first page does not wait for the scores and the worklist."""
        ledgers = getattr(service, "ledgers", None)
        if ledgers is not None:
            self.attach(ledgers)

        def build() -> None:
            try:
                state = self.state()
                if state is not None:
                    state.snapshot()
                    logger.info("web pages ready")
            except Exception:  # the pages report it when asked; the API keeps serving
                logger.exception("web pages: portfolio state failed")

        threading.Thread(target=build, name="risk-web-warm", daemon=True).start()

    def audit(self) -> AuditLog | None:
        service = self.context()
        return None if service is None else service.audit

    def not_ready(self) -> str:
        service = self.context()
        if service is None:
            return "the service is starting"
        return service.not_ready or ("no ledger loaded" if service.ledger is None else "")

    # ------------------------------------------------------------ rendering

    def translator(self, request: Request) -> Translator:
        return Translator(
            negotiate(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))
        )

    def render(
        self,
        request: Request,
        template: str,
        session: Session | None,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        t = self.translator(request)
        base = prefix(request)
        response = self.templates.TemplateResponse(
            request,
            template,
            {
                "t": t,
                "lang": t.lang,
                "langs": LANGS,
                "u": lambda path: f"{base}{path}",
                "session": session,
                "current": request.url.path,
                **context,
            },
            status_code=status,
        )
        return response

    def error(
        self, request: Request, session: Session | None, status: int, key: str, detail: str
    ) -> HTMLResponse:
        return self.render(
            request, "error.html", session, status=status, title_key=key, detail=detail
        )

    def signin_redirect(self, request: Request, expired: bool = False) -> Response:
        target = f"{prefix(request)}/signin?next={request.url.path}"
        return RedirectResponse(target + ("&expired=1" if expired else ""), status_code=303)


# ---------------------------------------------------------------- routes


async def signin_page(request: Request) -> Response:
    web: WebApp = request.app.state.web
    token = pre_csrf(request)
    response = web.render(
        request,
        "signin.html",
        None,
        csrf=token,
        next=request.query_params.get("next", ""),
        expired=request.query_params.get("expired") == "1",
        signed_out=request.query_params.get("out") == "1",
        keys_error=web.keys.error,
    )
    set_cookie(request, response, PRE_CSRF_COOKIE, token, max_age=3600)
    return response


async def signin(request: Request) -> Response:
    web: WebApp = request.app.state.web
    form = await request.form()
    cookie_token = request.cookies.get(PRE_CSRF_COOKIE, "")
    if not cookie_token or form.get("csrf") != cookie_token:
        return web.error(request, None, 403, "forbidden", "CSRF token missing or wrong")
    address = client_address(request)
    wait = web.failures.retry_after(address)
    if wait is not None:
        logger.info(
            "web sign-in refused for %s: too many failed keys, retry in %d s", address, wait
        )
        response = web.render(
            request, "signin.html", None, status=429, csrf=cookie_token, next=form.get("next", ""),
            retry_after=wait, keys_error=web.keys.error,
        )  # fmt: skip
        response.headers["retry-after"] = str(wait)
        return response
    found = await run_in_threadpool(web.keys.sign_in, str(form.get("key", "")))
    if found is None:
        web.failures.record(address)
        token = pre_csrf(request)
        return web.render(
            request, "signin.html", None, status=401, csrf=token, next=form.get("next", ""),
            bad_key=True, keys_error=web.keys.error,
        )  # fmt: skip
    session_id, _ = web.sessions.create(*found)
    logger.info("web sign-in: key %s (%s)", *found)
    response = RedirectResponse(safe_next(request, str(form.get("next", ""))), status_code=303)
    set_cookie(request, response, COOKIE, session_id)
    response.delete_cookie(PRE_CSRF_COOKIE, path=prefix(request) or "/")
    return response


async def signout(request: Request) -> Response:
    web: WebApp = request.app.state.web
    session = current_session(request, web.sessions)
    form = await request.form()
    if session is not None and not session.csrf_ok(str(form.get("csrf", ""))):
        return web.error(request, session, 403, "forbidden", "CSRF token missing or wrong")
    web.sessions.delete(request.cookies.get(COOKIE))
    response = RedirectResponse(f"{prefix(request)}/signin?out=1", status_code=303)
    response.delete_cookie(COOKIE, path=prefix(request) or "/")
    return response


async def language(request: Request) -> Response:
    code = request.path_params["code"]
    response = RedirectResponse(safe_next(request, request.query_params.get("next")), 303)
    if code in LANGS:
        set_cookie(request, response, LANG_COOKIE, code, max_age=365 * 24 * 3600)
    return response


async def home(request: Request) -> Response:
    return RedirectResponse(f"{prefix(request)}/dashboard", status_code=303)


def create_app(
    context: Callable[[], ServiceContext], env: dict[str, str] | None = None
) -> Starlette:
    """The pages' ASGI app (see the module docstring)."""
    web = WebApp(context, env)
    routes = [
        Route("/", home),
        Route("/signin", signin_page, methods=["GET"]),
        Route("/signin", signin, methods=["POST"]),
        Route("/signout", signout, methods=["POST"]),
        Route("/lang/{code}", language),
        Route("/dashboard", pages.dashboard),
        Route("/worklist", pages.worklist),
        Route("/customers/{customer_id}", pages.customer),
        Route("/customers/{customer_id}/statement", pages.statement),
        Route("/customers/{customer_id}/letter", pages.letter),
        Route("/customers/{customer_id}/actions", pages.record_action, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)])
    app.state.web = web
    return app
