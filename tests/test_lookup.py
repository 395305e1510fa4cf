"""Arrow-backed lookups and sorts agree with pandas (``isin``, ``get_indexer``, ``sort_values``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.lookup import FEW_VALUES_RATIO, fast_isin, positions_in
from risk.model.dataset import _date_then_text_order

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
@given(st.lists(ids, max_size=4), st.lists(ids, min_size=1, max_size=40))
def test_few_values_among_many_keys_find_the_first_key(values, keys) -> None:
    """Few values among many keys (the values are hashed, the keys probed): first match."""
    keys = keys * (FEW_VALUES_RATIO * 4 + 1)  # repeated: the first occurrence is the answer
    assert len(keys) > FEW_VALUES_RATIO * len(values)
    expected = [
        -1 if v is None or v not in keys else next(i for i, k in enumerate(keys) if k == v)
        for v in values
    ]
    found = positions_in(pd.Series(values, dtype="str"), pd.Series(keys, dtype="str"))
    assert found.tolist() == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(ids, max_size=30), st.lists(ids, max_size=6))
def test_fast_isin_is_isin_without_missing(values, allowed) -> None:
    series = pd.Series(values, dtype="str")
    expected = series.isin([a for a in allowed if a is not None]) & series.notna()
    assert fast_isin(series, pd.Series(allowed, dtype="str")).tolist() == expected.tolist()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(ids, max_size=10), max_size=4),
    st.lists(st.lists(ids, max_size=4), max_size=3),
)
def test_fast_isin_reads_columns_held_in_several_chunks(parts, allowed_parts) -> None:
    """Columns read from a Parquet file come in chunks: looked up in place, same answer."""
    chunked = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(parts, pa.large_string())))
    allowed = pd.Series(
        pd.arrays.ArrowStringArray(pa.chunked_array(allowed_parts, pa.large_string()))
    )
    flat = pd.Series([v for part in parts for v in part], dtype="str")
    wanted = [a for part in allowed_parts for a in part if a is not None]
    expected = flat.isin(wanted) & flat.notna()
    assert fast_isin(chunked, allowed).tolist() == expected.tolist()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.sampled_from(["I2", "I10", "é", "I1", ""])), max_size=30
    )
)
def test_training_rows_sort_by_date_then_key_like_pandas(rows) -> None:
    frame = pd.DataFrame(rows, columns=["day", "key"]).astype({"key": "str"})
    dates = pd.Timestamp("2025-01-01") + pd.to_timedelta(frame["day"], unit="D")
    expected = frame.assign(date=dates).sort_values(["date", "key"], kind="stable").index.to_numpy()
    np.testing.assert_array_equal(_date_then_text_order(dates, frame["key"]), expected)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    st.lists(ids, max_size=6),
    st.lists(
        st.lists(st.sampled_from(["C1", "C2", "C10", "é", "", " C1"]), min_size=1, max_size=30),
        min_size=1,
        max_size=4,
    ),
)
def test_keys_held_in_chunks_give_the_positions_of_one_array(values, parts) -> None:
    """Keys read in chunks (Parquet row groups, rows appended by events) are probed as they
    are held: the positions are those of the same keys in one array."""
    chunked = pd.Series(
        pd.arrays.ArrowStringArray(
            pa.chunked_array([pa.array(p, pa.large_string()) for p in parts])
        ),
        dtype="str",
    )
    whole = pd.Series([k for p in parts for k in p], dtype="str")
    series = pd.Series(values, dtype="str")
    expected = [
        -1 if v is None or v not in whole.tolist() else whole.tolist().index(v) for v in values
    ]
    assert positions_in(series, chunked).tolist() == expected
    assert positions_in(series, whole).tolist() == expected
