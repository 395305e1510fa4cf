"""The interval-sweep aged balance equals the former (invoice, query) pair expansion and the
loop reference, on hand-built, hypothesis and generated ledgers, with queries in any order."""

from __future__ import annotations

import numpy as np
import pandas as pd
from compare import assert_features_equal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_strategies import SPAN_DAYS, day, ledgers
from pair_exposure import pair_aged_balance
from reference import Reference

from risk.features import FeatureConfig
from risk.features.aging import aged_balance
from risk.features.context import LedgerTimeline, make_queries
from risk.features.exposure import BUCKETS
from risk.ledger import Ledger

CONFIG = FeatureConfig()
NAMES = tuple(suffix for suffix, *_rest in BUCKETS)
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _frames(ledger: Ledger, pairs: list[tuple[str, pd.Timestamp]]) -> tuple[pd.DataFrame, ...]:
    timeline = LedgerTimeline(ledger, CONFIG)
    ids = pd.Series([c for c, _ in pairs], dtype="str")
    queries = make_queries(timeline, ids, pd.Series([t for _, t in pairs]))
    new = pd.DataFrame(aged_balance(timeline, queries, NAMES))
    old = pd.DataFrame(pair_aged_balance(LedgerTimeline(ledger, CONFIG), queries))
    ref = Reference(ledger, CONFIG)
    loop = pd.DataFrame([ref.exposure(c, t) for c, t in pairs])[list(new.columns)]
    return new, old[list(new.columns)], loop


@SETTINGS
@given(
    ledger=ledgers(),
    offsets=st.lists(st.integers(-10, SPAN_DAYS + 300), min_size=1, max_size=6),
    seed=st.integers(0, 2**16),
)
def test_equals_the_pair_expansion_and_the_reference(
    ledger: Ledger, offsets: list[int], seed: int
) -> None:
    pairs = [(c, day(k)) for c in ledger.customers["customer_id"] for k in offsets]
    pairs = [pairs[i] for i in np.random.default_rng(seed).permutation(len(pairs))]  # any order
    new, old, loop = _frames(ledger, pairs)
    assert_features_equal(new, old, rtol=1e-12, atol=1e-9)
    assert_features_equal(new, loop)


def test_hand_built_partial_payments_and_buckets() -> None:
    """One customer, two invoices; amounts checked by hand at three dates."""
    customers = pd.DataFrame({"customer_id": ["C1"], "name": ["Acme"]})
    invoices = pd.DataFrame(
        {
            "invoice_id": ["I1", "I2"],
            "customer_id": ["C1", "C1"],
            "issued_on": pd.to_datetime(["2025-01-01", "2025-02-01"]),
            "due_on": pd.to_datetime(["2025-01-31", "2025-03-03"]),
            "amount": [100.0, 40.0],
            "paid_on": pd.to_datetime(["2025-04-15", None]),
            "amount_paid": [100.0, 0.0],
        }
    )
    payments = pd.DataFrame(
        {
            "payment_id": ["P1", "P2"],
            "invoice_id": ["I1", "I1"],
            "paid_on": pd.to_datetime(["2025-02-10", "2025-04-15"]),
            "amount": [30.0, 70.0],
        }
    )
    ledger = Ledger(customers=customers, invoices=invoices, payments=payments)
    dates = pd.to_datetime(["2025-02-10", "2025-02-11", "2025-04-15", "2025-04-16"])
    new, old, loop = _frames(ledger, [("C1", t) for t in dates])
    # 02-10: I1 10 days past due, P1 not yet known (dated on the as-of day); I2 not due
    # 02-11: P1 known: I1 open 70; 04-15: I1 74 days past due (61-90), I2 43 days (31-60)
    # 04-16: I1 settled on 04-15, only I2 (44 days past due)
    assert new["open_amount_1_30"].tolist() == [100.0, 70.0, 0.0, 0.0]
    assert new["open_amount_not_due"].tolist() == [40.0, 40.0, 0.0, 0.0]
    assert new["open_amount_61_90"].tolist() == [0.0, 0.0, 70.0, 0.0]
    assert new["open_amount_31_60"].tolist() == [0.0, 0.0, 40.0, 40.0]
    assert new["n_open_invoices"].tolist() == [2, 2, 2, 1]
    assert new["open_invoice_amount_max"].tolist() == [100.0, 70.0, 70.0, 40.0]
    assert new["open_days_past_due_max"].tolist() == [10.0, 11.0, 74.0, 44.0]
    assert_features_equal(new, old)
    assert_features_equal(new, loop)


def test_one_large_customer_equals_the_same_rows_spread_over_many() -> None:
    """A customer's figures never depend on the other customers (nor on how many there are)."""
    from risk.synth import SampleConfig, generate_portfolio

    ledger = generate_portfolio(SampleConfig(customers=8, years=2, seed=5)).ledger
    start, end = ledger.date_range
    dates = list(pd.date_range(start, end, periods=7).normalize())
    pairs = [(c, t) for c in ledger.customers["customer_id"] for t in dates]
    new, old, loop = _frames(ledger, pairs)
    assert_features_equal(new, old, rtol=1e-12, atol=1e-9)
    assert_features_equal(new, loop)
    one = ledger.customers["customer_id"].iloc[0]
    alone = Ledger(
        customers=ledger.customers[ledger.customers["customer_id"] == one],
        invoices=ledger.invoices[ledger.invoices["customer_id"] == one],
        payments=ledger.payments[
            ledger.payments["invoice_id"].isin(
                ledger.invoices.loc[ledger.invoices["customer_id"] == one, "invoice_id"]
            )
        ],
    )
    mine = _frames(alone, [(one, t) for t in dates])[0]
    pd.testing.assert_frame_equal(mine, new.iloc[: len(dates)].reset_index(drop=True))
