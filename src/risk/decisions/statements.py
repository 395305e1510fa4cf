"""Customer statements (relevé de compte): invoices, credit notes, payments and the balance,
reconciled to the open items of the ledger, as printable HTML and Excel.

Entries dated before ``as_of`` (the one clock) are listed by date: invoices as debits, credit
notes and payments as credits, with the running balance. The statement reconciles when the
balance equals the net open amount of the customer's invoices (``risk.portfolio.open_amounts``)
minus the credit notes not allocated to an invoice; any difference (an invoice settled short
without a credit note, a payment without a date) is shown, never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from risk.ledger import Ledger
from risk.portfolio import known_at, open_amounts

ENTRY_COLUMNS = ("date", "kind", "reference", "invoice_id", "due_on", "debit", "credit")


@dataclass(frozen=True)
class Statement:
    """A customer's statement at a date.

    Attributes:
        customer_id: the customer.
        as_of: the date (entries dated before it).
        entries: dated entries with ``balance`` (running, debit - credit).
        open_items: the open invoices with their net open amount and days past due.
        balance: debits - credits of all entries.
        open_total: net open amount of the open invoices.
        unallocated_credits: credit notes not tied to an invoice (they lower the balance).
        difference: ``balance - (open_total - unallocated_credits)``, 0 when it reconciles.
    """

    customer_id: str
    as_of: pd.Timestamp
    entries: pd.DataFrame
    open_items: pd.DataFrame
    balance: float
    open_total: float
    unallocated_credits: float

    @property
    def difference(self) -> float:
        return round(self.balance - (self.open_total - self.unallocated_credits), 2)

    @property
    def reconciles(self) -> bool:
        return abs(self.difference) < 0.005


def _invoice_entries(invoices: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": invoices["issued_on"],
            "kind": "invoice",
            "reference": invoices["invoice_id"],
            "invoice_id": invoices["invoice_id"],
            "due_on": invoices["due_on"],
            "debit": invoices["amount"],
            "credit": 0.0,
        }
    )


def _credit_entries(ledger: Ledger, customer_id: str, as_of: pd.Timestamp) -> pd.DataFrame:
    notes = ledger.credit_notes
    if notes is None or notes.empty:
        return pd.DataFrame(columns=list(ENTRY_COLUMNS))
    mine = notes[(notes["customer_id"] == customer_id) & known_at(notes["issued_on"], as_of)]
    invoice = mine["invoice_id"] if "invoice_id" in mine else pd.Series(None, index=mine.index)
    return pd.DataFrame(
        {
            "date": mine["issued_on"],
            "kind": "credit_note",
            "reference": mine["credit_note_id"],
            "invoice_id": invoice,
            "due_on": pd.NaT,
            "debit": 0.0,
            "credit": mine["amount"],
        }
    )


def _payment_entries(ledger: Ledger, invoices: pd.DataFrame, as_of: pd.Timestamp):
    if ledger.payments is not None:
        paid = ledger.payments[
            ledger.payments["invoice_id"].isin(invoices["invoice_id"])
            & known_at(ledger.payments["paid_on"], as_of)
        ]
        return pd.DataFrame(
            {
                "date": paid["paid_on"],
                "kind": "payment",
                "reference": paid["payment_id"],
                "invoice_id": paid["invoice_id"],
                "due_on": pd.NaT,
                "debit": 0.0,
                "credit": paid["amount"],
            }
        )
    settled = known_at(invoices["paid_on"], as_of)
    partial = ~settled & invoices["paid_on"].isna() & (invoices["amount_paid"] > 0)
    chosen = invoices[settled | partial]
    return pd.DataFrame(
        {
            "date": chosen["paid_on"],  # NaT for a partial payment without a date
            "kind": "payment",
            "reference": "payment " + chosen["invoice_id"],
            "invoice_id": chosen["invoice_id"],
            "due_on": pd.NaT,
            "debit": 0.0,
            "credit": chosen["amount_paid"],
        }
    )


def customer_statement(ledger: Ledger, customer_id: str, as_of: pd.Timestamp) -> Statement:
    """The statement of one customer at ``as_of``.

    Raises:
        KeyError: the customer is not in the ledger.
    """
    as_of = pd.Timestamp(as_of)
    if customer_id not in set(ledger.customers["customer_id"]):
        raise KeyError(f"customers: no customer_id {customer_id!r}")
    inv = ledger.invoices
    mine = inv[(inv["customer_id"] == customer_id) & known_at(inv["issued_on"], as_of)]
    credits = _credit_entries(ledger, customer_id, as_of)
    parts = [_invoice_entries(mine), credits, _payment_entries(ledger, mine, as_of)]
    parts = [p for p in parts if len(p)] or [pd.DataFrame(columns=list(ENTRY_COLUMNS))]
    entries = pd.concat(parts, ignore_index=True)
    order = {"invoice": 0, "credit_note": 1, "payment": 2}
    entries = entries.assign(_k=entries["kind"].map(order)).sort_values(
        ["date", "_k", "reference"], kind="stable", na_position="last"
    )
    entries = entries.drop(columns="_k").reset_index(drop=True)
    entries["debit"] = entries["debit"].astype(float)
    entries["credit"] = entries["credit"].astype(float)
    entries["balance"] = np.round((entries["debit"] - entries["credit"]).cumsum(), 2)
    items = open_amounts(ledger, as_of)
    items = items[items["customer_id"] == customer_id].reset_index(drop=True)
    unallocated = credits[credits["invoice_id"].isna()]["credit"].sum() if len(credits) else 0.0
    return Statement(
        customer_id=customer_id,
        as_of=as_of,
        entries=entries,
        open_items=items,
        balance=round(float(entries["balance"].iloc[-1]) if len(entries) else 0.0, 2),
        open_total=round(float(items["open_amount"].sum()), 2),
        unallocated_credits=round(float(unallocated), 2),
    )


def write_statement_excel(statement: Statement, path: Path, lang: str = "en") -> Path:
    """The statement as an Excel workbook: entries and open items, EUR and date formats."""
    from risk.decisions.export import HEADERS_FR, write_sheets

    labels = _SHEETS[lang]
    entries, items = statement.entries, statement.open_items
    if lang == "fr":
        entries = entries.assign(kind=entries["kind"].map(_KINDS_FR)).rename(columns=_COLUMNS_FR)
        items = items.rename(columns=HEADERS_FR | _COLUMNS_FR)
    return write_sheets({labels[0]: entries, labels[1]: items}, path, lang)


_SHEETS = {"en": ("entries", "open items"), "fr": ("écritures", "factures ouvertes")}
_KINDS_FR = {"invoice": "facture", "credit_note": "avoir", "payment": "règlement"}
_COLUMNS_FR = {
    "date": "date", "kind": "nature", "reference": "pièce", "invoice_id": "facture",
    "due_on": "échéance", "debit": "débit", "credit": "crédit", "balance": "solde",
    "customer_id": "code client", "amount": "montant", "paid_amount": "réglé",
    "credited_amount": "avoirs",
}  # fmt: skip
