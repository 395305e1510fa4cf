"""The Arrow-backed duplicate and text parsing paths agree with plain pandas (property tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.validation.parse import parse_text
from risk.validation.rules import _repeated

ids = st.one_of(st.none(), st.sampled_from(["A1", "A2", "B7", "é", " A1", ""]))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(ids, st.integers(0, 3), ids), max_size=30),
    st.sampled_from([["a"], ["a", "b"], ["a", "b", "c"], ["b", "c"]]),
)
def test_repeated_rows_are_what_pandas_calls_duplicated(rows, key) -> None:
    frame = pd.DataFrame(rows, columns=["a", "b", "c"]).astype({"a": "str", "c": "str"})
    expected = frame.duplicated(subset=key, keep=False).to_numpy()
    np.testing.assert_array_equal(_repeated(frame[key]), expected)


@settings(max_examples=200, deadline=None)
@given(st.lists(ids, max_size=30))
def test_parse_text_strips_and_turns_blank_into_missing(values) -> None:
    raw = pd.Series(values, dtype="str")
    parsed, failed = parse_text(raw)
    expected = [None if v is None or not v.strip() else v.strip() for v in values]
    assert [None if pd.isna(v) else v for v in parsed] == expected
    assert not failed.any()
