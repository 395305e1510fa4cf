"""Portfolio overview on the tiny ledger of conftest, figures checkable by hand."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from risk.io import load_ledger
from risk.portfolio import open_amounts, portfolio_overview


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


def test_one_clock_a_fact_dated_on_the_as_of_day_is_not_yet_known(write_ledger) -> None:
    # the features' rule (strictly before) for every as-of computation: I3's payment of
    # 2024-05-05 is unknown at 2024-05-05 and known at 2024-05-06
    payments = "payment_id,invoice_id,paid_on,amount\nP3,I3,2024-05-05,200\n"
    ledger = load_ledger(write_ledger(payments=payments))
    on_the_day = open_amounts(ledger, pd.Timestamp("2024-05-05")).set_index("invoice_id")
    day_after = open_amounts(ledger, pd.Timestamp("2024-05-06")).set_index("invoice_id")
    assert on_the_day.loc["I3", "open_amount"] == 500.0
    assert day_after.loc["I3", "open_amount"] == 300.0
    # I4 is issued on 2024-05-02: not open at 2024-05-02, open at 2024-05-03
    assert "I4" not in open_amounts(ledger, pd.Timestamp("2024-05-02"))["invoice_id"].tolist()
    assert "I4" in open_amounts(ledger, pd.Timestamp("2024-05-03"))["invoice_id"].tolist()


def test_credit_notes_are_netted_from_open_amounts(write_ledger) -> None:
    # I4: 3,000 with a credit note of 977.96 on 2024-05-10 -> 2,022.04 open from 2024-05-11;
    # an unallocated credit note does not touch any invoice
    notes = (
        "credit_note_id,customer_id,invoice_id,issued_on,amount\n"
        "CN1,C3,I4,2024-05-10,977.96\nCN2,C2,,2024-05-01,50.00\n"
    )
    ledger = load_ledger(write_ledger(credit_notes=notes))
    before = open_amounts(ledger, pd.Timestamp("2024-05-10")).set_index("invoice_id")
    after = open_amounts(ledger, pd.Timestamp("2024-05-11")).set_index("invoice_id")
    assert before.loc["I4", "open_amount"] == 3000.0
    assert after.loc["I4", "open_amount"] == pytest.approx(3000.0 - 977.96)
    assert after.loc["I4", "credited_amount"] == pytest.approx(977.96)
    assert after.loc["I3", "open_amount"] == pytest.approx(300.0)  # 500 - 200 paid
    view = portfolio_overview(ledger, pd.Timestamp("2024-05-15"))
    assert view.open_receivables == pytest.approx(300.0 + 3000.0 - 977.96)
    assert view.aged_balance.set_index("bucket").loc["not_due", "amount"] == pytest.approx(
        3000.0 - 977.96
    )


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    day=st.dates(min_value=date(2024, 1, 1), max_value=date(2024, 6, 30)),
    later=st.integers(min_value=0, max_value=60),
    amount=st.floats(min_value=1, max_value=400),
)
def test_facts_dated_on_or_after_as_of_never_change_open_amounts(
    write_ledger, day: date, later: int, amount: float
) -> None:
    as_of = pd.Timestamp(day)
    stamp = (as_of + pd.Timedelta(days=later)).date().isoformat()
    paid = "payment_id,invoice_id,paid_on,amount\nP3,I3,2024-03-15,200\n"
    base = load_ledger(write_ledger("base", payments=paid))
    extra = load_ledger(
        write_ledger(
            f"extra{day}{later}",
            payments=f"{paid}P9,I3,{stamp},{amount:.2f}\n",
            credit_notes=(
                "credit_note_id,customer_id,invoice_id,issued_on,amount\n"
                f"CN9,C3,I4,{stamp},{amount:.2f}\n"
            ),
        )
    )
    pd.testing.assert_frame_equal(
        open_amounts(base, as_of)[["invoice_id", "open_amount"]],
        open_amounts(extra, as_of)[["invoice_id", "open_amount"]],
    )
