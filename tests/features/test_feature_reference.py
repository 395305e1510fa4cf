"""The vectorised features agree with the loop reference (tests/features/reference.py)."""

from __future__ import annotations

import pandas as pd
from compare import assert_features_equal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_strategies import SPAN_DAYS, day, ledgers
from reference import reference_customer_frame, reference_invoice_frame

from risk.features import FeatureConfig, customer_features_as_of, invoice_features_as_of
from risk.ledger import Ledger

CONFIG = FeatureConfig()
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(ledger: Ledger, dates: list[pd.Timestamp]) -> None:
    customers = ledger.customers["customer_id"].tolist()
    pairs = [(c, t) for c in customers for t in dates]
    queries = pd.DataFrame(pairs, columns=["customer_id", "as_of"])
    fast = customer_features_as_of(ledger, queries, CONFIG)
    assert_features_equal(fast, reference_customer_frame(ledger, pairs, CONFIG))
    inv_pairs = [(i, t) for i in ledger.invoices["invoice_id"] for t in dates[:2]]
    inv_queries = pd.DataFrame(inv_pairs, columns=["invoice_id", "as_of"])
    fast_inv = invoice_features_as_of(ledger, inv_queries, CONFIG)
    assert_features_equal(fast_inv, reference_invoice_frame(ledger, inv_pairs, CONFIG))


@SETTINGS
@given(
    ledger=ledgers(),
    offsets=st.lists(st.integers(-10, SPAN_DAYS + 300), min_size=1, max_size=4),
)
def test_agrees_with_reference_on_hypothesis_ledgers(ledger: Ledger, offsets: list[int]) -> None:
    _check(ledger, [day(k) for k in offsets])


def test_agrees_with_reference_on_generated_ledger() -> None:
    from risk.synth import SampleConfig, generate_portfolio

    ledger = generate_portfolio(SampleConfig(customers=12, years=2, seed=3)).ledger
    start, end = ledger.date_range
    dates = list(pd.date_range(start, end, periods=5).normalize())
    _check(ledger, dates)
