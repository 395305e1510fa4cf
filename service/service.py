"""The payment-risk HTTP service (BentoML 1.4): validate, call ``risk.scoring``, audit.

Start it with ``risk serve`` or ``bentoml serve service.service:RiskService``. Settings come from
the environment (``risk.serving.settings``), read when the service starts. The ledger scored by
id is read through ``risk.store`` (a folder or a SQL database), reloaded when it changes and fed
by ``POST /ledger/events``; scores at its cut-off date are cached per ledger version
(``risk.serving.cache``).
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import bentoml
import pandas as pd
from starlette.responses import JSONResponse

from risk.errors import ConfigError, LedgerError, RiskError
from risk.ledger import Ledger
from risk.registry import ModelIntegrityError, ModelNotFoundError
from risk.scoring import Scorer, UnknownEntityError
from risk.serving import app, http_server, schemas, worklists
from risk.serving.audit import AuditLog, AuditRecord, AuditUnavailableError
from risk.serving.cache import ScoreCache, fill_invoices, update_cache
from risk.serving.guard import CANCELLED, KEY_NAME, RiskGuard, send_error
from risk.serving.logs import configure_logging
from risk.serving.redact import redact
from risk.serving.settings import ServiceSettings
from risk.store import FolderSource, LedgerSnapshot, LedgerState, open_source
from risk.web.app import create_app

logger = logging.getLogger(__name__)

T = TypeVar("T")

TIMEOUT_S = 30
MAX_CONCURRENCY = 32
SCORING_ROUTES = (
    "/score_customer",
    "/score_invoices",
    "/explain",
    "/models",
    "/worklist",
    "/ledger/events",
    "/forecast",
)
STATUS_ROUTE = "/ledger/status"


class RequestCancelledError(Exception):
    """The client went away: stop the work, audit nothing."""


def _current_service() -> Any:
    try:
        return bentoml.get_current_service()
    except Exception:
        return None


web_app = create_app(_current_service)  # the credit manager's pages (risk.web), under /app


@bentoml.asgi_app(web_app, path="/app")
@bentoml.service(
    name="risk_service",
    workers=1,
    traffic={"timeout": TIMEOUT_S, "max_concurrency": MAX_CONCURRENCY},
    labels={"project": "risk", "owner": "credit-management"},
)
class RiskService:
    """Scores customers and invoices of a B2B receivables ledger, with reasons, and audits it."""

    def __init__(self) -> None:
        configure_logging(loggers=(__name__,))
        self.settings = ServiceSettings.from_env()
        self.scorer: Scorer | None = None
        self.not_ready = ""
        try:
            self.scorer = app.load_scorer(self.settings)
            logger.info("models loaded: %s", self.scorer.versions)
            for warning in self.scorer.policy_warnings():
                logger.warning("%s", warning)
        except (ModelNotFoundError, ModelIntegrityError, ConfigError) as exc:
            self.not_ready = redact(f"no model to score with: {exc}")
            logger.error("service not ready: %s", self.not_ready)
        self.audit = AuditLog(self.settings.audit_url)
        self.ledgers = LedgerState(
            self._open_source(), prepare=self._cache, complete=self._cache_invoices
        )
        self.worklists = worklists.WorklistCache()
        self.ledgers.refresh()
        self.ledgers.watch(self.settings.ledger_poll_s)
        web_app.state.web.warm(self)

    @property
    def ledger(self) -> Ledger | None:
        """The ledger currently scored by id (read by the web pages)."""
        snapshot = self.ledgers.snapshot
        return None if snapshot is None else snapshot.ledger

    def _open_source(self) -> Any:
        try:
            return open_source(self.settings.ledger)
        except LedgerError as exc:
            logger.warning("ledger source %s: %s", redact(self.settings.ledger), exc)
            return FolderSource(Path(self.settings.ledger))

    def _cache(
        self, snapshot: LedgerSnapshot, changed: frozenset[str] | None, previous: object
    ) -> ScoreCache | None:
        if self.scorer is None:
            return None
        try:
            # an event's customers are rescored before it is published; their open invoices
            # right after, in the background (``_cache_invoices``)
            return update_cache(
                self.scorer,
                snapshot,
                changed,
                previous,  # type: ignore[arg-type]
                invoices_later=True,
            )
        except RiskError as exc:
            logger.warning("scores not cached for ledger %s: %s", snapshot.version, exc)
            return None

    def _cache_invoices(self, snapshot: LedgerSnapshot, cache: object) -> ScoreCache | None:
        if self.scorer is None or not isinstance(cache, ScoreCache):
            return None if cache is None else cache  # type: ignore[return-value]
        try:
            return fill_invoices(self.scorer, snapshot, cache)
        except RiskError as exc:  # the invoices of ``pending`` stay scored on demand
            logger.warning("invoice scores not cached for ledger %s: %s", snapshot.version, exc)
            return cache

    def readiness(self) -> str:
        """Why the service cannot serve scores ("" when it can)."""
        return self.not_ready or self.audit.check()

    def __is_ready__(self) -> bool:
        return not self.readiness()

    @bentoml.on_shutdown
    def close(self) -> None:
        self.ledgers.stop()
        self.audit.close()

    # ------------------------------------------------------------ endpoints

    @bentoml.api(route="/score_customer")
    def score_customer(
        self,
        request: schemas.CustomerScoreRequest,
        /,
        ctx: bentoml.Context = None,  # type: ignore[assignment]
    ) -> schemas.CustomerScore:
        """Probability of late payment, grade A-E, reason codes (EN/FR) and a credit-limit
        suggestion for one customer of the service's ledger or of an inline ledger."""

        def run(scorer: Scorer, request_id: str) -> tuple[schemas.CustomerScore, AuditRecord]:
            ledger, version, cache = self._ledger(request.ledger, request)
            customer_id = request.customer_id or request.ledger.customers[0].customer_id  # type: ignore[union-attr]
            as_of = _as_of(ledger, cache, request.as_of)
            out = (
                cache.answer(customer_id, request_id, scorer.versions, version)  # type: ignore[union-attr]
                if _hit(cache, as_of)
                else None
            )
            if out is None:
                _stop_if_cancelled(ctx)
                if customer_id in set(ledger.customers["customer_id"]):
                    app.check_customer_existed(ledger, customer_id, as_of)
                frame = scorer.score_customers(ledger, as_of, [customer_id], explain=True)
                out = app.customer_score(frame.iloc[0], request_id, scorer.versions, version)
            record = self._record(
                request_id,
                "score_customer",
                request,
                scorer,
                version,
                customer_ids=[customer_id],
                probability=[out.probability],
                grade=[out.grade],
            )
            return out, record

        return self._call(run, ctx)

    @bentoml.api(route="/score_invoices")
    def score_invoices(
        self,
        request: schemas.InvoiceScoreRequest,
        /,
        ctx: bentoml.Context = None,  # type: ignore[assignment]
    ) -> schemas.InvoiceScores:
        """P(late) of open invoices, expected amount at risk and reason codes per invoice."""

        def run(scorer: Scorer, request_id: str) -> tuple[schemas.InvoiceScores, AuditRecord]:
            app.check_rows("invoice_ids", request.invoice_ids, self.settings.max_rows)
            ledger, version, cache = self._ledger(request.ledger, request)
            as_of = _as_of(ledger, cache, request.as_of)
            ids = request.invoice_ids
            if ids == []:
                frame = pd.DataFrame(columns=["invoice_id", "probability"])
            elif ids and _hit(cache, as_of) and cache.has_invoices(ids):  # type: ignore[union-attr]
                frame = cache.invoices.loc[list(dict.fromkeys(ids))]  # type: ignore[union-attr]
            else:
                if ids:
                    app.check_invoices_existed(ledger, ids, as_of)
                _stop_if_cancelled(ctx)
                frame = scorer.score_invoices(ledger, as_of, ids, explain=request.explain)
            out = app.invoice_scores(frame, request_id, as_of, scorer.versions, version)
            record = self._record(
                request_id,
                "score_invoices",
                request,
                scorer,
                version,
                invoice_ids=[i.invoice_id for i in out.invoices],
                probability=[i.probability for i in out.invoices],
            )
            return out, record

        return self._call(run, ctx)

    @bentoml.api(route="/explain")
    def explain(
        self,
        request: schemas.ExplainRequest,
        /,
        ctx: bentoml.Context = None,  # type: ignore[assignment]
    ) -> schemas.Explanation:
        """Every SHAP contribution (log-odds) of one prediction, with the base value and inputs."""

        def run(scorer: Scorer, request_id: str) -> tuple[schemas.Explanation, AuditRecord]:
            ledger, version, cache = self._ledger(request.ledger, request)
            as_of = _as_of(ledger, cache, request.as_of)
            if request.level == "customer":
                if request.entity_id in set(ledger.customers["customer_id"]):
                    app.check_customer_existed(ledger, request.entity_id, as_of)
            else:
                app.check_invoices_existed(ledger, [request.entity_id], as_of)
            out = app.explanation(scorer, ledger, request, as_of, request_id, version)
            ids = {
                "customer_ids" if request.level == "customer" else "invoice_ids": [
                    request.entity_id
                ]
            }
            record = self._record(
                request_id,
                "explain",
                request,
                scorer,
                version,
                probability=[out.probability],
                **ids,
            )
            return out, record

        return self._call(run, ctx)

    @bentoml.api(route="/worklist")
    def worklist(
        self,
        request: schemas.WorklistRequest,
        /,
        ctx: bentoml.Context = None,  # type: ignore[assignment]
    ) -> schemas.Worklist:
        """Ranked invoices to chase at a date (amount at risk, next action), with filters."""
        from risk.decisions.worklist import WorklistFilters

        def run(scorer: Scorer, request_id: str) -> tuple[schemas.Worklist, AuditRecord]:
            ledger, version, cache = self._ledger(None, request)
            as_of = _as_of(ledger, cache, request.as_of)
            filters = WorklistFilters(
                top=request.top,
                grades=tuple(request.grades or ()),
                sectors=tuple(request.sectors or ()),
                min_amount=request.min_amount or 0.0,
            )
            # kept per ledger version, date and filters (emptied by a new version)
            rows = self.worklists.rows(
                version,
                as_of,
                filters,
                lambda: worklists.build_rows(scorer, ledger, as_of, cache, filters),
            )
            out = schemas.Worklist(
                request_id=request_id,
                as_of=as_of.date(),
                models=scorer.versions,
                ledger_version=version,
                rows=rows,
                warnings=scorer.policy_warnings(),
            )
            record = self._record(
                request_id,
                "worklist",
                request,
                scorer,
                version,
                invoice_ids=[str(r.get("invoice_id")) for r in rows],
                probability=[float(r.get("probability") or 0.0) for r in rows],
            )
            return out, record

        return self._call(run, ctx)

    @bentoml.api(route="/models")
    def models(
        self,
        request: schemas.EmptyRequest,
        /,
        ctx: bentoml.Context = None,  # type: ignore[assignment]
    ) -> schemas.ModelsInfo:
        """Served models: names, versions, training windows and out-of-time test metrics."""
        if self.scorer is None:
            return _error(ctx, 503, self.not_ready)  # type: ignore[return-value]
        return app.model_cards(self.scorer, self.settings)

    @bentoml.api(route="/ledger/events")
    def ledger_events(
        self,
        request: schemas.LedgerEvents,
        /,
        ctx: bentoml.Context = None,  # type: ignore[assignment]
    ) -> schemas.LedgerEventsResult:
        """Append new invoices, payments, credit notes, reminders and legal events (customers and
        invoices are upserted by key): rows are checked with the ledger contracts, refused rows
        come back with their reasons, kept rows are stored and scored by the next call."""

        def run(scorer: Scorer, request_id: str) -> tuple[schemas.LedgerEventsResult, AuditRecord]:
            frames = app.event_frames(request, self.settings.max_rows)
            try:
                check, snapshot = self.ledgers.append(frames)
            except LedgerError as exc:
                raise app.InputError(f"ledger events not stored: {exc}", 409) from exc
            issues = [
                schemas.RowIssue(table=i.table, row=int(i.row), column=i.column, rule=i.rule)
                for i in check.issues.itertuples()
            ]
            out = schemas.LedgerEventsResult(
                request_id=request_id,
                ledger_version=snapshot.version,
                kept=check.kept,
                quarantined=check.quarantined,
                issues=issues,
            )
            record = self._record(
                request_id,
                "ledger_events",
                request,
                scorer,
                snapshot.version,
                customer_ids=sorted(check.customers),
            )
            return out, record

        return self._call(run, ctx)

    @bentoml.api(route="/forecast")
    def forecast(
        self,
        request: schemas.ForecastRequest,
        /,
        ctx: bentoml.Context = None,  # type: ignore[assignment]
    ) -> schemas.CashForecastOut:
        """Cash-in forecast of the invoices open at a date: expected cash per week with an 80 %
        band, by customer, sector or grade, optionally under a stress scenario (the N largest
        customers pay X days later, or a sector's hazard of payment is scaled)."""
        from risk.serving.forecast import forecast_out, run_forecast

        def run(scorer: Scorer, request_id: str) -> tuple[schemas.CashForecastOut, AuditRecord]:
            ledger, version, cache = self._ledger(None, request)
            as_of = _as_of(ledger, cache, request.as_of)
            _stop_if_cancelled(ctx)
            found = run_forecast(scorer, ledger, as_of, request)
            out = forecast_out(found, request, request_id, scorer.versions, version)
            shown = sorted({r.group for r in out.rows}) if request.by == "customer" else []
            record = self._record(
                request_id, "forecast", request, scorer, version, customer_ids=shown
            )
            return out, record

        return self._call(run, ctx)

    def ledger_status(self) -> schemas.LedgerStatus:
        """Version, row counts and last change of the ledger scored by id."""
        snapshot, cache = self.ledgers.view
        return schemas.LedgerStatus(
            source=redact(self.ledgers.source.description),
            version=snapshot.version if snapshot else None,
            changed_at=snapshot.changed_at if snapshot else None,
            counts=snapshot.counts if snapshot else {},
            cached_as_of=cache.as_of.date() if isinstance(cache, ScoreCache) else None,
            error=self.ledgers.error or None,
        )

    # ------------------------------------------------------------ plumbing

    def _ledger(
        self, inline: schemas.InlineLedger | None, request: Any
    ) -> tuple[Ledger, str, ScoreCache | None]:
        if inline is not None:
            return (
                app.inline_ledger(inline, self.settings.max_rows, request.as_of),
                app.inline_version(request),
                None,
            )
        snapshot, cache = self.ledgers.view
        if snapshot is None:
            raise app.InputError(f"{self.ledgers.error}; send an inline ledger", 409)
        return snapshot.ledger, snapshot.version, cache  # type: ignore[return-value]

    def _record(
        self,
        request_id: str,
        endpoint: str,
        request: Any,
        scorer: Scorer,
        ledger_version: str,
        **fields: Any,
    ) -> AuditRecord:
        return AuditRecord(
            request_id=request_id,
            key_name="",
            endpoint=endpoint,
            input_sha256=app.input_sha256(request),
            latency_ms=0.0,
            model_versions={**scorer.versions, "ledger": ledger_version},
            **fields,
        )

    def _call(
        self, run: Callable[[Scorer, str], tuple[T, AuditRecord]], ctx: bentoml.Context | None
    ) -> T:
        """Run one call: readiness, error mapping, audit record, request id header."""
        request_id = uuid.uuid4().hex
        started = time.perf_counter()
        if self.scorer is None:
            return _error(ctx, 503, self.not_ready)  # type: ignore[return-value]
        try:
            out, record = run(self.scorer, request_id)
            _stop_if_cancelled(ctx)
            key_name = _key_name(ctx)
            latency = (time.perf_counter() - started) * 1000
            self.audit.write(
                AuditRecord(**{**record.__dict__, "key_name": key_name, "latency_ms": latency})
            )
        except RequestCancelledError:
            logger.info("%s cancelled by the client: stopped, not audited", request_id)
            return _error(ctx, 499, "client closed the request")  # type: ignore[return-value]
        except UnknownEntityError as exc:
            return _error(ctx, 404, str(exc))  # type: ignore[return-value]
        except app.InputError as exc:
            return _error(ctx, exc.status, str(exc))  # type: ignore[return-value]
        except AuditUnavailableError as exc:
            return _error(  # type: ignore[return-value]
                ctx, 503, f"{exc}; scores are not served unaudited, retry later"
            )
        except RiskError as exc:
            return _error(ctx, 422, str(exc))  # type: ignore[return-value]
        _log_served(record, request_id, key_name, record.model_versions.get("ledger"), latency)
        if ctx is not None:
            ctx.response.headers["X-Request-ID"] = request_id
        return out


def _as_of(ledger: Ledger, cache: ScoreCache | None, requested: Any) -> pd.Timestamp:
    """The requested date, else the ledger's cut-off (known by the cache without a scan)."""
    if requested is None and cache is not None:
        return cache.as_of
    return app.resolve_as_of(ledger, requested)


def _hit(cache: ScoreCache | None, as_of: pd.Timestamp) -> bool:
    return cache is not None and cache.as_of == as_of


def _log_served(
    record: AuditRecord, request_id: str, key_name: str, ledger: object, latency: float
) -> None:
    """The one INFO line of a served score (ids and hashes only, never names)."""
    logger.info(
        "%s %s key=%s input=%s ledger=%s %.1f ms",
        record.endpoint,
        request_id,
        key_name,
        record.input_sha256[:12],
        ledger,
        latency,
    )


def _error(ctx: bentoml.Context | None, status: int, message: str) -> JSONResponse:
    """A JSON error; with a context, the framework takes the status from ``ctx.response``."""
    message = redact(message)
    if ctx is not None:
        ctx.response.status_code = status
    if status >= 400 and status != 499:
        logger.info("answered %d: %s", status, message)
    return JSONResponse({"error": message}, status_code=status)


def _state(ctx: bentoml.Context | None) -> dict[str, Any]:
    if ctx is None:
        return {}
    try:
        return ctx.request.scope.get("state", {})  # type: ignore[no-any-return]
    except (AttributeError, LookupError):
        return {}


def _key_name(ctx: bentoml.Context | None) -> str:
    if ctx is None:
        return "local"
    return str(_state(ctx).get(KEY_NAME, "unknown"))


def _stop_if_cancelled(ctx: bentoml.Context | None) -> None:
    flag = _state(ctx).get(CANCELLED)
    if isinstance(flag, threading.Event) and flag.is_set():
        raise RequestCancelledError


def _service() -> Any:
    try:
        return bentoml.get_current_service()
    except Exception:
        return None


async def _readiness(scope: dict[str, Any]) -> str | None:
    """Why the service is not ready, for ``/readyz`` (None when ready or not yet started)."""
    import anyio

    service = _service()
    if service is None:
        return None
    return await anyio.to_thread.run_sync(service.readiness) or None


async def _score_customer_by_id(scope: dict[str, Any], body: bytes, send: Any) -> bool:
    """``POST /score_customer`` by id at the cached date, answered without the framework's
    per-call machinery (argument binding, thread pool, response objects): a lookup of the
    cached answer, its audit row committed by the audit writer (awaited, no thread of this
    call's own), then the same JSON, status and headers as the ``score_customer`` method.

    Returns False, having sent nothing, for every other call (inline ledger, another date, an
    id not cached, a body the request schema refuses, a service without model or ledger):
    the framework's route then answers it as before, with its errors. Called by ``RiskGuard``
    after the key, method, media type and size checks, with the cancellation flag set.
    """
    service = _service()
    if service is None or service.scorer is None:
        return False
    try:
        parsed = RiskService.apis["score_customer"].input_spec.model_validate_json(body or b"{}")
    except Exception:  # the framework's route answers the same 400, with its body
        return False
    request = getattr(parsed, "root", parsed)
    if not isinstance(request, schemas.CustomerScoreRequest) or request.ledger is not None:
        return False
    snapshot, cache = service.ledgers.view
    if snapshot is None or not isinstance(cache, ScoreCache) or request.customer_id is None:
        return False
    if request.as_of is not None and pd.Timestamp(request.as_of) != cache.as_of:
        return False
    started = time.perf_counter()
    # the same form as ``uuid4().hex``, from a generator seeded once: no system call per
    # request (a request id is a label, not a secret)
    request_id = uuid.UUID(int=_REQUEST_IDS.getrandbits(128), version=4).hex
    scorer = service.scorer
    out = cache.answer(request.customer_id, request_id, scorer.versions, snapshot.version)
    if out is None:
        return False
    state = scope.get("state", {})
    flag = state.get(CANCELLED)
    if isinstance(flag, threading.Event) and flag.is_set():
        logger.info("%s cancelled by the client: stopped, not audited", request_id)
        return True
    record = service._record(
        request_id,
        "score_customer",
        request,
        scorer,
        snapshot.version,
        customer_ids=[request.customer_id],
        probability=[out.probability],
        grade=[out.grade],
    )
    key_name = str(state.get(KEY_NAME, "unknown"))
    latency = (time.perf_counter() - started) * 1000
    try:
        await service.audit.write_async(
            AuditRecord(**{**record.__dict__, "key_name": key_name, "latency_ms": latency})
        )
    except AuditUnavailableError as exc:
        message = redact(f"{exc}; scores are not served unaudited, retry later")
        logger.info("answered %d: %s", 503, message)
        await send_error(send, 503, message, _framework_headers())
        return True
    _log_served(record, request_id, key_name, snapshot.version, latency)
    payload = out.model_dump_json().encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *_framework_headers(),
                (b"x-request-id", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
    return True


_REQUEST_IDS = random.Random(secrets.randbits(128))


def _framework_headers() -> list[tuple[bytes, bytes]]:
    """The headers BentoML adds to its routes' answers (server name, its request id)."""
    headers = [(b"server", f"BentoML Service/{RiskService.name}".encode())]
    try:
        from bentoml._internal.configuration.containers import BentoMLContainer
        from bentoml._internal.context import trace_context

        if trace_context.request_id is not None:
            span_format = BentoMLContainer.logging_formatting.get()["span_id"]
            headers.append(
                (b"x-bentoml-request-id", format(trace_context.request_id, span_format).encode())
            )
    except Exception:  # a framework internal moved: the answer goes without it
        pass
    return headers


async def _ledger_status(scope: dict[str, Any]) -> dict[str, Any] | None:
    service = _service()
    if service is None:
        return None
    return service.ledger_status().model_dump(mode="json")  # type: ignore[no-any-return]


RiskService.add_asgi_middleware(
    RiskGuard,
    protected=SCORING_ROUTES,
    readiness=_readiness,
    get_routes={STATUS_ROUTE: _ledger_status},
    fast_routes={"/score_customer": _score_customer_by_id},
)
http_server.install(known_paths=(*SCORING_ROUTES, STATUS_ROUTE))
