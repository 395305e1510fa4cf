"""Time-ordered train / validation / out-of-time test windows (never a random row split).

Every training row has an as-of date (an invoice's issue date, a customer snapshot date) and a
maturity date, the day its label is fully known whatever the outcome: ``due_on + L + 1`` for an
invoice (paid on time means paid by ``due_on + L``), ``as_of + H`` for a customer snapshot. A
window only takes rows whose label had matured before the next window starts, so a model
trained "at" the validation start never saw an outcome that was unknown on that day.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk.errors import ConfigError


@dataclass(frozen=True)
class TimeWindows:
    """Window boundaries: train ``[start, train_end)``, valid ``[train_end, valid_end)``, test
    ``[valid_end, cutoff]`` on the as-of date; labels must have matured before each end."""

    start: pd.Timestamp
    train_end: pd.Timestamp
    valid_end: pd.Timestamp
    cutoff: pd.Timestamp

    def __post_init__(self) -> None:
        if not self.start < self.train_end < self.valid_end <= self.cutoff:
            raise ConfigError(
                "time windows must satisfy start < train_end < valid_end <= cutoff, got "
                f"{self.start.date()} / {self.train_end.date()} / {self.valid_end.date()} / "
                f"{self.cutoff.date()}"
            )

    def as_dict(self) -> dict[str, str]:
        return {
            "train_start": str(self.start.date()),
            "train_end": str(self.train_end.date()),
            "valid_end": str(self.valid_end.date()),
            "test_end": str(self.cutoff.date()),
        }


@dataclass(frozen=True)
class SplitMasks:
    """Boolean masks selecting the rows of each window."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray


def derive_windows(
    as_of: pd.Series,
    matured_on: pd.Series,
    cutoff: pd.Timestamp,
    train_share: float = 0.6,
    valid_share: float = 0.2,
) -> TimeWindows:
    """Derive windows from the data: quantiles of the as-of dates of rows whose label matured.

    Raises:
        ConfigError: shares out of range, or too few matured rows to split.
    """
    if not (0 < train_share < 1 and 0 < valid_share < 1 and train_share + valid_share < 1):
        raise ConfigError("train_share and valid_share must be in (0, 1) and sum below 1")
    eligible = as_of[matured_on <= cutoff]
    if eligible.nunique() < 3:
        raise ConfigError(
            f"only {eligible.nunique()} distinct as-of dates have a known outcome by "
            f"{cutoff.date()}: not enough history to build train / validation / test windows"
        )
    train_end = pd.Timestamp(eligible.quantile(train_share)).normalize()
    valid_end = pd.Timestamp(eligible.quantile(train_share + valid_share)).normalize()
    return TimeWindows(pd.Timestamp(eligible.min()), train_end, valid_end, cutoff)


def split_masks(as_of: pd.Series, matured_on: pd.Series, windows: TimeWindows) -> SplitMasks:
    """Rows of each window (see the module docstring for the maturity rule)."""
    a = as_of.to_numpy()
    m = matured_on.to_numpy()
    w = windows
    train = (a >= np.datetime64(w.start)) & (a < np.datetime64(w.train_end))
    train &= m <= np.datetime64(w.train_end)
    valid = (a >= np.datetime64(w.train_end)) & (a < np.datetime64(w.valid_end))
    valid &= m <= np.datetime64(w.valid_end)
    test = (a >= np.datetime64(w.valid_end)) & (m <= np.datetime64(w.cutoff))
    return SplitMasks(train=train, valid=valid, test=test)


def expanding_folds(
    as_of: pd.Series, matured_on: pd.Series, n_folds: int = 3
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Time-ordered cross-validation inside a window: fold k trains on everything before the
    k-th boundary (matured by then) and validates on the next slice. No fold sees its future."""
    bounds = [pd.Timestamp(as_of.quantile(q)) for q in np.linspace(0.4, 1.0, n_folds + 1)]
    a = as_of.to_numpy()
    m = matured_on.to_numpy()
    folds = []
    for lo, hi in itertools.pairwise(bounds):
        fit = (a < np.datetime64(lo)) & (m <= np.datetime64(lo))
        check = (a >= np.datetime64(lo)) & (a <= np.datetime64(hi))
        if fit.any() and check.any():
            folds.append((fit, check))
    return folds
