"""Compare feature frames column by column, NaN equal to NaN, floats to a tolerance."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _as_objects(values: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in values.astype(object)]


def assert_features_equal(
    fast: pd.DataFrame, expected: pd.DataFrame, rtol: float = 1e-9, atol: float = 1e-6
) -> None:
    """Every column of ``expected`` is in ``fast`` with the same values (row by row)."""
    assert len(fast) == len(expected), (len(fast), len(expected))
    for name in expected.columns:
        assert name in fast.columns, f"feature {name} missing from the fast frame"
        got, want = fast[name].reset_index(drop=True), expected[name].reset_index(drop=True)
        numeric = pd.api.types.is_numeric_dtype(want.dtype) and pd.api.types.is_numeric_dtype(
            got.dtype
        )
        if not numeric:
            got_o, want_o = _as_objects(got), _as_objects(want)
            bad = [k for k, (a, b) in enumerate(zip(got_o, want_o, strict=True)) if a != b]
            assert not bad, f"{name}: row {bad[0]}: {got_o[bad[0]]!r} != {want_o[bad[0]]!r}"
            continue
        np.testing.assert_allclose(
            got.to_numpy(dtype=float), want.to_numpy(dtype=float),
            rtol=rtol, atol=atol, equal_nan=True, err_msg=name,
        )  # fmt: skip
