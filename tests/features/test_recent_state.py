"""The recent-state features (risk.features.recent_state) agree with a loop over the invoices."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_strategies import SPAN_DAYS, day, ledgers

from risk.features import FeatureConfig, customer_features_as_of
from risk.features.recent_state import specs
from risk.ledger import Ledger

NAMES = [spec.name for spec in specs(FeatureConfig())]


def _reference(ledger: Ledger, customer_id: str, t: pd.Timestamp) -> list[float]:
    """The three features by their definitions, invoice by invoice."""
    inv = ledger.invoices.reset_index(drop=True)
    rows = [r for r in inv.itertuples() if r.customer_id == customer_id]
    paid = {r.Index: (None if pd.isna(r.paid_on) else r.paid_on) for r in rows}
    # the latest settlements before t; equal payment days in the canonical invoice order
    # (issue day, amount, ledger row)
    settled = sorted(
        (r for r in rows if paid[r.Index] is not None and paid[r.Index] < t),
        key=lambda r: (paid[r.Index], r.issued_on, r.amount, r.Index),
    )[-3:]
    last = (
        float(np.mean([(paid[r.Index] - r.due_on).days for r in settled])) if settled else math.nan
    )
    open_ = [r for r in rows if r.issued_on < t and (paid[r.Index] is None or paid[r.Index] >= t)]
    past_due = [r for r in open_ if r.due_on < t]
    share = len(past_due) / len(open_) if open_ else math.nan
    return [last, float(len(past_due)), share]


def _check(ledger: Ledger, dates: list[pd.Timestamp]) -> None:
    pairs = [(c, t) for c in ledger.customers["customer_id"] for t in dates]
    queries = pd.DataFrame(pairs, columns=["customer_id", "as_of"])
    fast = customer_features_as_of(ledger, queries, FeatureConfig())[NAMES].to_numpy(float)
    want = np.array([_reference(ledger, c, t) for c, t in pairs], dtype=float).reshape(-1, 3)
    np.testing.assert_allclose(fast, want, rtol=1e-12, atol=1e-9, equal_nan=True)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(
    ledger=ledgers(optional=False),
    offsets=st.lists(st.integers(-10, SPAN_DAYS + 300), min_size=1, max_size=4),
)
def test_agrees_with_the_loop_on_hypothesis_ledgers(ledger: Ledger, offsets: list[int]) -> None:
    _check(ledger, [day(k) for k in offsets])


def test_agrees_with_the_loop_on_a_generated_ledger() -> None:
    from risk.synth import SampleConfig, generate_portfolio

    ledger = generate_portfolio(SampleConfig(customers=12, years=2, seed=3)).ledger
    start, end = ledger.date_range
    _check(ledger, list(pd.date_range(start, end, periods=6).normalize()))


def test_a_customer_paying_late_lately_reads_late_before_its_averages() -> None:
    """Three invoices paid on time a year ago, then three paid 40 days late last month: the
    last three settled read 40 days late while the 12-month mean still reads 20."""
    ledger = generate_portfolio_like_one_customer()
    t = pd.Timestamp("2024-12-01")
    frame = customer_features_as_of(
        ledger, pd.DataFrame({"customer_id": ["C1"], "as_of": [t]}), FeatureConfig()
    )
    assert frame["days_late_last_3_settled"].iloc[0] == 40.0
    assert frame["days_late_mean_12m"].iloc[0] == 20.0
    # the open invoice due a week ago is past due, the one due next week is not
    assert frame["n_open_past_due"].iloc[0] == 1.0
    assert frame["open_past_due_share"].iloc[0] == 0.5


def generate_portfolio_like_one_customer() -> Ledger:
    """One customer: six settled invoices (three on time, three 40 days late), two open."""
    due = pd.to_datetime(
        ["2024-01-10", "2024-02-10", "2024-03-10", "2024-09-10", "2024-09-20", "2024-10-01",
         "2024-11-24", "2024-12-08"]
    )  # fmt: skip
    late = [0, 0, 0, 40, 40, 40]
    paid = [d + pd.Timedelta(days=k) for d, k in zip(due[:6], late, strict=True)]
    invoices = pd.DataFrame(
        {
            "invoice_id": [f"I{k}" for k in range(8)],
            "customer_id": "C1",
            "issued_on": due - pd.Timedelta(days=30),
            "due_on": due,
            "amount": 100.0,
            "paid_on": pd.to_datetime([*paid, pd.NaT, pd.NaT]),
        }
    )
    customers = pd.DataFrame({"customer_id": ["C1"]})
    return Ledger(customers=customers, invoices=invoices)
