"""The payment-risk HTTP service (BentoML 1.4): validate, call ``risk.scoring``, audit.

Start it with ``risk serve`` or ``bentoml serve service.service:RiskService``. Settings come from
the environment (``risk.serving.settings``), read when the service starts.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import bentoml
import pandas as pd
from starlette.responses import JSONResponse

from risk.errors import ConfigError, LedgerError, RiskError
from risk.io import load_ledger
from risk.ledger import Ledger
from risk.registry import ModelIntegrityError, ModelNotFoundError
from risk.scoring import Scorer, UnknownEntityError
from risk.serving import app, schemas
from risk.serving.audit import AuditLog, AuditRecord
from risk.serving.guard import KEY_NAME, RiskGuard
from risk.serving.settings import ServiceSettings
from risk.web.app import create_app

logger = logging.getLogger(__name__)

T = TypeVar("T")

TIMEOUT_S = 30
MAX_CONCURRENCY = 32
SCORING_ROUTES = ("/score_customer", "/score_invoices", "/explain", "/models", "/worklist")


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
        self.settings = ServiceSettings.from_env()
        self.scorer: Scorer | None = None
        self.not_ready = ""
        self.ledger: Ledger | None = None
        self.ledger_error = ""
        try:
            self.scorer = app.load_scorer(self.settings)
            logger.info("models loaded: %s", self.scorer.versions)
        except (ModelNotFoundError, ModelIntegrityError, ConfigError) as exc:
            self.not_ready = f"no model to score with: {exc}"
            logger.error("service not ready: %s", self.not_ready)
        try:
            self.ledger = load_ledger(self.settings.ledger_dir)
        except LedgerError as exc:
            self.ledger_error = f"no ledger to score by id ({self.settings.ledger_dir}): {exc}"
            logger.warning("%s", self.ledger_error)
        self.audit = AuditLog(self.settings.audit_url)
        web_app.state.web.warm(self)

    def __is_ready__(self) -> bool:
        return self.scorer is not None

    @bentoml.on_shutdown
    def close(self) -> None:
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
            ledger = self._ledger(request.ledger)
            customer_id = request.customer_id or request.ledger.customers[0].customer_id  # type: ignore[union-attr]
            as_of = app.resolve_as_of(ledger, request.as_of)
            frame = scorer.score_customers(ledger, as_of, [customer_id], explain=True)
            out = app.customer_score(frame.iloc[0], request_id, scorer.versions)
            record = self._record(
                request_id,
                "score_customer",
                request,
                scorer,
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
            ledger = self._ledger(request.ledger)
            as_of = app.resolve_as_of(ledger, request.as_of)
            if request.invoice_ids == []:
                frame = pd.DataFrame(columns=["invoice_id", "probability"])
            else:
                frame = scorer.score_invoices(
                    ledger, as_of, request.invoice_ids, explain=request.explain
                )
            out = app.invoice_scores(frame, request_id, as_of, scorer.versions)
            record = self._record(
                request_id,
                "score_invoices",
                request,
                scorer,
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
            ledger = self._ledger(request.ledger)
            as_of = app.resolve_as_of(ledger, request.as_of)
            out = app.explanation(scorer, ledger, request, as_of, request_id)
            ids = {
                "customer_ids" if request.level == "customer" else "invoice_ids": [
                    request.entity_id
                ]
            }
            record = self._record(
                request_id, "explain", request, scorer, probability=[out.probability], **ids
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
        from risk.decisions.worklist import WorklistFilters, build_worklist

        def run(scorer: Scorer, request_id: str) -> tuple[schemas.Worklist, AuditRecord]:
            ledger = self._ledger(None)
            as_of = app.resolve_as_of(ledger, request.as_of)
            filters = WorklistFilters(
                top=request.top,
                grades=tuple(request.grades or ()),
                sectors=tuple(request.sectors or ()),
                min_amount=request.min_amount or 0.0,
            )
            rows = app.worklist_rows(build_worklist(scorer, ledger, as_of, filters))
            out = schemas.Worklist(
                request_id=request_id, as_of=as_of.date(), models=scorer.versions, rows=rows
            )
            record = self._record(
                request_id,
                "worklist",
                request,
                scorer,
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

    # ------------------------------------------------------------ plumbing

    def _ledger(self, inline: schemas.InlineLedger | None) -> Ledger:
        if inline is not None:
            return app.inline_ledger(inline, self.settings.max_rows)
        if self.ledger is None:
            raise app.InputError(f"{self.ledger_error}; send an inline ledger", 409)
        return self.ledger

    def _record(
        self, request_id: str, endpoint: str, request: Any, scorer: Scorer, **fields: Any
    ) -> AuditRecord:
        return AuditRecord(
            request_id=request_id,
            key_name="",
            endpoint=endpoint,
            input_sha256=app.input_sha256(request),
            latency_ms=0.0,
            model_versions=scorer.versions,
            **fields,
        )

    def _call(
        self, run: Callable[[Scorer, str], tuple[T, AuditRecord]], ctx: bentoml.Context | None
    ) -> T:
        """Run one scoring call: readiness, error mapping, audit record, request id header."""
        request_id = uuid.uuid4().hex
        started = time.perf_counter()
        if self.scorer is None:
            return _error(ctx, 503, self.not_ready)  # type: ignore[return-value]
        try:
            out, record = run(self.scorer, request_id)
        except UnknownEntityError as exc:
            return _error(ctx, 404, str(exc))  # type: ignore[return-value]
        except app.InputError as exc:
            return _error(ctx, exc.status, str(exc))  # type: ignore[return-value]
        except RiskError as exc:
            return _error(ctx, 422, str(exc))  # type: ignore[return-value]
        key_name = _key_name(ctx)
        latency = (time.perf_counter() - started) * 1000
        self.audit.write(
            AuditRecord(**{**record.__dict__, "key_name": key_name, "latency_ms": latency})
        )
        logger.info(
            "%s %s key=%s input=%s %.1f ms",
            record.endpoint,
            request_id,
            key_name,
            record.input_sha256[:12],
            latency,
        )
        if ctx is not None:
            ctx.response.headers["X-Request-ID"] = request_id
        return out


def _error(ctx: bentoml.Context | None, status: int, message: str) -> JSONResponse:
    """A JSON error; with a context, the framework takes the status from ``ctx.response``."""
    if ctx is not None:
        ctx.response.status_code = status
    return JSONResponse({"error": message}, status_code=status)


def _key_name(ctx: bentoml.Context | None) -> str:
    if ctx is None:
        return "local"
    try:
        return str(ctx.request.scope.get("state", {}).get(KEY_NAME, "unknown"))
    except (AttributeError, LookupError):
        return "unknown"


async def _readiness(scope: dict[str, Any]) -> str | None:
    """Why the service is not ready, for ``/readyz`` (None when ready or not yet started)."""
    try:
        service = bentoml.get_current_service()
    except Exception:
        return None
    return getattr(service, "not_ready", "") or None


RiskService.add_asgi_middleware(RiskGuard, protected=SCORING_ROUTES, readiness=_readiness)
