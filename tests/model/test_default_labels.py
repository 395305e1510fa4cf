"""The default-like event label: proceeding, more than 90 days past due, or write-off, in 12 months."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.features import default_cutoff, snapshot_dates
from risk.labels import default_labels, write_off_dates
from risk.ledger import Ledger
from risk.synth import Portfolio

T = pd.Timestamp("2024-01-01")  # snapshot date
CUTOFF = pd.Timestamp("2025-06-01")  # T + 365 < cutoff: the label is known


def day(offset: int) -> pd.Timestamp:
    return T + pd.Timedelta(days=offset)


def ledger(
    invoices: list[dict], events: list[dict] | None = None, notes: list[dict] | None = None
) -> Ledger:
    customers = pd.DataFrame({"customer_id": ["C1", "C2"]})
    inv = pd.DataFrame(invoices)
    inv["invoice_id"] = [f"I{k}" for k in range(len(inv))]
    for column in ("issued_on", "due_on", "paid_on"):
        inv[column] = pd.to_datetime(inv[column])
    legal = None
    if events:
        legal = pd.DataFrame(events)
        legal["published_on"] = pd.to_datetime(legal["published_on"])
    credit = None
    if notes:
        credit = pd.DataFrame(notes)
        credit["issued_on"] = pd.to_datetime(credit["issued_on"])
    return Ledger(customers=customers, invoices=inv, legal_events=legal, credit_notes=credit)


def invoice(
    due: int,
    paid: int | None,
    amount: float = 100.0,
    paid_amount: float | None = None,
    customer: str = "C1",
) -> dict:
    return {
        "customer_id": customer, "issued_on": day(due - 30), "due_on": day(due),
        "paid_on": day(paid) if paid is not None else None, "amount": amount,
        "amount_paid": amount if paid_amount is None else paid_amount,
    }  # fmt: skip


def label(
    book: Ledger, customer: str = "C1", as_of: pd.Timestamp = T, cutoff: pd.Timestamp = CUTOFF
) -> pd.Series:
    queries = pd.DataFrame({"customer_id": [customer], "as_of": [as_of]})
    return default_labels(book, queries, cutoff).iloc[0]


@pytest.mark.parametrize(
    ("due", "paid", "expected"),
    [
        (10, 10 + 90, 0),  # exactly 90 days past due: not a default
        (10, 10 + 91, 1),  # paid on day due + 91: it was unpaid during day due + 91
        (10, None, 1),  # never paid
        (-200, -200 + 91, 0),  # delinquent spell over before the snapshot
        (-200, 5, 1),  # already more than 90 days past due at the snapshot: in default
        (300, None, 0),  # 91 days past due only after the 12-month window
        (273, None, 1),  # due + 91 = day 364, the window's last day
        (274, None, 0),  # due + 91 = day 365 = t + H, outside [t, t + H)
    ],
)
def test_past_due_boundaries(due: int, paid: int | None, expected: int) -> None:
    row = label(ledger([invoice(due, paid)]))
    assert row["label_default_past_due"] == expected
    assert row["label_default"] == expected


def test_payment_after_cutoff_is_unknown_so_the_invoice_stays_unpaid() -> None:
    cutoff = day(365)
    book = ledger([invoice(200, 200 + 150)])  # paid on day 350 < cutoff: 91+ days past due
    assert label(book, cutoff=cutoff)["label_default"] == 1
    book = ledger([invoice(250, 250 + 30)])  # paid day 280: never 91 days past due
    assert label(book, cutoff=cutoff)["label_default"] == 0


def test_proceeding_published_in_window() -> None:
    events = [
        {"customer_id": "C1", "published_on": day(100), "kind": "receivership"},
        {"customer_id": "C2", "published_on": day(400), "kind": "liquidation"},
    ]
    book = ledger([invoice(0, 0), invoice(0, 0, customer="C2")], events)
    assert label(book, "C1")["label_default_proceeding"] == 1
    assert label(book, "C2")["label_default"] == 0  # day 400 is after the 12 months


def test_other_legal_events_are_not_defaults() -> None:
    events = [{"customer_id": "C1", "published_on": day(100), "kind": "director_change"}]
    assert label(ledger([invoice(0, 0)], events))["label_default"] == 0


def test_write_off_is_an_invoice_closed_short_of_payments_and_credit_notes() -> None:
    invoices = [
        invoice(0, 20, amount=1000.0, paid_amount=600.0),  # 400 short: written off on day 20
        invoice(0, 20, amount=1000.0, paid_amount=600.0),  # 400 credited: settled
        invoice(0, 20, amount=1000.0, paid_amount=995.0),  # 5 short: below 1 %, a rounding gap
        invoice(0, None, amount=1000.0, paid_amount=600.0),  # still open: not written off
    ]
    notes = [
        {
            "credit_note_id": "N1",
            "customer_id": "C1",
            "invoice_id": "I1",
            "issued_on": day(15),
            "amount": 400.0,
        }
    ]
    book = ledger(invoices, notes=notes)
    dates = write_off_dates(book.invoices, book.credit_notes, CUTOFF)
    assert dates.tolist()[0] == day(20)
    assert dates.iloc[1:].isna().all()
    only_write_off = ledger(invoices[:1])
    row = label(only_write_off)
    assert (
        row["label_default_write_off"],
        row["label_default_past_due"],
        row["label_default"],
    ) == (1, 0, 1)


def test_label_unknown_until_the_twelve_months_are_over() -> None:
    book = ledger([invoice(10, None)])
    row = label(book, cutoff=day(364))
    assert not row["label_known"] and pd.isna(row["label_default"])
    assert label(book, cutoff=day(365))["label_known"]


@settings(max_examples=60, deadline=None)
@given(
    dues=st.lists(st.integers(-400, 500), min_size=1, max_size=6),
    delays=st.lists(st.one_of(st.none(), st.integers(-10, 400)), min_size=6, max_size=6),
    shift=st.integers(1, 200),
)
def test_label_matches_a_day_by_day_reading(
    dues: list[int], delays: list[int | None], shift: int
) -> None:
    """Brute force: walk every day of the window and check each invoice's state."""
    invoices = [
        invoice(d, None if k is None else d + k) for d, k in zip(dues, delays, strict=False)
    ]
    cutoff = day(365 + shift)
    book = ledger(invoices)
    expected = 0
    for inv in invoices:
        paid = inv["paid_on"] if inv["paid_on"] is not None and inv["paid_on"] < cutoff else None
        for offset in range(365):
            today = day(offset)
            unpaid = paid is None or paid >= today  # paid on d: d days late
            if unpaid and (today - inv["due_on"]).days > 90:
                expected = 1
    assert label(book, cutoff=cutoff)["label_default"] == expected


def test_on_a_generated_portfolio_the_label_is_the_union_of_its_parts(portfolio: Portfolio) -> None:
    book = portfolio.ledger
    cutoff = default_cutoff(book)
    dates = snapshot_dates(book, end=cutoff - pd.Timedelta(days=365))
    ids = book.customers["customer_id"].to_numpy()
    queries = pd.DataFrame(
        {"customer_id": np.repeat(ids, len(dates)), "as_of": np.tile(dates, len(ids))}
    )
    first = book.invoices.groupby("customer_id")["issued_on"].min()
    queries = queries[(queries["customer_id"].map(first) < queries["as_of"]).to_numpy()]
    labels = default_labels(book, queries, cutoff).drop(columns="label_known").astype(int)
    parts = labels[
        ["label_default_proceeding", "label_default_past_due", "label_default_write_off"]
    ]
    assert (labels["label_default"] == parts.max(axis=1)).all()
    assert 0 < labels["label_default_proceeding"].sum() < labels["label_default"].sum()
    stricter = default_labels(book, queries, cutoff, past_due_days=180)["label_default"].astype(int)
    assert (stricter <= labels["label_default"]).all() and stricter.sum() < labels[
        "label_default"
    ].sum()
