"""The aged balance's memory pass (issue 17, sixth session) changes no bit: the current sweep
equals the former code kept verbatim in ``former_aging.py`` exactly (same float bits, NaN
where NaN), on hypothesis ledgers with queries in any order and on a generated ledger, and it
holds fewer working arrays (``tracemalloc`` sees numpy's allocations; the figure at size is in
docs/benchmarks.md)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
from former_aging import aged_balance as former_aged_balance
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_strategies import SPAN_DAYS, day, ledgers

from risk.features import FeatureConfig
from risk.features.aging import aged_balance
from risk.features.context import LedgerTimeline, Queries, make_queries
from risk.features.exposure import BUCKETS
from risk.features.timeline import to_days
from risk.ledger import Ledger
from risk.synth import SampleConfig, generate_portfolio

CONFIG = FeatureConfig()
NAMES = tuple(suffix for suffix, *_rest in BUCKETS)


def _assert_same_bits(new: dict[str, np.ndarray], old: dict[str, np.ndarray]) -> None:
    assert list(new) == list(old)
    for name, values in new.items():
        assert values.dtype == old[name].dtype, name
        np.testing.assert_array_equal(values.view(np.int64), old[name].view(np.int64), name)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ledger=ledgers(),
    offsets=st.lists(st.integers(-10, SPAN_DAYS + 300), min_size=1, max_size=6),
    seed=st.integers(0, 2**16),
)
def test_equals_the_former_sweep_bit_for_bit(ledger: Ledger, offsets: list[int], seed: int) -> None:
    pairs = [(c, day(k)) for c in ledger.customers["customer_id"] for k in offsets]
    pairs = [pairs[i] for i in np.random.default_rng(seed).permutation(len(pairs))]
    timeline = LedgerTimeline(ledger, CONFIG)
    ids = pd.Series([c for c, _ in pairs], dtype="str")
    queries = make_queries(timeline, ids, pd.Series([t for _, t in pairs]))
    _assert_same_bits(
        aged_balance(timeline, queries, NAMES), former_aged_balance(timeline, queries, NAMES)
    )


def _invoice_queries(ledger: Ledger) -> tuple[LedgerTimeline, Queries]:
    """Every invoice as of its issue date, sorted as the frame builder sorts them."""
    timeline = LedgerTimeline(ledger, CONFIG)
    codes = timeline.invoices["code"].to_numpy()[timeline.positions_of_rows]
    days = to_days(ledger.invoices["issued_on"])
    order = np.lexsort((days, codes))
    return timeline, Queries(codes[order], days[order])


def _peak_bytes(compute, *args) -> tuple[dict[str, np.ndarray], int]:
    """Result of ``compute(*args)`` and the peak of traced memory above its start."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        out = compute(*args)
        return out, tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def test_generated_ledger_same_bits_and_fewer_working_arrays() -> None:
    ledger = generate_portfolio(SampleConfig(customers=300, years=2, seed=3)).ledger
    timeline, queries = _invoice_queries(ledger)
    timeline.payments, timeline.invoices  # built before measuring, as in the frame builder  # noqa: B018
    new, new_peak = _peak_bytes(aged_balance, timeline, queries, NAMES)
    old, old_peak = _peak_bytes(former_aged_balance, timeline, queries, NAMES)
    _assert_same_bits(new, old)
    outputs = sum(values.nbytes for values in new.values())
    assert new_peak - outputs < 0.85 * (old_peak - outputs)  # working arrays beside the outputs
