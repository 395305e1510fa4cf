"""Memory cuts of the feature build (issue 17) give the very values of the former code: integer
running totals in int32 when no total can leave its range, the ledger's date range read column
by column, and the frame built after the timeline's indexes are released."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.features.timeline import EventIndex, _exact_cumsum
from risk.ledger import EVENT_DATE_COLUMNS, Ledger
from risk.synth import SampleConfig, generate_portfolio


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 30), st.integers(-400, 400)), max_size=60)
)
def test_integer_window_sums_are_the_sums_by_hand(rows) -> None:
    codes = np.array([c for c, _, _ in rows], dtype=np.int64)
    days = np.array([d for _, d, _ in rows], dtype=np.int64)
    values = np.array([v for _, _, v in rows], dtype=np.int32)
    index = EventIndex(codes, days, {"v": values})
    q_codes = np.repeat(np.arange(5), 8)
    q_days = np.tile(np.arange(0, 32, 4), 5)
    start = index.start(q_codes)
    hi = index.before(q_codes, q_days)
    lo = index.before(q_codes, q_days - 10)
    found = index.window_sum("v", lo, hi, start)
    expected = [
        sum(v for c, d, v in rows if c == qc and qd - 10 <= d < qd)
        for qc, qd in zip(q_codes, q_days, strict=True)
    ]
    np.testing.assert_array_equal(found, np.array(expected, dtype=np.float64))
    assert found.dtype == np.float64


def test_running_totals_are_int32_only_when_no_total_can_overflow() -> None:
    small = np.array([1, 0, 1, 1], dtype=np.int8)
    assert _exact_cumsum(small).dtype == np.int32
    np.testing.assert_array_equal(_exact_cumsum(small), [0, 1, 1, 2, 3])
    large = np.full(3, 2**30, dtype=np.int64)  # 3 x 2**30 does not fit in int32
    totals = _exact_cumsum(large)
    assert totals.dtype == np.int64
    assert totals.tolist() == [0, 2**30, 2**31, 3 * 2**30]
    negative = np.array([-(2**30), -(2**30), 5], dtype=np.int64)
    assert _exact_cumsum(negative).tolist() == [0, -(2**30), -(2**31), -(2**31) + 5]
    assert _exact_cumsum(np.zeros(0, dtype=np.int8)).tolist() == [0]


def _former_date_range(ledger: Ledger) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``Ledger.date_range`` as it was: every event date stacked, then min and max."""
    dates = [
        frame[column].dropna()
        for name, frame in ledger.tables().items()
        for column in EVENT_DATE_COLUMNS.get(name, ())
        if column in frame.columns
    ]
    stacked = pd.concat(dates)
    return pd.Timestamp(stacked.min()), pd.Timestamp(stacked.max())


def test_date_range_is_the_former_stacked_range() -> None:
    ledger = generate_portfolio(SampleConfig(customers=20, years=1, seed=3)).ledger
    assert ledger.date_range == _former_date_range(ledger)
    # an unpaid invoice is missing from paid_on; a table whose dates are all missing is skipped
    invoices = ledger.invoices.assign(paid_on=pd.NaT)
    reminders = ledger.reminders.assign(sent_on=pd.NaT) if ledger.reminders is not None else None
    thinner = ledger.with_tables(invoices=invoices, reminders=reminders)
    assert thinner.date_range == _former_date_range(thinner)
    two = Ledger(
        ledger.customers.head(1),
        pd.DataFrame(
            {
                "issued_on": pd.to_datetime(["2025-01-10", "2025-02-01"]),
                "paid_on": pd.to_datetime(["2025-03-05", None]),
            }
        ),
    )
    assert two.date_range == (pd.Timestamp("2025-01-10"), pd.Timestamp("2025-03-05"))
    no_payment = two.with_tables(invoices=two.invoices.assign(paid_on=pd.NaT))
    assert no_payment.date_range == (pd.Timestamp("2025-01-10"), pd.Timestamp("2025-02-01"))


def test_a_ledger_without_any_date_has_no_range() -> None:
    customers = pd.DataFrame({"customer_id": pd.Series(["C1"], dtype="str")})
    invoices = pd.DataFrame(
        {"invoice_id": ["I1"], "customer_id": ["C1"], "issued_on": pd.Series([pd.NaT])}
    )
    with pytest.raises(ValueError, match="no dated event"):
        Ledger(customers, invoices).date_range  # noqa: B018
