"""Arrow-backed lookups agree with pandas' ``isin`` / ``get_indexer`` (property tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.lookup import fast_isin, positions_in

ids = st.one_of(st.none(), st.sampled_from(["C1", "C2", "C10", "é", "", " C1"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(ids, max_size=30), st.sets(st.sampled_from(["C1", "C2", "é", ""]), max_size=4))
def test_positions_in_is_get_indexer(values, keys) -> None:
    key_index = pd.Index(sorted(keys), dtype="str")
    series = pd.Series(values, dtype="str")
    expected = key_index.get_indexer(series)
    expected[series.isna().to_numpy()] = -1  # a missing value is never found
    np.testing.assert_array_equal(positions_in(series, key_index), expected)


@settings(max_examples=200, deadline=None)
@given(st.lists(ids, max_size=30), st.lists(ids, max_size=6))
def test_fast_isin_is_isin_without_missing(values, allowed) -> None:
    series = pd.Series(values, dtype="str")
    expected = series.isin([a for a in allowed if a is not None]) & series.notna()
    assert fast_isin(series, pd.Series(allowed, dtype="str")).tolist() == expected.tolist()
