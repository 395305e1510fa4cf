"""Events counted up to each invoice's payment day (payments and reminders of the settlements
index, issue 17 sixth session) in one pass: the very counts of the former two binary searches
per invoice over a sorted ``EventIndex`` (``through(pos, paid) - start(pos)``), with unknown
invoices (-1), open invoices (paid ``NEVER``) and days beyond the keys' range."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.features import FeatureConfig
from risk.features.context import LedgerTimeline
from risk.features.timeline import DAY_SHIFT, NEVER, EventIndex
from risk.synth import SampleConfig, generate_portfolio

DAYS = st.one_of(st.integers(-5, 40), st.sampled_from([NEVER, -DAY_SHIFT - 3, 2 * DAY_SHIFT]))


def _former(n_invoices: int, paid: np.ndarray, owners: np.ndarray, days: np.ndarray) -> np.ndarray:
    index = EventIndex(owners, days)
    pos = np.arange(n_invoices)
    return index.through(pos, paid) - index.start(pos)


class _Timeline(LedgerTimeline):
    """A timeline whose invoices are only the paid days the count reads."""

    def __init__(self, paid: np.ndarray) -> None:
        self.__dict__["invoices"] = pd.DataFrame({"paid": paid})


@settings(max_examples=300, deadline=None)
@given(
    paid=st.lists(DAYS, min_size=1, max_size=8),
    events=st.lists(st.tuples(st.integers(-1, 7), DAYS), max_size=40),
)
def test_counts_equal_the_former_searches(paid: list[int], events: list[tuple[int, int]]) -> None:
    paid_days = np.array(paid, dtype=np.int64)
    owners = np.array([min(o, len(paid) - 1) for o, _ in events], dtype=np.int64)
    days = np.array([d for _, d in events], dtype=np.int64)
    found = _Timeline(paid_days)._count_until_paid(owners, days)
    expected = _former(len(paid), paid_days, owners, days)
    np.testing.assert_array_equal(found, expected)
    assert found.dtype == expected.dtype


def test_generated_ledger_partial_and_reminder_counts_unchanged() -> None:
    ledger = generate_portfolio(SampleConfig(customers=200, years=2, seed=5)).ledger
    timeline = LedgerTimeline(ledger, FeatureConfig())
    paid = timeline.invoices["paid"].to_numpy()
    n = len(paid)
    pay, rem = timeline.payments, timeline.reminders
    assert pay is not None and rem is not None and len(rem) > 0
    for owners, days in ((pay.codes, pay.days), (rem["pos"].to_numpy(), rem["sent"].to_numpy())):
        np.testing.assert_array_equal(
            timeline._count_until_paid(owners, days), _former(n, paid, owners, days)
        )
