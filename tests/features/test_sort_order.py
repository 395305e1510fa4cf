"""Event order: ``sort_order`` is ``np.lexsort((tiebreak, keys))`` whether keys repeat or not."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.features.timeline import sort_order

pairs = st.lists(st.tuples(st.integers(0, 6), st.floats(-5, 5, allow_nan=False)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(pairs, st.booleans())
def test_sort_order_is_lexsort(rows, unique_keys) -> None:
    keys = np.array([k for k, _ in rows], dtype=np.int64)
    if unique_keys:  # the fast path: no key repeats, one sort
        keys = np.arange(len(keys))[::-1] * 3 + keys % 3
    tiebreak = np.array([t for _, t in rows], dtype=np.float64)
    np.testing.assert_array_equal(sort_order(keys, tiebreak), np.lexsort((tiebreak, keys)))
    np.testing.assert_array_equal(sort_order(keys), np.argsort(keys, kind="stable"))
