"""Collection actions recorded on the web pages, kept in a table of their own (SQLAlchemy).

An action is what a collector did about a customer's open invoices: a reminder sent (with its
channel), a call made (with a note), a promise to pay (with its date) or a dispute (with its
reason). ``apply_actions`` turns them into ledger rows for the scoring core: reminders (the step
done, a promise with its date) and disputed invoices, so that the next action changes at once.

The table lives at ``RISK_ACTIONS_URL`` (default ``sqlite:///models/actions.db``, any SQLAlchemy
URL such as ``postgresql+psycopg://user@db/risk``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    insert,
    select,
)
from sqlalchemy.engine import Engine, make_url

from risk.ledger import Ledger

logger = logging.getLogger(__name__)

DEFAULT_ACTIONS_URL = "sqlite:///models/actions.db"
KINDS = ("reminder", "call", "promise", "dispute")
CHANNELS = ("email", "phone", "letter", "registered_letter", "sms")
MAX_NOTE = 500

metadata = MetaData()

collection_actions = Table(
    "collection_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("invoice_ids", Text, nullable=False, doc="JSON list of the invoices concerned"),
    Column("kind", String(16), nullable=False),
    Column("channel", String(32), nullable=False, default=""),
    Column("step", Integer, nullable=False, default=0, doc="scenario step done (0: none)"),
    Column("promised_on", Date, nullable=True),
    Column("note", Text, nullable=False, default=""),
    Column("effective_on", Date, nullable=False, doc="the view date the action was taken at"),
    Column("key_name", String(128), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class ActionError(ValueError):
    """A recorded action breaks a rule (the message names the field and the rule)."""


@dataclass(frozen=True)
class CollectionAction:
    """One action a collector recorded."""

    customer_id: str
    invoice_ids: Sequence[str]
    kind: str
    effective_on: dt.date
    key_name: str
    channel: str = ""
    step: int = 0
    promised_on: dt.date | None = None
    note: str = ""
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ActionError(f"action kind {self.kind!r}: must be one of {', '.join(KINDS)}")
        if not self.invoice_ids:
            raise ActionError(f"customer {self.customer_id}: no open invoice to record it on")
        if self.kind == "reminder" and self.channel not in CHANNELS:
            raise ActionError(f"channel {self.channel!r}: must be one of {', '.join(CHANNELS)}")
        if self.kind == "promise" and (
            self.promised_on is None or self.promised_on < self.effective_on
        ):
            raise ActionError(
                f"promised_on {self.promised_on}: a promise needs a date on or after "
                f"{self.effective_on}"
            )
        if self.kind == "dispute" and not self.note.strip():
            raise ActionError("reason: a dispute needs its reason")
        if len(self.note) > MAX_NOTE:
            raise ActionError(f"note: at most {MAX_NOTE} characters")

    def row(self) -> dict[str, object]:
        return {
            "customer_id": self.customer_id,
            "invoice_ids": json.dumps(list(self.invoice_ids)),
            "kind": self.kind,
            "channel": self.channel,
            "step": int(self.step),
            "promised_on": self.promised_on,
            "note": self.note,
            "effective_on": self.effective_on,
            "key_name": self.key_name,
            "created_at": self.created_at,
        }


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True)


class ActionLog:
    """Reads and writes ``collection_actions`` (the table is created when absent)."""

    def __init__(self, url: str = DEFAULT_ACTIONS_URL) -> None:
        self.engine = _engine(url)
        metadata.create_all(self.engine)

    def write(self, action: CollectionAction) -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(collection_actions).values(**action.row()))

    def read(self, customer_id: str | None = None) -> list[CollectionAction]:
        """Every action (of one customer), oldest first."""
        query = select(collection_actions).order_by(collection_actions.c.id)
        if customer_id is not None:
            query = query.where(collection_actions.c.customer_id == customer_id)
        with self.engine.connect() as connection:
            rows = [dict(r._mapping) for r in connection.execute(query)]
        return [
            CollectionAction(
                **{
                    **{k: v for k, v in row.items() if k != "id"},
                    "invoice_ids": json.loads(row["invoice_ids"]),
                }
            )
            for row in rows
        ]

    def close(self) -> None:
        self.engine.dispose()


OUTCOMES = {"promise": "promise_to_pay", "dispute": "dispute"}


def action_events(action: CollectionAction) -> dict[str, pd.DataFrame]:
    """The ledger events of an action (``POST /ledger/events`` rows, as text): one reminder
    row per invoice, dated the day before the view date (the scoring core counts what happened
    strictly before its as-of date, so it counts at that view date).

    Reminders and calls record the scenario step done; a promise carries its date (outcome
    ``promise_to_pay``), a dispute its outcome ``dispute``; both keep the step reached (at
    least 1: the ledger's reminder steps start at 1). The note stays in the actions' table.
    """
    sent_on = (pd.Timestamp(action.effective_on) - pd.Timedelta(days=1)).date().isoformat()
    promised = action.promised_on.isoformat() if action.promised_on else ""
    channel = action.channel or ("phone" if action.kind in ("call", "promise") else "email")
    rows = [
        {
            "invoice_id": str(invoice_id),
            "sent_on": sent_on,
            "step": str(max(int(action.step), 1)),
            "channel": channel,
            "outcome": OUTCOMES.get(action.kind, "none"),
            "promised_on": promised,
        }
        for invoice_id in action.invoice_ids
    ]
    return {"reminders": pd.DataFrame(rows, dtype="str")}


def apply_actions(ledger: Ledger, actions: Sequence[CollectionAction]) -> Ledger:
    """The ledger with the actions as reminder rows and disputed invoices.

    The scoring core counts what happened strictly before its as-of date, so an action taken at
    the view date ``effective_on`` is dated the day before it: it counts at that view date.
    Reminders and calls record the scenario step done; a promise keeps the last step done and
    carries its date; a dispute marks its invoices disputed.
    """
    if not actions:
        return ledger
    rows = []
    disputed: set[str] = set()
    for action in actions:
        if action.kind == "dispute":
            disputed.update(action.invoice_ids)
            continue
        sent_on = pd.Timestamp(action.effective_on) - pd.Timedelta(days=1)
        for invoice_id in action.invoice_ids:
            rows.append(
                {
                    "invoice_id": invoice_id,
                    "sent_on": sent_on,
                    "step": int(action.step),
                    "channel": action.channel or ("phone" if action.kind == "call" else "email"),
                    "outcome": "promise_to_pay" if action.kind == "promise" else "none",
                    "promised_on": pd.Timestamp(action.promised_on)
                    if action.promised_on
                    else pd.NaT,
                }
            )
    tables: dict[str, pd.DataFrame] = {}
    if rows:
        added = pd.DataFrame(rows)
        base = ledger.reminders
        if base is not None and not base.empty:
            added = added.astype({c: base[c].dtype for c in added.columns if c in base.columns})
            added = pd.concat([base, added], ignore_index=True)
        tables["reminders"] = added
    if disputed:
        invoices = ledger.invoices.copy()
        current = invoices.get("disputed", False)
        invoices["disputed"] = invoices["invoice_id"].isin(disputed) | current
        tables["invoices"] = invoices
    return ledger.with_tables(**tables)
