"""Hypothesis strategies for small valid ledgers, and helpers to cut / extend them at a date."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from risk.contracts import INVOICE_CHANNELS, LEGAL_EVENT_KINDS, REMINDER_OUTCOMES
from risk.ledger import Ledger

BASE = pd.Timestamp("2024-01-01")
SPAN_DAYS = 700
FORMS = ("SAS", "SARL", "EI", "COMMUNE", None)
NAF = ("47.11F", "41.20A", "62.01Z", "86.21Z", None)


def day(offset: int) -> pd.Timestamp:
    return BASE + pd.Timedelta(days=offset)


@st.composite
def customers_st(draw: st.DrawFn, n: int) -> pd.DataFrame:
    rows = [
        {
            "customer_id": f"C{k}",
            "naf_code": draw(st.sampled_from(NAF)),
            "legal_form": draw(st.sampled_from(FORMS)),
            "created_on": draw(st.one_of(st.none(), st.integers(-3000, 300).map(day))),
            "employees": draw(st.one_of(st.none(), st.integers(0, 500))),
            "payment_terms_days": draw(st.sampled_from((30, 45, 60))),
            "end_of_month_terms": draw(st.booleans()),
            "credit_limit": draw(st.one_of(st.none(), st.sampled_from((0.0, 5000.0, 20000.0)))),
        }
        for k in range(n)
    ]
    frame = pd.DataFrame(rows)
    return frame.astype({
        "customer_id": "str", "naf_code": "str", "legal_form": "str",
        "created_on": "datetime64[ns]", "employees": "Int64", "credit_limit": "float64",
    })  # fmt: skip


@st.composite
def invoice_rows(draw: st.DrawFn, n_customers: int, prefix: str, lo: int, hi: int) -> list[dict]:
    rows = []
    for k in range(draw(st.integers(0, 15))):
        issued = draw(st.integers(lo, hi))
        due = issued + draw(st.sampled_from((0, 30, 45, 60)))
        delay = draw(st.one_of(st.none(), st.integers(0, 240)))
        rows.append({
            "invoice_id": f"{prefix}{k}",
            "customer_id": f"C{draw(st.integers(0, n_customers - 1))}",
            "issued_on": day(issued), "due_on": day(due),
            "amount": draw(st.sampled_from((100.0, 250.5, 1000.0, 3333.33))),
            "paid_on": None if delay is None else day(issued + delay),
            "disputed": draw(st.booleans()),
            "channel": draw(st.sampled_from((*INVOICE_CHANNELS, None))),
        })  # fmt: skip
    return rows


def invoices_frame(rows: list[dict]) -> pd.DataFrame:
    columns = ["invoice_id", "customer_id", "issued_on", "due_on", "amount", "paid_on",
               "amount_paid", "disputed", "channel"]  # fmt: skip
    frame = pd.DataFrame(rows, columns=[c for c in columns if c != "amount_paid"])
    frame["amount_paid"] = np.where(frame["paid_on"].notna(), frame["amount"], 0.0)
    return frame[columns].astype({
        "invoice_id": "str", "customer_id": "str", "issued_on": "datetime64[ns]",
        "due_on": "datetime64[ns]", "amount": "float64", "paid_on": "datetime64[ns]",
        "amount_paid": "float64", "disputed": "bool", "channel": "str",
    })  # fmt: skip


@st.composite
def payment_rows(draw: st.DrawFn, invoices: pd.DataFrame) -> list[dict]:
    """Full payment on paid_on, sometimes preceded by a partial one; sometimes partial only."""
    rows: list[dict] = []
    for inv in invoices.to_dict("records"):
        issued, paid = inv["issued_on"], inv["paid_on"]
        end = paid if not pd.isna(paid) else issued + pd.Timedelta(days=300)
        split = draw(st.booleans()) and (end - issued).days > 0
        first_part = inv["amount"] / 2 if split else 0.0
        if split:
            when = issued + pd.Timedelta(days=draw(st.integers(0, (end - issued).days - 1)))
            rows.append({"invoice_id": inv["invoice_id"], "paid_on": when, "amount": first_part})
        if not pd.isna(paid):
            rows.append(
                {
                    "invoice_id": inv["invoice_id"],
                    "paid_on": paid,
                    "amount": inv["amount"] - first_part,
                }
            )
    return rows


def payments_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["invoice_id", "paid_on", "amount"])
    frame.insert(0, "payment_id", [f"P{k}" for k in range(len(frame))])
    return frame.astype(
        {"payment_id": "str", "invoice_id": "str", "paid_on": "datetime64[ns]", "amount": "float64"}
    )


@st.composite
def legal_rows(draw: st.DrawFn, n_customers: int, lo: int, hi: int) -> list[dict]:
    return [
        {"customer_id": f"C{draw(st.integers(0, n_customers - 1))}",
         "published_on": day(draw(st.integers(lo, hi))),
         "kind": draw(st.sampled_from(LEGAL_EVENT_KINDS)), "source": "BODACC"}
        for _ in range(draw(st.integers(0, 5)))
    ]  # fmt: skip


def legal_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "published_on", "kind", "source"])
    return frame.astype(
        {"customer_id": "str", "published_on": "datetime64[ns]", "kind": "str", "source": "str"}
    )


@st.composite
def reminder_rows(draw: st.DrawFn, invoices: pd.DataFrame, lo: int, hi: int) -> list[dict]:
    if invoices.empty:
        return []
    ids = invoices["invoice_id"].tolist()
    return [
        {"invoice_id": draw(st.sampled_from(ids)), "sent_on": day(draw(st.integers(lo, hi))),
         "step": draw(st.integers(1, 3)), "channel": "email",
         "outcome": draw(st.sampled_from(REMINDER_OUTCOMES)), "promised_on": None}
        for _ in range(draw(st.integers(0, 8)))
    ]  # fmt: skip


def reminders_frame(rows: list[dict]) -> pd.DataFrame:
    columns = ["invoice_id", "sent_on", "step", "channel", "outcome", "promised_on"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype(
        {
            "invoice_id": "str",
            "sent_on": "datetime64[ns]",
            "step": "int64",
            "channel": "str",
            "outcome": "str",
            "promised_on": "datetime64[ns]",
        }
    )


@st.composite
def ledgers(draw: st.DrawFn, optional: bool = True) -> Ledger:
    """A small valid ledger: 1-3 customers, 0-15 invoices, optional tables."""
    n_customers = draw(st.integers(1, 3))
    customers = draw(customers_st(n_customers))
    invoices = invoices_frame(draw(invoice_rows(n_customers, "I", 0, SPAN_DAYS)))
    tables: dict[str, pd.DataFrame | None] = {}
    if not optional or draw(st.booleans()):
        tables["payments"] = payments_frame(draw(payment_rows(invoices)))
    if not optional or draw(st.booleans()):
        tables["legal_events"] = legal_frame(draw(legal_rows(n_customers, 0, SPAN_DAYS)))
    if not optional or draw(st.booleans()):
        tables["reminders"] = reminders_frame(draw(reminder_rows(invoices, 0, SPAN_DAYS + 200)))
    return Ledger(customers=customers, invoices=invoices, **tables)


def cutoff(ledger: Ledger) -> pd.Timestamp:
    """The ledger's cut-off, or a far-future date when it holds no dated event."""
    try:
        return ledger.cutoff
    except ValueError:
        return pd.Timestamp("2262-01-01")


def truncate(ledger: Ledger, t: pd.Timestamp) -> Ledger:
    """The ledger as it was known at ``t``: every record dated on or after ``t`` removed.

    Before the cut-off, the undated snapshot values of the export (the customers' credit limit,
    the dispute flag of invoices still open) are unknown at ``t`` too: they are dropped.
    """
    inv = ledger.invoices[ledger.invoices["issued_on"] < t].copy()
    inv["paid_on"] = inv["paid_on"].where(inv["paid_on"] < t)
    kept = set(inv["invoice_id"])
    if t <= cutoff(ledger) and "disputed" in inv.columns:
        inv["disputed"] = inv["disputed"] & inv["paid_on"].notna()
    out = {"invoices": inv.reset_index(drop=True)}
    if t <= cutoff(ledger) and "credit_limit" in ledger.customers.columns:
        out["customers"] = ledger.customers.assign(credit_limit=np.nan)
    if ledger.payments is not None:
        pay = ledger.payments
        out["payments"] = pay[(pay["paid_on"] < t) & pay["invoice_id"].isin(kept)]
    if ledger.legal_events is not None:
        out["legal_events"] = ledger.legal_events[ledger.legal_events["published_on"] < t]
    if ledger.reminders is not None:
        rem = ledger.reminders
        out["reminders"] = rem[(rem["sent_on"] < t) & rem["invoice_id"].isin(kept)]
    return ledger.with_tables(**{k: v.reset_index(drop=True) for k, v in out.items()})


def shuffle(ledger: Ledger, seed: int) -> Ledger:
    """The same ledger with every table's rows in another order."""
    rng = np.random.default_rng(seed)
    return ledger.with_tables(**{
        name: frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
        for name, frame in ledger.tables().items()
    })  # fmt: skip
