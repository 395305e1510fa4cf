"""The ledger's data contracts: tables, columns, types and enumerations.

This module is declarative only: it says what a valid ledger looks like. ``risk.validate``
enforces it, ``risk.io`` reads and writes it and ``risk.synth`` generates ledgers that obey it.

In memory a ledger table uses these dtypes:

* ``id`` and ``str`` columns: pandas ``str`` (``object`` is never produced);
* ``date`` columns: ``datetime64[ns]`` (missing = ``NaT``);
* ``float`` columns: ``float64`` (missing = ``NaN``);
* ``int`` columns: ``int64``, or ``Int64`` when the column is nullable;
* ``bool`` columns: ``bool``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnKind = Literal["id", "str", "date", "float", "int", "bool"]

TABLE_NAMES: tuple[str, ...] = (
    "customers",
    "invoices",
    "credit_notes",
    "payments",
    "legal_events",
    "reminders",
    "disputes",
    "credit_limits",
    "invoice_statuses",
)
REQUIRED_TABLES: tuple[str, ...] = ("customers", "invoices")

LEGAL_FORMS: tuple[str, ...] = (
    "SAS",
    "SASU",
    "SARL",
    "EURL",
    "SA",
    "SNC",
    "SCI",
    "SCOP",
    "EI",  # entreprise individuelle (sole trader), incl. micro-entrepreneurs
    "ASSOCIATION",
    "COMMUNE",
    "DEPARTEMENT",
    "REGION",
    "ETAT",
    "EPA",  # établissement public administratif
)
SOLE_TRADER_FORMS: tuple[str, ...] = ("EI",)
PUBLIC_FORMS: tuple[str, ...] = ("COMMUNE", "DEPARTEMENT", "REGION", "ETAT", "EPA")

INVOICE_CHANNELS: tuple[str, ...] = ("paper", "electronic")

LEGAL_EVENT_KINDS: tuple[str, ...] = (
    "safeguard",  # procédure de sauvegarde
    "receivership",  # redressement judiciaire
    "liquidation",  # liquidation judiciaire
    "plan_adopted",  # plan de sauvegarde / de redressement arrêté
    "proceeding_closed",  # clôture de la procédure
    "tax_privilege",  # inscription de privilège du Trésor
    "social_privilege",  # inscription de privilège URSSAF / sécurité sociale
    "payment_order",  # injonction de payer
    "director_change",  # changement de dirigeant
    "capital_decrease",  # réduction de capital
    "company_closed",  # cessation: SIRENE état administratif C (unité légale cessée)
)
COLLECTIVE_PROCEEDING_KINDS: tuple[str, ...] = ("safeguard", "receivership", "liquidation")

#: Lifecycle statuses of the French e-invoicing reform (cycle de vie, XP Z12-012 / DGFiP external
#: specifications, code list of rule BR-FR-CDV-CL-06), official code -> ledger name. Codes of the
#: list not named here (214, 220-228, 250-601: certification, factoring, e-reporting ...) are
#: valid messages that the ledger does not use (``risk enrich statuses`` reports and skips them).
INVOICE_STATUS_CODES: dict[str, str] = {
    "200": "submitted",  # Déposée (mandatory)
    "201": "issued",  # Émise par la plateforme
    "202": "received",  # Reçue par la plateforme
    "203": "made_available",  # Mise à disposition
    "204": "in_hand",  # Prise en charge
    "205": "approved",  # Approuvée
    "206": "partially_approved",  # Approuvée partiellement
    "207": "disputed",  # En litige
    "208": "suspended",  # Suspendue
    "209": "completed",  # Complétée
    "210": "refused",  # Refusée (mandatory)
    "211": "payment_transmitted",  # Paiement transmis
    "212": "cashed",  # Encaissée (mandatory)
    "213": "rejected",  # Rejetée (mandatory)
    "501": "inadmissible",  # Irrecevable
}
INVOICE_STATUSES: tuple[str, ...] = tuple(INVOICE_STATUS_CODES.values())

REMINDER_CHANNELS: tuple[str, ...] = ("email", "phone", "letter", "registered_letter", "sms")
REMINDER_OUTCOMES: tuple[str, ...] = ("none", "promise_to_pay", "dispute", "paid")

#: NAF rev. 2 code, e.g. ``47.11F``: two-digit division, dot, two digits, one capital letter.
NAF_CODE_PATTERN = r"^\d{2}\.\d{2}[A-Z]$"
#: ISO 3166-1 alpha-2 country code.
COUNTRY_PATTERN = r"^[A-Z]{2}$"


@dataclass(frozen=True)
class Column:
    """One column of a ledger table.

    Attributes:
        name: column name (English snake_case).
        kind: logical type, see the module docstring for the in-memory dtype.
        required: the column must be present in the file.
        nullable: empty values are allowed.
        description: what the column means, for messages and docs.
        choices: allowed values for an enumeration.
        pattern: regular expression the value must match (strings only).
        min_value: smallest allowed value (numbers only).
        exclusive_min: ``min_value`` itself is not allowed.
        default: value used when an optional column is absent from the file.
    """

    name: str
    kind: ColumnKind
    required: bool = True
    nullable: bool = False
    description: str = ""
    choices: tuple[str, ...] | None = None
    pattern: str | None = None
    min_value: float | None = None
    exclusive_min: bool = False
    default: object = None


@dataclass(frozen=True)
class Table:
    """A ledger table: its columns, key and the foreign keys it holds."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    foreign_keys: dict[str, str] = field(default_factory=dict)  # column -> "table.column"
    description: str = ""

    def column(self, name: str) -> Column:
        """Return the column called ``name``.

        Raises:
            KeyError: the table has no such column.
        """
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(col.name for col in self.columns)


CUSTOMERS = Table(
    name="customers",
    key=("customer_id",),
    description="One row per client company (or public buyer).",
    columns=(
        Column("customer_id", "id", description="client identifier in the ERP"),
        Column("name", "str", required=False, nullable=True, description="company name"),
        Column(
            "siren",
            "str",
            required=False,
            nullable=True,
            description="French company registry number, 9 digits with a valid Luhn key",
        ),
        Column(
            "country",
            "str",
            required=False,
            nullable=True,
            pattern=COUNTRY_PATTERN,
            default="FR",
            description="ISO 3166-1 alpha-2 country code",
        ),
        Column(
            "naf_code",
            "str",
            required=False,
            nullable=True,
            pattern=NAF_CODE_PATTERN,
            description="NAF rev. 2 activity code (code APE), e.g. 47.11F",
        ),
        Column(
            "legal_form",
            "str",
            required=False,
            nullable=True,
            choices=LEGAL_FORMS,
            description="legal form (SAS, SARL, EI, COMMUNE, ...)",
        ),
        Column("created_on", "date", required=False, nullable=True, description="company creation"),
        Column(
            "employees",
            "int",
            required=False,
            nullable=True,
            min_value=0,
            description="headcount",
        ),
        Column(
            "payment_terms_days",
            "int",
            required=False,
            min_value=0,
            default=30,
            description="agreed payment terms in days",
        ),
        Column(
            "end_of_month_terms",
            "bool",
            required=False,
            default=False,
            description="terms counted from the end of the month (fin de mois)",
        ),
        Column(
            "credit_limit",
            "float",
            required=False,
            nullable=True,
            min_value=0,
            description="current credit limit in ledger currency",
        ),
        Column(
            "insured_limit",
            "float",
            required=False,
            nullable=True,
            min_value=0,
            description="credit-insurer limit (garantie d'assurance-crédit) in ledger currency",
        ),
        Column(
            "group_id",
            "id",
            required=False,
            nullable=True,
            description="consolidation group for exposure",
        ),
        # contact details for letters and statements (issue 13), all optional
        *(
            Column(name, "str", required=False, nullable=True, description=text)
            for name, text in (
                ("address", "postal address (street) for letters"),
                ("postcode", "postal code"),
                ("city", "city"),
                ("email", "accounts-payable e-mail address"),
                ("contact", "name of the person to write to"),
            )
        ),
        Column(
            "paperless_since",
            "date",
            required=False,
            nullable=True,
            description=(
                "date the customer switched to electronic invoicing (dématérialisation); its"
                " invoices are paper before it"
            ),
        ),
    ),
)

INVOICES = Table(
    name="invoices",
    key=("invoice_id",),
    foreign_keys={"customer_id": "customers.customer_id"},
    description="Sales invoices (credit notes live in credit_notes).",
    columns=(
        Column("invoice_id", "id", description="invoice number"),
        Column("customer_id", "id", description="client the invoice was issued to"),
        Column("issued_on", "date", description="invoice date"),
        Column("due_on", "date", description="due date (échéance)"),
        Column(
            "amount",
            "float",
            description=(
                "amount including tax; > 0 (a negative row is a credit note and is moved to"
                " credit_notes by validation)"
            ),
        ),
        Column(
            "paid_on",
            "date",
            required=False,
            nullable=True,
            description="date the invoice was fully settled; empty while open",
        ),
        Column(
            "amount_paid",
            "float",
            required=False,
            min_value=0,
            default=0.0,
            description="amount paid so far (partial payments)",
        ),
        Column(
            "disputed",
            "bool",
            required=False,
            default=False,
            description="the client disputes the invoice (litige)",
        ),
        Column(
            "channel",
            "str",
            required=False,
            nullable=True,
            choices=INVOICE_CHANNELS,
            description="paper or electronic invoice",
        ),
    ),
)

CREDIT_NOTES = Table(
    name="credit_notes",
    key=("credit_note_id",),
    foreign_keys={"customer_id": "customers.customer_id", "invoice_id": "invoices.invoice_id"},
    description="Credit notes (avoirs): negative documents kept apart from invoices.",
    columns=(
        Column("credit_note_id", "id", description="credit note number"),
        Column("customer_id", "id", description="client credited"),
        Column(
            "invoice_id",
            "id",
            required=False,
            nullable=True,
            description="invoice the credit note refers to, if any",
        ),
        Column("issued_on", "date", description="credit note date"),
        Column(
            "amount",
            "float",
            min_value=0,
            exclusive_min=True,
            description="credited amount as a positive number",
        ),
    ),
)

PAYMENTS = Table(
    name="payments",
    key=("payment_id",),
    foreign_keys={"invoice_id": "invoices.invoice_id"},
    description="Individual payments received against invoices.",
    columns=(
        Column("payment_id", "id", description="payment identifier"),
        Column("invoice_id", "id", description="invoice paid"),
        Column("paid_on", "date", description="payment date"),
        Column(
            "amount", "float", min_value=0, exclusive_min=True, description="amount received; > 0"
        ),
    ),
)

LEGAL_EVENTS = Table(
    name="legal_events",
    foreign_keys={"customer_id": "customers.customer_id"},
    description="Legal announcements about clients (BODACC, registries).",
    columns=(
        Column("customer_id", "id", description="client concerned"),
        Column("published_on", "date", description="publication date"),
        Column("kind", "str", choices=LEGAL_EVENT_KINDS, description="kind of event"),
        Column(
            "source",
            "str",
            required=False,
            nullable=True,
            default="BODACC",
            description="where the event was published",
        ),
        Column(
            "judgment_on",
            "date",
            required=False,
            nullable=True,
            description="date of the court judgment the announcement publishes (BODACC)",
        ),
        Column(
            "reference",
            "str",
            required=False,
            nullable=True,
            description="identifier of the announcement at its source (BODACC id, SIRENE period)",
        ),
    ),
)

REMINDERS = Table(
    name="reminders",
    foreign_keys={"invoice_id": "invoices.invoice_id"},
    description="Dunning reminders sent (relances) and their outcome.",
    columns=(
        Column("invoice_id", "id", description="invoice reminded"),
        Column("sent_on", "date", description="date sent"),
        Column("step", "int", min_value=1, description="step of the dunning scenario (1 = first)"),
        Column("channel", "str", choices=REMINDER_CHANNELS, description="how it was sent"),
        Column(
            "outcome",
            "str",
            required=False,
            default="none",
            choices=REMINDER_OUTCOMES,
            description="what the client answered",
        ),
        Column(
            "promised_on",
            "date",
            required=False,
            nullable=True,
            description="promised payment date when the outcome is a promise to pay",
        ),
    ),
)

DISPUTES = Table(
    name="disputes",
    foreign_keys={"invoice_id": "invoices.invoice_id"},
    description="Disputes (litiges) as dated facts: known from the day they were opened.",
    columns=(
        Column("invoice_id", "id", description="invoice disputed"),
        Column("opened_on", "date", description="date the client raised the dispute"),
        Column(
            "resolved_on",
            "date",
            required=False,
            nullable=True,
            description="date the dispute was settled; empty while open",
        ),
        Column("reason", "str", required=False, nullable=True, description="why (free text)"),
        Column("owner", "str", required=False, nullable=True, description="who handles it"),
        Column(
            "amount",
            "float",
            required=False,
            nullable=True,
            min_value=0,
            description="disputed amount (empty = the whole invoice)",
        ),
    ),
)

CREDIT_LIMITS = Table(
    name="credit_limits",
    foreign_keys={"customer_id": "customers.customer_id"},
    description=(
        "History of credit limits: each row holds from valid_from until the customer's next row."
        " Without it the customers' credit_limit is only known from the ledger's cut-off date."
    ),
    columns=(
        Column("customer_id", "id", description="client concerned"),
        Column("credit_limit", "float", min_value=0, description="credit limit in ledger currency"),
        Column("valid_from", "date", description="first day the limit applies"),
    ),
)

INVOICE_STATUSES_TABLE = Table(
    name="invoice_statuses",
    foreign_keys={"invoice_id": "invoices.invoice_id"},
    description=(
        "Lifecycle statuses of electronic invoices returned by the e-invoicing platforms (French"
        " reform, from September 2026): dated facts, known from ``status_on``. Status names map"
        " the official codes: 200 submitted, 201 issued, 202 received, 203 made_available,"
        " 204 in_hand, 205 approved, 206 partially_approved, 207 disputed, 208 suspended,"
        " 209 completed, 210 refused, 211 payment_transmitted, 212 cashed, 213 rejected,"
        " 501 inadmissible (docs/enrich.md)."
    ),
    columns=(
        Column("invoice_id", "id", description="invoice the status is about"),
        Column(
            "status",
            "str",
            choices=INVOICE_STATUSES,
            description="lifecycle status (ledger name of the official code)",
        ),
        Column("status_on", "date", description="date of the status (when it was set)"),
        Column(
            "reason",
            "str",
            required=False,
            nullable=True,
            description="reason given with the status (motif, e.g. a code like PU_ERR)",
        ),
    ),
)

TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        CUSTOMERS,
        INVOICES,
        CREDIT_NOTES,
        PAYMENTS,
        LEGAL_EVENTS,
        REMINDERS,
        DISPUTES,
        CREDIT_LIMITS,
        INVOICE_STATUSES_TABLE,
    )
}
