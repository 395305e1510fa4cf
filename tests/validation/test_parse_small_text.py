"""Small text columns (an inline ledger's) are parsed value by value in Python: the same
values, missing rows and dtype as the pandas path that larger columns take."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.validation.parse import SMALL_COLUMN, parse_text

VALUES = st.one_of(
    st.none(),
    st.just(""),
    st.sampled_from([" ", "a ", " b", "\t\u00a0x", "C1", "47.11F", "\u3000", "é"]),
    st.text(max_size=6),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(VALUES, min_size=1, max_size=20))
def test_small_columns_parse_as_large_ones(values: list[str | None]) -> None:
    small = pd.Series(values, dtype="str")
    repeats = SMALL_COLUMN // max(len(values), 1) + 1
    large = pd.Series(values * repeats, dtype="str")  # above SMALL_COLUMN: the pandas path
    parsed, failed = parse_text(small)
    expected, _ = parse_text(large)
    assert len(large) > SMALL_COLUMN and not failed.any()
    pd.testing.assert_series_equal(
        parsed.reset_index(drop=True), expected.head(len(values)).reset_index(drop=True)
    )
