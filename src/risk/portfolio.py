"""Portfolio overview as a credit manager reads it: receivables, aged balance, DSO, lateness.

One clock for every as-of computation (the same rule as the point-in-time features): a fact
dated ``d`` is known at ``as_of`` when ``d < as_of``. An invoice is open at ``as_of`` when it was
issued before that day and not settled before it; payments and credit notes count when dated
before it. To see the state at the end of a day (e.g. a closing date), ask for the next day.

Open amounts are net: amount - payments - credit notes allocated to the invoice (never below 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk.ledger import Ledger

AGING_BUCKETS: tuple[tuple[str, int, int], ...] = (
    ("not_due", -(10**6), 0),
    ("1_30", 1, 30),
    ("31_60", 31, 60),
    ("61_90", 61, 90),
    ("91_plus", 91, 10**6),
)
AGING_LABELS: dict[str, str] = {
    "not_due": "not yet due",
    "1_30": "1-30 days past due",
    "31_60": "31-60 days past due",
    "61_90": "61-90 days past due",
    "91_plus": "> 90 days past due",
}
DSO_WINDOW_DAYS = 90


@dataclass(frozen=True)
class PortfolioOverview:
    """Headline figures of a receivables portfolio at a date."""

    as_of: pd.Timestamp
    n_customers: int
    n_invoices: int
    n_open_invoices: int
    open_receivables: float
    overdue_receivables: float
    aged_balance: pd.DataFrame  # bucket, label, n_invoices, amount, share
    dso_days: float
    share_paid_late: float
    mean_days_late: float
    top_overdue: pd.DataFrame  # customer_id, name, overdue_amount, n_overdue, max_days_past_due


def known_at(dates: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    """Whether facts dated ``dates`` are known at ``as_of`` (the one clock: strictly before)."""
    return dates.notna() & (dates < as_of)


def credited_amounts(ledger: Ledger, as_of: pd.Timestamp) -> pd.Series:
    """Credit notes issued before ``as_of``, summed per invoice they are allocated to."""
    notes = ledger.credit_notes
    if notes is None or notes.empty or "invoice_id" not in notes:
        return pd.Series(dtype="float64")
    known = notes[known_at(notes["issued_on"], as_of) & notes["invoice_id"].notna()]
    return known.groupby("invoice_id")["amount"].sum()


def open_amounts(ledger: Ledger, as_of: pd.Timestamp) -> pd.DataFrame:
    """Invoices open at ``as_of`` with their net open amount and days past due at that date.

    Payments and credit notes dated on or after ``as_of`` are ignored; partial payments count
    when their date is known (``payments`` table) or, without one, when the invoice is still
    open in the ledger. ``open_amount = amount - paid - credited``, clipped at 0.
    """
    inv = ledger.invoices
    issued = known_at(inv["issued_on"], as_of)
    settled = known_at(inv["paid_on"], as_of)
    open_inv = inv[issued & ~settled]
    if ledger.payments is not None:
        paid = ledger.payments[known_at(ledger.payments["paid_on"], as_of)]
        received = paid.groupby("invoice_id")["amount"].sum()
        already_paid = open_inv["invoice_id"].map(received).fillna(0.0).to_numpy()
    else:
        already_paid = np.where(open_inv["paid_on"].isna(), open_inv["amount_paid"], 0.0)
    credited = open_inv["invoice_id"].map(credited_amounts(ledger, as_of)).fillna(0.0).to_numpy()
    amount = open_inv["amount"].to_numpy()
    open_amount = (amount - already_paid - credited).clip(min=0.0)
    days_past_due = (as_of - open_inv["due_on"]).dt.days.to_numpy()
    return pd.DataFrame(
        {
            "invoice_id": open_inv["invoice_id"].to_numpy(),
            "customer_id": open_inv["customer_id"].to_numpy(),
            "due_on": open_inv["due_on"].to_numpy(),
            "open_amount": open_amount,
            "days_past_due": days_past_due,
            "amount": amount,
            "paid_amount": np.asarray(already_paid, dtype=float),
            "credited_amount": credited,
        }
    )


def aged_balance(open_items: pd.DataFrame) -> pd.DataFrame:
    """Open amount and invoice count by aging bucket (balance âgée)."""
    rows = []
    total = float(open_items["open_amount"].sum())
    for bucket, low, high in AGING_BUCKETS:
        in_bucket = open_items["days_past_due"].between(low, high)
        amount = float(open_items.loc[in_bucket, "open_amount"].sum())
        rows.append(
            {
                "bucket": bucket,
                "label": AGING_LABELS[bucket],
                "n_invoices": int(in_bucket.sum()),
                "amount": amount,
                "share": amount / total if total else 0.0,
            }
        )
    return pd.DataFrame(rows)


def days_sales_outstanding(
    ledger: Ledger, open_receivables: float, as_of: pd.Timestamp, window_days: int = DSO_WINDOW_DAYS
) -> float:
    """DSO = open receivables / sales invoiced over the last ``window_days`` x ``window_days``."""
    inv = ledger.invoices
    recent = known_at(inv["issued_on"], as_of) & (
        inv["issued_on"] >= as_of - pd.Timedelta(days=window_days)
    )
    sales = float(inv.loc[recent, "amount"].sum())
    return open_receivables / sales * window_days if sales > 0 else float("nan")


def payment_lateness(ledger: Ledger, as_of: pd.Timestamp) -> tuple[float, float]:
    """Share of invoices settled by ``as_of`` that were paid after their due date, and the mean
    days late of those settled invoices (0 for the ones paid on time)."""
    inv = ledger.invoices
    settled = inv[known_at(inv["paid_on"], as_of)]
    if settled.empty:
        return float("nan"), float("nan")
    days_late = (settled["paid_on"] - settled["due_on"]).dt.days.clip(lower=0)
    return float((days_late > 0).mean()), float(days_late.mean())


def top_overdue_customers(ledger: Ledger, open_items: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` customers with the largest overdue amount at the date."""
    customers = ledger.customers.set_index("customer_id")
    names = customers["name"] if "name" in customers.columns else pd.Series(dtype="str")
    return top_overdue(open_items, names, n)


def top_overdue(open_items: pd.DataFrame, names: pd.Series, n: int = 10) -> pd.DataFrame:
    """The ``n`` customers of ``open_items`` with the largest overdue amount, with their
    ``names`` (by customer id; no name column when ``names`` is empty)."""
    overdue = open_items[open_items["days_past_due"] > 0]
    grouped = overdue.groupby("customer_id").agg(
        overdue_amount=("open_amount", "sum"),
        n_overdue=("invoice_id", "size"),
        max_days_past_due=("days_past_due", "max"),
    )
    top = grouped.sort_values(["overdue_amount", "max_days_past_due"], ascending=False).head(n)
    top = top.reset_index()
    if len(names):
        top.insert(1, "name", top["customer_id"].map(names).fillna(""))
    return top


def portfolio_overview(ledger: Ledger, as_of: pd.Timestamp | None = None) -> PortfolioOverview:
    """Compute the overview at ``as_of`` (default: the last date in the ledger)."""
    as_of = pd.Timestamp(as_of) if as_of is not None else ledger.cutoff
    items = open_amounts(ledger, as_of)
    open_total = float(items["open_amount"].sum())
    share_late, mean_late = payment_lateness(ledger, as_of)
    return PortfolioOverview(
        as_of=as_of,
        n_customers=len(ledger.customers),
        n_invoices=int(known_at(ledger.invoices["issued_on"], as_of).sum()),
        n_open_invoices=len(items),
        open_receivables=open_total,
        overdue_receivables=float(items.loc[items["days_past_due"] > 0, "open_amount"].sum()),
        aged_balance=aged_balance(items),
        dso_days=days_sales_outstanding(ledger, open_total, as_of),
        share_paid_late=share_late,
        mean_days_late=mean_late,
        top_overdue=top_overdue_customers(ledger, items),
    )
