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


#: few distinct keys and tiebreaks: runs of equal keys, equal (key, tiebreak) pairs, NaN, -0.0
tied_rows = st.lists(
    st.tuples(st.integers(-3, 3), st.sampled_from([0.0, -0.0, 1.5, -2.0, 7.0, float("nan")])),
    max_size=60,
)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(tied_rows, st.integers(0, 5))
def test_sort_order_sorts_only_the_runs_of_repeated_keys_like_lexsort(rows, unique_prefix) -> None:
    """Only the repeated keys are sorted again by their tiebreak: the order is still lexsort's,
    equal (key, tiebreak) pairs in row order, with keys seen once between the runs."""
    keys = np.array([k for k, _ in rows] + [100 + i for i in range(unique_prefix)], dtype=np.int64)
    tiebreak = np.array([t for _, t in rows] + [0.0] * unique_prefix, dtype=np.float64)
    expected = np.lexsort((tiebreak, keys))
    np.testing.assert_array_equal(sort_order(keys, tiebreak), expected)
    flipped = keys[::-1].copy(), tiebreak[::-1].copy()
    np.testing.assert_array_equal(sort_order(*flipped), np.lexsort((flipped[1], flipped[0])))


def test_sort_order_on_a_large_table_with_some_repeated_keys() -> None:
    rng = np.random.default_rng(17)
    keys = rng.integers(0, 400_000, 200_000).astype(np.int64) << 3  # ~22 % of keys repeated
    tiebreak = rng.integers(0, 5, len(keys)).astype(np.float64)  # equal pairs too
    np.testing.assert_array_equal(sort_order(keys, tiebreak), np.lexsort((tiebreak, keys)))
    ints = rng.integers(-3, 3, len(keys))
    np.testing.assert_array_equal(sort_order(keys, ints), np.lexsort((ints, keys)))
