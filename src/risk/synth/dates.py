"""Vectorised calendar helpers on integer day numbers (days since 1970-01-01)."""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt

Days = npt.NDArray[np.int64]

#: Day number standing for "never" (far after any ledger date, still fits datetime64[ns]).
NEVER: int = 10**6


def to_day(value: date) -> int:
    """Return the day number of a calendar date."""
    return int(np.datetime64(value, "D").astype(np.int64))


def to_datetime(days: npt.ArrayLike, missing: npt.NDArray[np.bool_] | None = None) -> np.ndarray:
    """Turn day numbers into a ``datetime64[ns]`` array.

    Args:
        days: day numbers.
        missing: where True, the result is ``NaT``.

    Returns:
        The dates as ``datetime64[ns]``.
    """
    out = np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[ns]")
    if missing is not None:
        out[missing] = np.datetime64("NaT")
    return out


def month_number(days: Days) -> Days:
    """Return months since 1970-01 of each day (``datetime64[M]`` as integers)."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def month_of_year(days: Days) -> Days:
    """Return the calendar month (1-12) of each day."""
    return month_number(days) % 12 + 1


def end_of_month(days: Days) -> Days:
    """Return the last day of the month of each day."""
    next_month = (month_number(days) + 1).astype("datetime64[M]")
    return next_month.astype("datetime64[D]").astype(np.int64) - 1


def first_day_of_month(months: Days) -> Days:
    """Return the first day of each month number (months since 1970-01)."""
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
