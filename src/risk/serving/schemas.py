"""Request and response models of the HTTP service (pydantic, JSON only, no extra fields).

Inline ledger rows are typed loosely on purpose (text, numbers, booleans): the ledger contracts
of ``risk.validation`` check them, so that errors name the table, row, column and rule exactly as
``risk validate`` does.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

Id = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/\-]*$")
MAX_ROWS = 1000
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


#: a date between EARLIEST and LATEST, said in the schema too (JSON schema cannot bound dates)
def _date_input(value: object) -> object:
    """A date comes as ``YYYY-MM-DD`` text (or a date), never as a number: pydantic's lax mode
    would read ``0`` as 1970-01-01, which the schema (a string) does not allow."""
    if isinstance(value, (bool, int, float)):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


Day = Annotated[
    dt.date,
    BeforeValidator(_date_input),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
        }
    ),
]


class Strict(BaseModel):
    # input values never reach error messages, hence never the logs (they may hold names)
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


def _check_date(value: dt.date | None) -> dt.date | None:
    if value is not None and not EARLIEST <= value <= LATEST:
        raise ValueError(f"must be between {EARLIEST} and {LATEST}")
    return value


class CustomerRow(Strict):
    customer_id: str = Field(
        min_length=1, max_length=64, description="Customer key.", examples=["C000001"]
    )
    name: str | None = Field(None, max_length=200, description="Company name (never logged).")
    siren: str | None = Field(
        None,
        max_length=9,
        description="SIREN, 9 digits with a valid Luhn key.",
        examples=["732829320"],
    )
    country: str | None = Field(
        None, max_length=2, description="ISO 3166 alpha-2.", examples=["FR"]
    )
    naf_code: str | None = Field(
        None, max_length=6, description="NAF rev. 2 activity code.", examples=["47.11F"]
    )
    legal_form: str | None = Field(
        None, max_length=20, description="SAS, SARL, SA, EURL, EI, ...", examples=["SAS"]
    )
    created_on: Day | None = Field(
        None, description="Company creation date.", examples=["2010-05-01"]
    )
    employees: int | None = Field(
        None, strict=True, ge=0, le=10_000_000, description="Head count.", examples=[12]
    )
    payment_terms_days: int | None = Field(
        None, strict=True, ge=0, le=365, description="Payment terms in days.", examples=[30]
    )
    end_of_month_terms: bool | None = Field(
        None, strict=True, description="Terms counted from the end of month."
    )
    credit_limit: float | None = Field(
        None, strict=True, ge=0, le=1e12, description="Current credit limit.", examples=[10000]
    )
    group_id: str | None = Field(
        None, max_length=64, description="Group for consolidated exposure."
    )

    _dates = field_validator("created_on")(_check_date)


class InvoiceRow(Strict):
    invoice_id: str = Field(
        min_length=1, max_length=64, description="Invoice key.", examples=["I1"]
    )
    customer_id: str = Field(
        min_length=1, max_length=64, description="Customer key.", examples=["C000001"]
    )
    issued_on: Day = Field(description="Issue date.", examples=["2024-01-10"])
    due_on: Day = Field(description="Due date.", examples=["2024-02-09"])
    amount: float = Field(
        strict=True,
        ge=-1e12,
        le=1e12,
        description="Amount incl. tax (> 0; negative = credit note).",
        examples=[1200.0],
    )
    paid_on: Day | None = Field(None, description="Settlement date, empty while open.")
    amount_paid: float | None = Field(
        None, strict=True, ge=0, le=1e12, description="Amount paid so far."
    )
    disputed: bool | None = Field(None, strict=True, description="Invoice under dispute.")
    channel: Literal["paper", "electronic"] | None = Field(None, description="Invoice channel.")

    _dates = field_validator("issued_on", "due_on", "paid_on")(_check_date)


class LegalEventRow(Strict):
    customer_id: str = Field(
        min_length=1, max_length=64, description="Customer key.", examples=["C000001"]
    )
    published_on: Day = Field(description="Publication date.", examples=["2024-03-01"])
    kind: str = Field(
        min_length=1,
        max_length=64,
        description="Event kind (safeguard, receivership, liquidation, ...).",
        examples=["payment_order"],
    )
    source: str | None = Field(
        None, max_length=64, description="Source, e.g. BODACC.", examples=["BODACC"]
    )

    _dates = field_validator("published_on")(_check_date)


class InlineLedger(Strict):
    """A small ledger sent with the request instead of the service's configured one."""

    customers: list[CustomerRow] = Field(
        min_length=1, max_length=MAX_ROWS, description="Customer rows."
    )
    invoices: list[InvoiceRow] = Field(
        default_factory=list, max_length=MAX_ROWS, description="Invoice rows."
    )
    legal_events: list[LegalEventRow] = Field(
        default_factory=list, max_length=MAX_ROWS, description="Legal events."
    )

    @property
    def n_rows(self) -> int:
        return len(self.customers) + len(self.invoices) + len(self.legal_events)


AsOf = Field(
    None,
    description="Date of the score (default: the ledger's last event date).",
    examples=["2026-06-30"],
)


class CustomerScoreRequest(Strict):
    # the cross-field rule below, said in the schema too (so that clients and fuzzers know it)
    model_config = ConfigDict(
        extra="forbid",
        hide_input_in_errors=True,
        json_schema_extra={
            "anyOf": [
                {
                    "required": ["customer_id"],
                    "properties": {
                        "customer_id": {"type": "string", "minLength": 1, "maxLength": 64}
                    },
                },
                {
                    "required": ["ledger"],
                    "properties": {
                        "ledger": {"type": "object", "properties": {"customers": {"maxItems": 1}}}
                    },
                },
            ]
        },
    )

    customer_id: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="Customer to score; may be omitted with an inline ledger of one customer.",
        examples=["C000001"],
    )
    ledger: InlineLedger | None = Field(
        None, description="Inline ledger (default: the service's ledger)."
    )
    as_of: Day | None = AsOf

    _dates = field_validator("as_of")(_check_date)

    @model_validator(mode="after")
    def _needs_a_customer(self) -> CustomerScoreRequest:
        if self.customer_id is None and (self.ledger is None or len(self.ledger.customers) != 1):
            raise ValueError(
                "customer_id is required unless the inline ledger has exactly one customer"
            )
        return self


class InvoiceScoreRequest(Strict):
    model_config = ConfigDict(
        extra="forbid",
        hide_input_in_errors=True,
        json_schema_extra={
            "anyOf": [
                {
                    "required": ["invoice_ids"],
                    "properties": {"invoice_ids": {"type": "array", "items": {"type": "string"}}},
                },
                {"required": ["ledger"], "properties": {"ledger": {"type": "object"}}},
            ]
        },
    )

    invoice_ids: list[str] | None = Field(
        None,
        max_length=MAX_ROWS,
        description="Open invoices to score; default: all open ones of the inline ledger.",
        examples=[["I000001"]],
    )
    ledger: InlineLedger | None = Field(
        None, description="Inline ledger (default: the service's ledger)."
    )
    as_of: Day | None = AsOf
    explain: bool = Field(True, strict=True, description="Add reason codes (costs SHAP time).")

    _dates = field_validator("as_of")(_check_date)

    @model_validator(mode="after")
    def _needs_ids(self) -> InvoiceScoreRequest:
        if self.invoice_ids is None and self.ledger is None:
            raise ValueError("invoice_ids is required unless an inline ledger is sent")
        return self


class ExplainRequest(Strict):
    level: Literal["customer", "invoice"] = Field(
        description="Which model's prediction.", examples=["customer"]
    )
    entity_id: str = Field(
        min_length=1, max_length=64, description="customer_id or invoice_id.", examples=["C000001"]
    )
    ledger: InlineLedger | None = Field(
        None, description="Inline ledger (default: the service's ledger)."
    )
    as_of: Day | None = AsOf

    _dates = field_validator("as_of")(_check_date)


class WorklistRequest(Strict):
    as_of: Day | None = AsOf
    top: int | None = Field(
        None, strict=True, ge=1, le=MAX_ROWS, description="Keep the N first rows.", examples=[20]
    )
    grades: list[Literal["A", "B", "C", "D", "E"]] | None = Field(
        None, max_length=5, description="Keep these grades.", examples=[["D", "E"]]
    )
    sectors: list[str] | None = Field(
        None,
        max_length=100,
        description="Keep these sectors (NAF section letter or division).",
        examples=[["F"]],
    )
    min_amount: float | None = Field(
        None, strict=True, ge=0, le=1e12, description="Smallest open amount.", examples=[1000]
    )


class EmptyRequest(Strict):
    """No input."""


class ReasonOut(Strict):
    feature: str = Field(description="Feature name.", examples=["share_paid_late_30_12m"])
    value: float | int | bool | str | None = Field(description="The client's value of the feature.")
    contribution: float = Field(description="SHAP contribution (log-odds).")
    impact: float = Field(description="Effect on the probability, in probability points.")
    direction: Literal["up", "down"] = Field(description="Raises or lowers the risk.")
    text_en: str = Field(description="Sentence in English.")
    text_fr: str = Field(description="Phrase en français.")


class CreditLimitOut(Strict):
    suggested_limit: float | None = Field(description="Suggested credit limit.")
    current_limit: float | None = Field(description="Current credit limit.")
    exposure: float | None = Field(description="Open amount at as_of.")
    headroom: float | None = Field(description="Suggested limit minus exposure (>= 0).")
    rules: str = Field(description="How the suggestion was reached.")


class CustomerScore(Strict):
    request_id: str = Field(description="Id of this call in the audit log.")
    customer_id: str = Field(description="Customer scored.", examples=["C000001"])
    as_of: dt.date = Field(description="Date of the score.")
    probability: float = Field(
        ge=0, le=1, description="Calibrated probability of late payment within the horizon."
    )
    grade: str = Field(description="Grade A (safest) to E.", examples=["C"])
    reasons_en: str = Field(description="Upward drivers, in English.")
    reasons_fr: str = Field(description="Facteurs de hausse, en français.")
    reasons: list[ReasonOut] = Field(description="Top drivers up and down.")
    credit_limit: CreditLimitOut = Field(description="Credit-limit suggestion.")
    models: dict[str, str] = Field(description="Model name -> version.")
    ledger_version: str = Field(
        description="Version of the ledger scored (inline-<hash> for an inline ledger)."
    )


class InvoiceScore(Strict):
    invoice_id: str
    customer_id: str
    due_on: dt.date | None = Field(description="Due date.")
    open_amount: float = Field(description="Amount still open at as_of.")
    days_past_due: int = Field(description="Days past due at as_of.")
    probability: float = Field(ge=0, le=1, description="P(paid more than L days late).")
    expected_at_risk: float = Field(
        description=(
            "The worklist's ranking amount: open amount x P(more than 60 days late and still "
            "unpaid in 14 days) from the payment-timing model (without one: probability x open "
            "amount)."
        )
    )
    reasons_en: str
    reasons_fr: str
    reasons: list[ReasonOut]


class InvoiceScores(Strict):
    request_id: str = Field(description="Id of this call in the audit log.")
    as_of: dt.date
    models: dict[str, str]
    ledger_version: str = Field(
        description="Version of the ledger scored (inline-<hash> for an inline ledger)."
    )
    invoices: list[InvoiceScore]


class Explanation(Strict):
    request_id: str
    level: Literal["customer", "invoice"]
    entity_id: str
    as_of: dt.date
    probability: float = Field(ge=0, le=1)
    base_value: float = Field(description="SHAP base value (log-odds).")
    raw_score: float = Field(description="base_value + sum of contributions (log-odds).")
    contributions: dict[str, float] = Field(
        description="Every model input's SHAP contribution (log-odds)."
    )
    values: dict[str, float | int | bool | str | None] = Field(
        description="Every model input's value."
    )
    model: str
    version: str
    ledger_version: str = Field(
        description="Version of the ledger scored (inline-<hash> for an inline ledger)."
    )


class ModelCard(Strict):
    level: Literal["customer", "invoice"]
    name: str
    version: str
    run_id: str | None
    windows: dict[str, str] = Field(description="Training, validation and test windows.")
    test_metrics: dict[str, float] = Field(description="Out-of-time test metrics.")
    late_after_days: int | None
    horizon_days: int | None


class ModelsInfo(Strict):
    alias: str
    source: Literal["mlflow", "bento"]
    models: list[ModelCard]
    warnings: list[str] = Field(
        default_factory=list,
        description="Said beside the decisions: e.g. the credit policy's default event differs "
        "from the one the served default model was trained with (retrain it).",
    )


class Worklist(Strict):
    request_id: str
    as_of: dt.date
    models: dict[str, str]
    ledger_version: str = Field(
        description="Version of the ledger scored (inline-<hash> for an inline ledger)."
    )
    rows: list[dict[str, float | int | bool | str | None]]
    warnings: list[str] = Field(
        default_factory=list,
        description="Said beside the decisions: e.g. the credit policy's default event differs "
        "from the one the served default model was trained with (retrain it).",
    )


# ---------------------------------------------------------------- ledger events and errors


class CreditNoteRow(Strict):
    credit_note_id: str = Field(min_length=1, max_length=64, description="Credit note key.")
    customer_id: str = Field(min_length=1, max_length=64, description="Customer credited.")
    invoice_id: str | None = Field(None, max_length=64, description="Invoice credited.")
    issued_on: Day = Field(description="Credit note date.")
    amount: float = Field(strict=True, ge=0.01, le=1e12, description="Amount credited (> 0).")

    _dates = field_validator("issued_on")(_check_date)


class PaymentRow(Strict):
    payment_id: str = Field(min_length=1, max_length=64, description="Payment key.")
    invoice_id: str = Field(min_length=1, max_length=64, description="Invoice paid.")
    paid_on: Day = Field(description="Payment date.")
    amount: float = Field(strict=True, ge=0.01, le=1e12, description="Amount paid (> 0).")

    _dates = field_validator("paid_on")(_check_date)


class ReminderRow(Strict):
    invoice_id: str = Field(min_length=1, max_length=64, description="Invoice reminded.")
    sent_on: Day = Field(description="Date sent.")
    step: int = Field(
        strict=True, ge=1, le=100, description="Step of the dunning scenario (1 = first)."
    )
    channel: str = Field(min_length=1, max_length=32, description="email, phone, letter, ...")
    outcome: str | None = Field(None, max_length=32, description="none, promise_to_pay, ...")
    promised_on: Day | None = Field(None, description="Promised payment date.")

    _dates = field_validator("sent_on", "promised_on")(_check_date)


class LedgerEvents(Strict):
    """New or updated ledger rows: customers and invoices are upserted by key (an invoice sent
    again with ``paid_on`` records its settlement), the other tables are appended."""

    customers: list[CustomerRow] = Field(default_factory=list, max_length=MAX_ROWS)
    invoices: list[InvoiceRow] = Field(default_factory=list, max_length=MAX_ROWS)
    credit_notes: list[CreditNoteRow] = Field(default_factory=list, max_length=MAX_ROWS)
    payments: list[PaymentRow] = Field(default_factory=list, max_length=MAX_ROWS)
    legal_events: list[LegalEventRow] = Field(default_factory=list, max_length=MAX_ROWS)
    reminders: list[ReminderRow] = Field(default_factory=list, max_length=MAX_ROWS)

    @property
    def n_rows(self) -> int:
        return sum(len(getattr(self, name)) for name in type(self).model_fields)


class RowIssue(Strict):
    table: str = Field(description="Ledger table.", examples=["invoices"])
    row: int = Field(description="1-based row of that table in the batch.", examples=[2])
    column: str = Field(description="Column.", examples=["due_on"])
    rule: str = Field(description="Rule broken.", examples=["due_on must be on or after issued_on"])


class LedgerEventsResult(Strict):
    request_id: str
    ledger_version: str = Field(description="Ledger version after the batch.")
    kept: dict[str, int] = Field(description="Rows stored, per table.")
    quarantined: dict[str, int] = Field(
        description="Rows refused, per table (sent = kept + quarantined)."
    )
    issues: list[RowIssue] = Field(description="Why each refused row was refused.")


class LedgerStatus(Strict):
    source: str = Field(description="Where the ledger is read (no password).")
    version: str | None = Field(description="Current ledger version (stamped on every score).")
    changed_at: dt.datetime | None = Field(description="When this version was loaded or written.")
    counts: dict[str, int] = Field(description="Rows per table.")
    cached_as_of: dt.date | None = Field(description="Date of the cached scores, if any.")
    error: str | None = Field(description="Why no ledger is loaded, if so.")


class ErrorBody(BaseModel):
    """Every error answer of the service."""

    error: str = Field(description="What went wrong and what to do (never holds a secret).")


class ValidationIssue(BaseModel):
    type: str
    loc: list[str | int]
    msg: str


class ValidationErrorBody(BaseModel):
    """400: the JSON does not match the request schema."""

    error: str
    detail: list[ValidationIssue]


# ---------------------------------------------------------------- cash-in forecast


class ForecastScenario(Strict):
    """A stress on the payment behaviour (``risk.timing.forecast.Scenario``)."""

    delay_top_customers: int = Field(
        0, strict=True, ge=0, le=100_000, description="The N customers with the largest open amount...",
        examples=[10],
    )  # fmt: skip
    delay_days: int = Field(
        0, strict=True, ge=0, le=3650, description="...pay this many days later.", examples=[30]
    )
    sector: str | None = Field(
        None,
        min_length=1,
        max_length=1,
        pattern=r"^[A-U]$",
        description="NAF section letter whose weekly hazard of payment is scaled...",
        examples=["F"],
    )
    sector_hazard_factor: float = Field(
        1.0,
        strict=True,
        ge=0,
        le=100,
        description="...by this factor (0.5: half as fast).",
        examples=[0.5],
    )


class ForecastRequest(Strict):
    as_of: Day | None = Field(
        None,
        description="Forecast date (default: the ledger's last event date; not before its first).",
        examples=["2026-06-30"],
    )
    weeks: int = Field(13, strict=True, ge=1, le=52, description="Weeks forecast.", examples=[13])
    by: Literal["total", "customer", "sector", "grade"] = Field(
        "total", description="Break down by customer, sector (NAF section) or grade."
    )
    top: int = Field(
        100,
        strict=True,
        ge=1,
        le=MAX_ROWS,
        description="Groups kept (largest expected cash first).",
    )
    scenario: ForecastScenario | None = Field(None, description="Stress scenario (default: none).")

    _dates = field_validator("as_of")(_check_date)


class ForecastWeek(Strict):
    group: str = Field(description="Customer id, sector, grade, or 'all'.", examples=["all"])
    week: int = Field(ge=1, description="Week after as_of (1 = the first 7 days).")
    week_start: dt.date = Field(description="First day of the week.")
    expected: float = Field(description="Expected cash received that week.")
    low: float = Field(description="Lower end of the 80 % band.")
    high: float = Field(description="Upper end of the 80 % band.")


class CashForecastOut(Strict):
    request_id: str = Field(description="Id of this call in the audit log.")
    as_of: dt.date
    weeks: int
    by: Literal["total", "customer", "sector", "grade"]
    scenario: str = Field(
        description="The stress applied, in words ('none' without one).",
        examples=["the 10 largest customers pay 30 days later"],
    )
    open_invoices: int = Field(description="Invoices open at as_of (all forecast).")
    open_amount: float = Field(description="Their open amount.")
    expected_total: float = Field(description="Expected cash over the weeks, every group.")
    groups: int = Field(description="Groups in the breakdown (rows keep the `top` largest).")
    models: dict[str, str]
    ledger_version: str = Field(description="Version of the ledger forecast.")
    rows: list[ForecastWeek] = Field(description="Expected cash per group and week, 80 % band.")
