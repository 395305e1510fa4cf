"""The ledger index's faster steps give what the plain ones gave: the two-pass 16-bit order is
NumPy's stable argsort, and the invoice-keyed tables probed together get each table's own
positions."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.ledger_index import _invoice_positions, _stable_order
from risk.lookup import positions_in


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    codes=st.lists(st.integers(-1, 200_000), max_size=300),
    small=st.booleans(),
)
def test_the_two_pass_order_is_numpys_stable_argsort(codes: list[int], small: bool) -> None:
    values = np.array([c % 70 if small else c for c in codes], dtype=np.int64)
    np.testing.assert_array_equal(_stable_order(values), np.argsort(values, kind="stable"))


@settings(max_examples=30, derandomize=True, deadline=None)
@given(
    keys=st.lists(st.text("ABC123", min_size=1, max_size=4), unique=True, max_size=40),
    tables=st.lists(
        st.lists(st.text("ABC123", min_size=1, max_size=4), max_size=30), min_size=1, max_size=4
    ),
)
def test_tables_probed_together_get_their_own_positions(
    keys: list[str], tables: list[list[str]]
) -> None:
    invoice_ids = pd.Series(keys, dtype="str")
    frames = {
        f"t{i}": pd.DataFrame({"invoice_id": pd.Series(ids, dtype="str")})
        for i, ids in enumerate(tables)
    }
    together = _invoice_positions(frames, invoice_ids)
    for name, frame in frames.items():
        np.testing.assert_array_equal(
            together[name], positions_in(frame["invoice_id"], invoice_ids), err_msg=name
        )
