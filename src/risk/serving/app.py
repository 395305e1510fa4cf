"""Plain helpers of the HTTP service: load models, turn requests into ledgers and frames into
responses. No BentoML here, so that every piece can be tested on its own."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from risk import registry
from risk.contracts import TABLES
from risk.decisions.credit import CreditPolicy
from risk.errors import ConfigError, LedgerError, RiskError
from risk.explain import Reason, contributions
from risk.features import FeatureConfig, invoice_features_as_of
from risk.ledger import Ledger
from risk.model.bundle import RiskModel
from risk.scoring import Scorer, UnknownEntityError
from risk.serving import schemas
from risk.serving.settings import ServiceSettings
from risk.validation import validate_tables

logger = logging.getLogger(__name__)

BENTO_MODEL_NAMES = {level: name for level, name in registry.MODEL_NAMES.items()}
#: levels a Bento packs when they are registered (the scorer works without them)
OPTIONAL_LEVELS = ("timing",)
MAX_ISSUES_SHOWN = 20


class InputError(RiskError):
    """A request is well-formed JSON but its content breaks a rule; ``status`` is the HTTP code."""

    def __init__(self, message: str, status: int = 422) -> None:
        self.status = status
        super().__init__(message)


class NotReadyError(RiskError):
    """The service has no model to score with (the message says why)."""


# ---------------------------------------------------------------- models


def load_scorer(settings: ServiceSettings) -> Scorer:
    """Load both models from the MLflow registry (hash-verified) or from the BentoML store.

    Raises:
        registry.ModelNotFoundError, registry.ModelIntegrityError: no usable model.
    """
    policy = load_policy(settings.policy)
    if settings.model_source == "bento":
        return Scorer(
            customer_model=load_bento_model("customer"),
            invoice_model=load_bento_model("invoice"),
            default_model=load_bento_model("default"),
            timing_model=_optional_bento_model("timing"),
            policy=policy,
            scale=policy.grade_scale(),
        )
    store = registry.Store.resolve(settings.tracking_uri)
    return Scorer.from_registry(store, settings.alias, policy=policy)


def load_policy(path: Path | None) -> CreditPolicy:
    """The credit policy at ``path`` (``RISK_CREDIT_POLICY``), else the packaged one.

    Raises:
        ConfigError: the file is missing or breaks a rule (the message names it).
    """
    if path is None:
        return CreditPolicy.load()
    if not path.is_file():
        raise ConfigError(f"RISK_CREDIT_POLICY={path}: no such file")
    return CreditPolicy.load(path)


def import_to_bentoml(store: registry.Store, alias: str = registry.CHAMPION) -> list[str]:
    """Copy the registry's ``alias`` models (verified) into the BentoML model store.

    Each entry holds ``model.txt`` + ``risk_model.json`` (``RiskModel.save``) and records the
    MLflow name, version and the sha256 of the files. Returns the BentoML tags.
    """
    import bentoml

    tags = []
    for level, name in BENTO_MODEL_NAMES.items():
        try:
            model = registry.load_model(store, level, alias=alias)
        except registry.ModelNotFoundError:
            if level not in OPTIONAL_LEVELS:
                raise
            logger.warning("no %s model with alias %r: the Bento is built without it", level, alias)
            continue
        meta = {
            "mlflow_name": name,
            "mlflow_version": str(model.metadata.get("model_version")),
            "alias": alias,
            "level": level,
        }
        with bentoml.models.create(
            name, labels={"alias": alias, "level": level}, metadata=meta
        ) as entry:
            target = Path(entry.path)
            model.save(target)
            (target / "sha256.json").write_text(json.dumps(_file_hashes(target), sort_keys=True))
        tags.append(str(entry.tag))
    return tags


def _file_hashes(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
        if p.name in ("model.txt", "risk_model.json")
    }


def _optional_bento_model(level: str) -> RiskModel | None:
    try:
        return load_bento_model(level)
    except registry.ModelNotFoundError:
        return None


def load_bento_model(level: str) -> RiskModel:
    """Load a model imported by ``import_to_bentoml`` (latest entry), hash-verified.

    Raises:
        registry.ModelNotFoundError: no such entry in the BentoML store.
        registry.ModelIntegrityError: the files changed since the import.
    """
    import bentoml
    from bentoml.exceptions import NotFound

    name = BENTO_MODEL_NAMES[level]
    try:
        entry = bentoml.models.get(f"{name}:latest")
    except NotFound as exc:
        raise registry.ModelNotFoundError(
            f"no BentoML model {name!r}: run `risk serve --build`"
        ) from exc
    directory = Path(entry.path)
    expected = json.loads((directory / "sha256.json").read_text())
    if _file_hashes(directory) != expected:
        raise registry.ModelIntegrityError(
            f"BentoML model {entry.tag}: files do not match their sha256"
        )
    model = RiskModel.load(directory)
    model.metadata.update(
        {"model_name": name, "model_version": entry.info.metadata["mlflow_version"]}
    )
    return model


def model_cards(scorer: Scorer, settings: ServiceSettings) -> schemas.ModelsInfo:
    cards = []
    for model in (scorer.customer_model, scorer.invoice_model):
        meta = model.metadata
        cards.append(
            schemas.ModelCard(
                level=model.level,  # type: ignore[arg-type]
                name=str(meta.get("model_name", f"payment-risk-{model.level}")),
                version=str(meta.get("model_version", "local")),
                run_id=meta.get("run_id"),
                windows={k: str(v) for k, v in (meta.get("windows") or {}).items()},
                test_metrics={k: float(v) for k, v in (meta.get("test_metrics") or {}).items()},
                late_after_days=meta.get("late_after_days"),
                horizon_days=meta.get("horizon_days"),
            )
        )
    return schemas.ModelsInfo(
        alias=settings.alias,
        source=settings.model_source,
        models=cards,
        warnings=scorer.policy_warnings(),
    )


# ---------------------------------------------------------------- input


def inline_ledger(
    inline: schemas.InlineLedger, max_rows: int, as_of: dt.date | None = None
) -> Ledger:
    """Validate an inline ledger with the ledger contracts.

    The request's ``as_of`` is the ledger's known cut-off (``Ledger.known_cutoff``): the rows
    are the customer's state when asked, so its undated facts (the current credit limit) are
    known at that date even without a dated row of its own, as in the whole ledger.

    Raises:
        InputError: too many rows (413), or any row breaks a contract rule (422; the message names
            table, row, column and rule of each issue).
    """
    if inline.n_rows > max_rows:
        raise InputError(f"ledger: {inline.n_rows} rows sent, at most {max_rows} per request", 413)
    # typed columns, as a Parquet source gives them: the contracts check them without parsing
    # text again (pydantic parsed the JSON already); the rules and messages are the same
    raw = {
        "customers": _typed_rows(inline.customers, schemas.CustomerRow, "customers"),
        "invoices": _typed_rows(inline.invoices, schemas.InvoiceRow, "invoices"),
        "legal_events": _typed_rows(inline.legal_events, schemas.LegalEventRow, "legal_events"),
    }
    # an absent table would drop its features; an empty one means "none happened"
    for name in ("payments", "reminders", "invoice_statuses"):
        raw[name] = pd.DataFrame(columns=[c.name for c in TABLES[name].columns], dtype="str")
    try:
        result = validate_tables(raw)
    except LedgerError as exc:
        raise InputError(str(exc)) from exc
    if len(result.issues):
        lines = [
            f"{i.table} row {i.row}, column {i.column}: {i.rule}"
            for i in result.issues.head(MAX_ISSUES_SHOWN).itertuples()
        ]
        more = len(result.issues) - len(lines)
        raise InputError(
            "invalid inline ledger: "
            + "; ".join(lines)
            + (f"; and {more} more" if more > 0 else "")
        )
    return result.ledger if as_of is None else result.ledger.with_cutoff(pd.Timestamp(as_of))


def _rows(rows: list[Any], model: type[BaseModel]) -> pd.DataFrame:
    """Rows as the text a CSV file would hold (so that the contracts parse them the same way)."""
    columns = list(model.model_fields)
    data = [{k: _text(v) for k, v in row.model_dump().items()} for row in rows]
    return pd.DataFrame(data, columns=columns, dtype="str").fillna("")


def _typed_rows(rows: list[Any], model: type[BaseModel], table: str) -> pd.DataFrame:
    """Rows with the contract's dtypes for dates, numbers and flags (missing values as NaT, NaN,
    NA) and text for the rest, as a typed (Parquet) source hands them to the contracts."""
    columns = list(model.model_fields)
    values = {name: [getattr(row, name) for row in rows] for name in columns}
    kinds = {c.name: c.kind for c in TABLES[table].columns}
    out: dict[str, pd.Series] = {}
    for name in columns:
        kind = kinds.get(name)
        if kind == "date":
            # days (``datetime.date`` within 1900-2199, None missing) straight to datetime64
            days = np.array(values[name], dtype="datetime64[D]")
            out[name] = pd.Series(days.astype("datetime64[ns]"), dtype="datetime64[ns]")
        elif kind in ("float", "int"):
            out[name] = pd.Series(
                [math.nan if v is None else float(v) for v in values[name]], dtype="float64"
            )
        elif kind == "bool":
            out[name] = pd.Series(values[name], dtype="boolean")
        else:
            out[name] = pd.Series([_text(v) for v in values[name]], dtype="str")
    return pd.DataFrame(out, columns=columns)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def resolve_as_of(ledger: Ledger, as_of: dt.date | None) -> pd.Timestamp:
    """The requested date, else the ledger's last event date."""
    if as_of is not None:
        return pd.Timestamp(as_of)
    try:
        return ledger.date_range[1]
    except ValueError as exc:
        raise InputError(f"as_of: {exc}; send as_of") from exc


def check_rows(name: str, values: list[Any] | None, max_rows: int) -> None:
    if values is not None and len(values) > max_rows:
        raise InputError(f"{name}: {len(values)} given, at most {max_rows} per request", 413)


def input_sha256(request: BaseModel) -> str:
    return hashlib.sha256(request.model_dump_json().encode()).hexdigest()


# ---------------------------------------------------------------- output


def _plain(value: object) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (pd.Timestamp, dt.date)):
        return value.isoformat()[:10]
    if isinstance(value, (int, float, bool, str)):
        return value
    return str(value)


def reason_out(reason: Reason) -> schemas.ReasonOut:
    return schemas.ReasonOut(
        feature=reason.feature,
        value=_plain(reason.value),
        contribution=reason.contribution,
        impact=reason.impact,
        direction=reason.direction,  # type: ignore[arg-type]
        text_en=reason.text_en,
        text_fr=reason.text_fr,
    )


def customer_score(
    row: pd.Series, request_id: str, versions: dict[str, str], ledger_version: str = ""
) -> schemas.CustomerScore:
    limit = schemas.CreditLimitOut(
        **{
            k: _plain(row.get(k))
            for k in ("suggested_limit", "current_limit", "exposure", "headroom")
        },
        rules=str(row.get("rules") or ""),
    )
    return schemas.CustomerScore(
        request_id=request_id,
        customer_id=str(row["customer_id"]),
        as_of=row["as_of"].date(),
        probability=float(row["probability"]),
        grade=str(row["grade"]),
        reasons_en=str(row["reasons_en"]),
        reasons_fr=str(row["reasons_fr"]),
        reasons=[reason_out(r) for r in row["reasons"]],
        credit_limit=limit,
        models=versions,
        ledger_version=ledger_version,
    )


def invoice_scores(
    frame: pd.DataFrame,
    request_id: str,
    as_of: pd.Timestamp,
    versions: dict[str, str],
    ledger_version: str = "",
) -> schemas.InvoiceScores:
    items = [
        schemas.InvoiceScore(
            invoice_id=str(row["invoice_id"]),
            customer_id=str(row["customer_id"]),
            due_on=_plain(row["due_on"]),
            open_amount=float(row["open_amount"]),
            days_past_due=int(row["days_past_due"]),
            probability=float(row["probability"]),
            expected_at_risk=float(row["expected_at_risk"]),
            reasons_en=str(row["reasons_en"]),
            reasons_fr=str(row["reasons_fr"]),
            reasons=[reason_out(r) for r in row["reasons"]],
        )
        for _, row in frame.iterrows()
    ]
    return schemas.InvoiceScores(
        request_id=request_id,
        as_of=as_of.date(),
        models=versions,
        ledger_version=ledger_version,
        invoices=items,
    )


def explain_one(
    scorer: Scorer, ledger: Ledger, level: str, entity_id: str, as_of: pd.Timestamp
) -> tuple[RiskModel, pd.DataFrame, pd.DataFrame]:
    """Features and full SHAP contributions of one customer or invoice at ``as_of``.

    Raises:
        UnknownEntityError: the id is not in the ledger.
    """
    if level == "customer":
        model = scorer.customer_model
        frame = scorer.customer_features(ledger, as_of, [entity_id])
    else:
        model = scorer.invoice_model
        if entity_id not in set(ledger.invoices["invoice_id"]):
            raise UnknownEntityError(f"unknown invoice_id(s): {entity_id}")
        config = FeatureConfig(
            late_after_days=int(model.metadata.get("late_after_days", 30)),
            horizon_days=int(model.metadata.get("horizon_days", 180)),
        )
        queries = pd.DataFrame({"invoice_id": [entity_id], "as_of": as_of})
        frame = invoice_features_as_of(ledger, queries, config)
    frame = frame.reset_index(drop=True)
    return model, frame, contributions(model, frame)


def explanation(
    scorer: Scorer,
    ledger: Ledger,
    request: schemas.ExplainRequest,
    as_of: pd.Timestamp,
    request_id: str,
    ledger_version: str = "",
) -> schemas.Explanation:
    model, frame, contrib = explain_one(scorer, ledger, request.level, request.entity_id, as_of)
    row = contrib.iloc[0]
    inputs = model.prepare(frame).iloc[0]
    return schemas.Explanation(
        request_id=request_id,
        level=request.level,
        entity_id=request.entity_id,
        as_of=as_of.date(),
        probability=float(model.predict_proba(frame)[0]),
        base_value=float(row["base_value"]),
        raw_score=float(row.sum()),
        contributions={k: float(v) for k, v in row.drop("base_value").items()},
        values={k: _plain(v) for k, v in inputs.items()},
        model=str(model.metadata.get("model_name")),
        version=str(model.metadata.get("model_version")),
        ledger_version=ledger_version,
    )


def worklist_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    keep = [c for c in frame.columns if c != "reasons"]
    return [{k: _plain(v) for k, v in rec.items()} for rec in frame[keep].to_dict("records")]


# ---------------------------------------------------------------- dates and events


def check_customer_existed(ledger: Ledger, customer_id: str, as_of: pd.Timestamp) -> None:
    """Raises: InputError (422): the customer was created after ``as_of``."""
    customers = ledger.customers
    if "created_on" not in customers:
        return
    created = customers.loc[customers["customer_id"] == customer_id, "created_on"]
    if len(created) and pd.notna(created.iloc[0]) and created.iloc[0] > as_of:
        raise InputError(
            f"customer {customer_id} was created on {created.iloc[0].date()}, after as_of "
            f"{as_of.date()}: there is no score before the customer existed"
        )


def check_invoices_existed(ledger: Ledger, invoice_ids: list[str], as_of: pd.Timestamp) -> None:
    """Raises: InputError (422): an invoice was issued after ``as_of``."""
    invoices = ledger.invoices
    late = invoices[invoices["invoice_id"].isin(invoice_ids) & (invoices["issued_on"] > as_of)]
    if len(late):
        shown = ", ".join(
            f"{row.invoice_id} (issued on {row.issued_on.date()})"
            for row in late.head(10).itertuples()
        )
        raise InputError(
            f"invoice(s) {shown} issued after as_of {as_of.date()}: "
            "there is no score before an invoice exists"
        )


def event_frames(events: schemas.LedgerEvents, max_rows: int) -> dict[str, pd.DataFrame]:
    """Event rows as the text a CSV file would hold, per table.

    Raises:
        InputError: more than ``max_rows`` rows (413), or no row at all (422).
    """
    if events.n_rows > max_rows:
        raise InputError(f"ledger events: {events.n_rows} rows sent, at most {max_rows}", 413)
    if events.n_rows == 0:
        raise InputError("ledger events: no row sent")
    models = {
        "customers": schemas.CustomerRow,
        "invoices": schemas.InvoiceRow,
        "credit_notes": schemas.CreditNoteRow,
        "payments": schemas.PaymentRow,
        "legal_events": schemas.LegalEventRow,
        "reminders": schemas.ReminderRow,
    }
    return {
        name: _rows(getattr(events, name), model)
        for name, model in models.items()
        if getattr(events, name)
    }


def inline_version(request: BaseModel) -> str:
    return f"inline-{input_sha256(request)[:12]}"


def has_open_invoices(ledger: Ledger, as_of: pd.Timestamp) -> bool:
    """Whether any invoice issued before ``as_of`` is still open then (else the worklist is empty)."""
    from risk.portfolio import open_amounts

    items = open_amounts(ledger, as_of)
    if items.empty:
        return False
    issued = ledger.invoices.set_index("invoice_id")["issued_on"]
    return bool((issued.reindex(items["invoice_id"]).to_numpy() < as_of).any())
