"""Time windows: ordered, disjoint, and no label used before it was known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.errors import ConfigError
from risk.model.split import TimeWindows, derive_windows, expanding_folds, split_masks

DAY0 = pd.Timestamp("2023-01-01")


@st.composite
def rows(draw: st.DrawFn) -> tuple[pd.Series, pd.Series, pd.Timestamp]:
    n = draw(st.integers(20, 200))
    offsets = draw(st.lists(st.integers(0, 900), min_size=n, max_size=n))
    delays = draw(st.lists(st.integers(1, 200), min_size=n, max_size=n))
    as_of = pd.Series(DAY0 + pd.to_timedelta(sorted(offsets), unit="D"))
    matured = as_of + pd.to_timedelta(delays, unit="D")
    return as_of, matured, DAY0 + pd.Timedelta(days=1000)


@settings(max_examples=60, deadline=None)
@given(rows())
def test_windows_are_ordered_disjoint_and_use_only_matured_labels(data) -> None:
    as_of, matured, cutoff = data
    try:
        windows = derive_windows(as_of, matured, cutoff)
    except ConfigError:
        return  # too few distinct dates: refusing is the right answer
    masks = split_masks(as_of, matured, windows)
    assert not (masks.train & masks.valid).any()
    assert not (masks.valid & masks.test).any()
    assert not (masks.train & masks.test).any()
    if masks.train.any() and masks.valid.any():
        assert as_of[masks.train].max() < as_of[masks.valid].min()
    if masks.valid.any() and masks.test.any():
        assert as_of[masks.valid].max() < as_of[masks.test].min()
    # a training label was known when the validation window opened, and so on
    assert (matured[masks.train] <= windows.train_end).all()
    assert (matured[masks.valid] <= windows.valid_end).all()
    assert (matured[masks.test] <= cutoff).all()


def test_example_by_hand() -> None:
    as_of = pd.Series(
        pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01"])
    )
    matured = as_of + pd.Timedelta(days=40)
    windows = TimeWindows(
        as_of[0], pd.Timestamp("2024-03-01"), pd.Timestamp("2024-04-15"), pd.Timestamp("2024-07-01")
    )
    masks = split_masks(as_of, matured, windows)
    # Feb's label matures on 12 March, after the training window closed: left out of training
    assert masks.train.tolist() == [True, False, False, False, False]
    # March and April rows are validation candidates; April's matures 11 May > 15 April
    assert masks.valid.tolist() == [False, False, True, False, False]
    assert masks.test.tolist() == [False, False, False, False, True]


def test_bad_windows_are_refused() -> None:
    with pytest.raises(ConfigError, match="start < train_end < valid_end <= cutoff"):
        TimeWindows(
            pd.Timestamp("2024-05-01"),
            pd.Timestamp("2024-04-01"),
            pd.Timestamp("2024-06-01"),
            pd.Timestamp("2024-07-01"),
        )


def test_expanding_folds_never_fit_on_their_future() -> None:
    as_of = pd.Series(DAY0 + pd.to_timedelta(np.arange(0, 600, 3), unit="D"))
    matured = as_of + pd.Timedelta(days=30)
    folds = expanding_folds(as_of, matured, n_folds=3)
    assert len(folds) == 3
    for fit, check in folds:
        assert as_of[fit].max() < as_of[check].min()
        assert matured[fit].max() <= as_of[check].min()
