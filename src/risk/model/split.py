"""Time-ordered train / validation / out-of-time test windows (never a random row split).

Every training row has an as-of date (an invoice's issue date, a customer snapshot date) and a
maturity date, the day its label is fully known whatever the outcome: ``due_on + L + 1`` for an
invoice (paid on time means paid by ``due_on + L``), ``as_of + H`` for a customer snapshot. A
window only takes rows whose label had matured before the next window starts, so a model
trained "at" the validation start never saw an outcome that was unknown on that day.

How the windows are used (what a model validator checks):

* the booster is fitted on **train** and early-stopped on the **first half** (by date) of the
  validation window; the calibrator is fitted on the **second half**, scored by a booster
  fitted like the final one (same rounds) on every row matured before that half starts:
  early stopping and calibration never share a row, and the calibrator sees no score of its own
  rows;
* the final booster is then **refitted** on every row whose label had matured by the end of
  the validation window (train, validation and the rows purged between them) with the number
  of rounds chosen by early stopping, as scikit-learn's ``CalibratedClassifierCV(ensemble=False)``
  keeps a calibrator fitted on out-of-sample scores for a model refitted on all rows;
* the out-of-time **test** window is only ever scored.

Windows are derived from the data (``derive_windows``): the test window takes the last
``1 - train_share - valid_share`` of the matured rows, the validation window as many matured
rows as ``valid_share`` asks for, counting only rows whose label matured before the test; the
training window what is left. ``check_windows`` refuses windows with too few rows or late rows,
and ``fit_horizon`` shortens a customer horizon the history cannot hold three times.
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


class WindowError(ConfigError):
    """The ledger's history cannot give train, validation and test windows of useful size."""


@dataclass(frozen=True)
class SplitMasks:
    """Boolean masks selecting the rows of each window.

    Attributes:
        train: the training window.
        valid: the validation window (early stopping, then calibration).
        test: the out-of-time test window.
        refit: every row whose label matured by the end of the validation window (train,
            validation and the rows purged between them): the final model's rows.
    """

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    refit: np.ndarray | None = None


@dataclass(frozen=True)
class WindowMinimum:
    """Smallest acceptable windows, in rows and in late rows (events).

    The validation window is halved (early stopping, calibration), so it needs twice the
    events of one half.
    """

    train_rows: int = 200
    train_events: int = 20
    valid_rows: int = 100
    valid_events: int = 16  # 8 late rows per half: the least a 2-parameter Platt fit is given
    test_rows: int = 100
    test_events: int = 10


def derive_windows(
    as_of: pd.Series,
    matured_on: pd.Series,
    cutoff: pd.Timestamp,
    train_share: float = 0.6,
    valid_share: float = 0.2,
) -> TimeWindows:
    """Derive windows from the data (see the module docstring).

    The test window starts at the ``train_share + valid_share`` quantile of the as-of dates of
    the rows matured by ``cutoff``. The validation window then ends there and starts late
    enough that it holds ``valid_share`` of those rows counting only the ones matured before the
    test starts (a row purged for maturing too late is not counted), so a long horizon moves
    the training end earlier instead of emptying the validation window.

    Raises:
        ConfigError: shares out of range, or too few matured rows to split.
    """
    if not (0 < train_share < 1 and 0 < valid_share < 1 and train_share + valid_share < 1):
        raise ConfigError("train_share and valid_share must be in (0, 1) and sum below 1")
    eligible = as_of[matured_on <= cutoff]
    if eligible.nunique() < 3:
        raise WindowError(
            f"only {eligible.nunique()} distinct as-of dates have a known outcome by "
            f"{cutoff.date()}: not enough history to build train / validation / test windows"
        )
    valid_end = pd.Timestamp(eligible.quantile(train_share + valid_share)).normalize()
    usable = np.sort(
        as_of[(as_of < valid_end) & (matured_on <= valid_end)].to_numpy(), kind="stable"
    )[::-1]
    wanted = max(1, round(valid_share * len(eligible)))
    if len(usable) == 0:
        raise WindowError(
            f"no row has a known outcome before {valid_end.date()}, the start of the test "
            "window: the history is shorter than the label's maturity"
        )
    train_end = pd.Timestamp(usable[min(wanted, len(usable)) - 1]).normalize()
    start = pd.Timestamp(eligible.min())
    if train_end <= start:
        raise WindowError(
            f"the validation window would start on the first as-of date ({start.date()}): "
            "no room is left for a training window"
        )
    return TimeWindows(start, train_end, valid_end, cutoff)


def check_windows(
    masks: SplitMasks,
    y: np.ndarray,
    level: str,
    minimum: WindowMinimum | None = None,
) -> None:
    """Refuse windows too small to fit, early-stop, calibrate or test a model.

    Raises:
        WindowError: naming the level, every window's rows and late rows, and what is needed.
    """
    minimum = minimum or WindowMinimum()
    needs = {
        "train": (masks.train, minimum.train_rows, minimum.train_events),
        "validation": (masks.valid, minimum.valid_rows, minimum.valid_events),
        "test": (masks.test, minimum.test_rows, minimum.test_events),
    }
    found = {name: (int(m.sum()), int(y[m].sum())) for name, (m, _, _) in needs.items()}
    short = [
        f"{name} has {found[name][0]} rows ({found[name][1]} late), needs >= {rows} ({events} late)"
        for name, (_, rows, events) in needs.items()
        if found[name][0] < rows or found[name][1] < events
    ]
    if short:
        raise WindowError(
            f"the {level} model cannot be trained on this ledger: " + "; ".join(short) + ". "
            "A longer history (or more customers), a shorter horizon (--horizon-days) or "
            "windows set by hand (--train-end, --valid-end) may give enough rows"
        )


def fit_horizon(
    first_day: pd.Timestamp, cutoff: pd.Timestamp, horizon_days: int
) -> tuple[int, str]:
    """A customer-label horizon the history can hold, and a note when it was shortened.

    Train, validation and test labels each need a whole horizon to mature, and each window
    needs room of its own: the horizon is kept when it is at most a sixth of the history,
    else shortened to the largest multiple of 30 days that is (never below 30 days).

    Examples:
        >>> fit_horizon(pd.Timestamp("2023-01-01"), pd.Timestamp("2026-01-01"), 180)
        (180, '')
        >>> fit_horizon(pd.Timestamp("2024-01-01"), pd.Timestamp("2026-01-01"), 180)[0]
        120
    """
    span = int((pd.Timestamp(cutoff) - pd.Timestamp(first_day)).days)
    longest = max(30, span // 6 // 30 * 30)
    if horizon_days <= longest:
        return horizon_days, ""
    return longest, (
        f"horizon shortened from {horizon_days} to {longest} days: the history holds "
        f"{span} days, and train, validation and test labels each need a whole horizon to "
        f"mature (a horizon is kept up to a sixth of the history)"
    )


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
    refit = (a >= np.datetime64(w.start)) & (a < np.datetime64(w.valid_end))
    refit &= m <= np.datetime64(w.valid_end)
    return SplitMasks(train=train, valid=valid, test=test, refit=refit)


def validation_halves(as_of: pd.Series, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The validation rows split by date: the earlier half early-stops the booster, the later
    half (nearer the test) fits the calibrator. Rows of one as-of date stay together; with a
    single date, rows are halved in their (date, key) order."""
    a = as_of.to_numpy()
    dates = a[valid]
    if len(dates) == 0:
        return valid.copy(), valid.copy()
    middle = np.sort(dates)[len(dates) // 2]
    stop = valid & (a < middle)
    calibrate = valid & (a >= middle)
    if not stop.any() or not calibrate.any():
        positions = np.flatnonzero(valid)
        stop = np.zeros_like(valid)
        stop[positions[: len(positions) // 2]] = True
        calibrate = valid & ~stop
    return stop, calibrate


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
