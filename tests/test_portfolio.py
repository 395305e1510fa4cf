"""Portfolio overview on the tiny ledger of conftest, figures checkable by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from risk.io import load_ledger
from risk.portfolio import portfolio_overview


def test_overview_figures_by_hand(write_ledger) -> None:
    ledger = load_ledger(write_ledger())
    view = portfolio_overview(ledger, pd.Timestamp("2024-05-15"))
    # open: I3 (500 - 200 paid, 15 days past due) and I4 (3000, not yet due)
    assert view.n_open_invoices == 2
    assert view.open_receivables == pytest.approx(3300.0)
    assert view.overdue_receivables == pytest.approx(300.0)
    aged = view.aged_balance.set_index("bucket")
    assert aged.loc["not_due", "amount"] == pytest.approx(3000.0)
    assert aged.loc["1_30", "amount"] == pytest.approx(300.0)
    assert aged.loc[["31_60", "61_90", "91_plus"], "amount"].sum() == 0.0
    # settled: I1 on time, I2 40 days late
    assert view.share_paid_late == pytest.approx(0.5)
    assert view.mean_days_late == pytest.approx(20.0)
    # DSO: 3300 open / (500 + 3000) invoiced in the last 90 days * 90
    assert view.dso_days == pytest.approx(3300 / 3500 * 90)
    assert view.top_overdue[
        ["customer_id", "overdue_amount", "max_days_past_due"]
    ].values.tolist() == [["C2", 300.0, 15]]


def test_overview_at_a_past_date_ignores_later_payments(write_ledger) -> None:
    payments = "payment_id,invoice_id,paid_on,amount\nP1,I1,2024-02-09,1200\nP2,I2,2024-04-20,800\nP3,I3,2024-05-05,200\n"
    ledger = load_ledger(write_ledger(payments=payments))
    view = portfolio_overview(ledger, pd.Timestamp("2024-04-01"))
    # at 1 April: I2 open and 21 days past due, I3 open in full and not yet due, I4 not issued
    assert view.n_open_invoices == 2
    assert view.open_receivables == pytest.approx(800.0 + 500.0)
    aged = view.aged_balance.set_index("bucket")
    assert aged.loc["1_30", "amount"] == pytest.approx(800.0)
    assert aged.loc["not_due", "amount"] == pytest.approx(500.0)
    assert view.share_paid_late == pytest.approx(0.0)  # only I1 settled by then, on time
    assert view.n_invoices == 3


def test_default_date_is_the_last_date_in_the_ledger(write_ledger) -> None:
    ledger = load_ledger(write_ledger())
    assert portfolio_overview(ledger).as_of == pd.Timestamp("2024-05-02")
