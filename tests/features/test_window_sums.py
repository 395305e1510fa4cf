"""A float window sum over an owner's whole history (``lo is start``: the exponentially weighted
means) skips the prefix at ``start``, which is 0.0: the sums keep every bit of the former
``prefix(hi) - prefix(start)`` (negative zeros, NaN and infinities included)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.features.timeline import EventIndex

values = st.sampled_from([0.0, -0.0, 1.5, -2.25, 1e300, -1e300, 3.0e-310, float("nan"), 7.0])


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 30), values), max_size=60))
def test_whole_history_float_sums_keep_the_bits_of_the_difference_of_prefixes(rows) -> None:
    codes = np.array([c for c, _, _ in rows], dtype=np.int64)
    days = np.array([d for _, d, _ in rows], dtype=np.int64)
    index = EventIndex(codes, days, {"v": np.array([v for _, _, v in rows], dtype=np.float64)})
    q_codes = np.repeat(np.arange(-1, 6), 9)  # unknown owners and owners without events too
    q_days = np.tile(np.arange(-4, 32, 4), 7)
    start = index.start(q_codes)
    hi = index.before(q_codes, q_days)
    found = index.window_sum("v", start, hi, start)
    former = index.prefix("v", hi, start) - index.prefix("v", start.copy(), start)
    np.testing.assert_array_equal(found.view(np.int64), former.view(np.int64))
    # the same sums when ``lo`` is a different array holding the same positions
    np.testing.assert_array_equal(
        index.window_sum("v", start.copy(), hi, start).view(np.int64), former.view(np.int64)
    )
