"""A few rows (one customer's score) take the sector encoder's Python path: the very rates the
pandas path gives the same rows, whatever mix of known, unseen and missing codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.features.sector import FEW_ROWS, SectorLatenessEncoder
from risk.model.bundle import SECTOR_INPUTS, sector_columns, sector_inputs

SECTIONS = ["C", "F", "G"]
DIVISIONS = ["10", "41", "47"]


def _encoder() -> SectorLatenessEncoder:
    rng = np.random.default_rng(5)
    n = 400
    train = pd.DataFrame(
        {
            "naf_section": rng.choice(SECTIONS, n).astype(object),
            "naf_division": rng.choice(DIVISIONS, n).astype(object),
        }
    )
    y = (rng.random(n) < np.where(train["naf_division"] == "47", 0.4, 0.1)).astype(int)
    return SectorLatenessEncoder(smoothing=5.0).fit(train, y)


ENCODER = _encoder()
# known codes, codes never seen in training, and the missing values a frame may hold
SECTION = st.sampled_from([*SECTIONS, "Z", None, np.nan])
DIVISION = st.sampled_from([*DIVISIONS, "99", None, np.nan, pd.NA])


def _pandas_path(columns: list[np.ndarray]) -> np.ndarray:
    """``rates_of`` over enough copies of the rows to take the Series path, cut back."""
    n = len(columns[0])
    copies = FEW_ROWS // max(n, 1) + 1
    rates = ENCODER.rates_of([np.concatenate([c] * copies) for c in columns])
    assert copies * n > FEW_ROWS
    return rates[:n]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.tuples(SECTION, DIVISION), min_size=1, max_size=FEW_ROWS))
def test_few_rows_give_the_pandas_rates(rows: list[tuple[object, object]]) -> None:
    columns = [np.array([r[i] for r in rows], dtype=object) for i in range(2)]
    np.testing.assert_array_equal(ENCODER.rates_of(columns), _pandas_path(columns))


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.tuples(SECTION, DIVISION), min_size=1, max_size=FEW_ROWS))
def test_sector_columns_of_few_rows_are_the_sector_inputs(
    rows: list[tuple[object, object]],
) -> None:
    frame = pd.DataFrame(
        {
            "naf_section": pd.Series([r[0] for r in rows], dtype="category"),
            "naf_division": pd.Series([r[1] for r in rows], dtype="str"),
        }
    )
    few = sector_columns(frame)
    inputs = sector_inputs(frame)
    for name, values in zip(SECTOR_INPUTS, few, strict=True):
        expected = inputs[name].to_numpy()
        assert values.dtype == expected.dtype == object
        assert values.tolist() == expected.tolist()
    np.testing.assert_array_equal(
        ENCODER.rates_of(few), _pandas_path([inputs[n].to_numpy() for n in SECTOR_INPUTS])
    )
