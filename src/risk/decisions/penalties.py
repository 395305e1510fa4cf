"""French late-payment amounts: interest, flat recovery indemnity and maximum payment terms.

Code de commerce L441-10: an invoice unpaid at its due date bears interest from the day after the
due date, at the ECB main refinancing rate + 10 points (the rate in force on 1 January for the
first half-year, on 1 July for the second one) or at the contractual rate of the general terms
of sale, never below 3 x the legal interest rate. D441-5 adds a flat EUR 40 recovery indemnity
per late invoice (none under a collective proceeding here). Interest is simple, on a 365-day
year, computed per half-year segment so that a period crossing 1 July uses both rates; each
segment is rounded to the cent (half up) and the interest is the sum of the segments.

Example:
    >>> table = load_rate_table()
    >>> amounts = late_payment_amounts(10_000.0, date(2024, 5, 31), date(2024, 8, 30), table)
    >>> amounts.days_late, amounts.interest, amounts.total
    (91, 365.85, 405.85)
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from risk.decisions.rates import RateTable, half_year_end, half_year_start, load_rate_table

__all__ = [
    "InterestSegment",
    "LatePaymentAmounts",
    "late_payment_amounts",
    "late_payment_frame",
    "load_rate_table",
    "terms_within_legal_limit",
]

#: interest in cents = cents x rate_bp x days / (10,000 bp x 365 days)
_DENOMINATOR = 10_000 * 365
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class InterestSegment:
    """The part of the overdue period that falls in one half-year.

    Attributes:
        start: first day counted (inclusive).
        end: last day counted (inclusive).
        days: number of days counted, ``end - start + 1``.
        annual_rate: annual rate applied, as a fraction (0.1476 = 14.76 %).
        interest: interest of the segment, rounded to the cent.
        basis: ``"ecb_plus_10"``, ``"contractual"`` or ``"legal_floor"`` (3 x legal rate).
    """

    start: date
    end: date
    days: int
    annual_rate: float
    interest: float
    basis: str


@dataclass(frozen=True)
class LatePaymentAmounts:
    """Late-payment amounts of one invoice at a date (currency of the invoice).

    Attributes:
        days_late: days past the due date (0 when not yet due).
        interest: late-payment interest, sum of the segments' interest.
        indemnity: flat recovery indemnity (40.0 when late, 0.0 under a collective proceeding).
        total: ``interest + indemnity`` (the open amount itself is not included).
        segments: per half-year breakdown of the interest.
    """

    days_late: int
    interest: float
    indemnity: float
    total: float
    segments: tuple[InterestSegment, ...] = ()


def _cents(amount: float) -> int:
    return int(np.rint(amount * 100))


def _interest_cents(amount_cents: int, rate_bp: int, days: int) -> int:
    """Simple interest in cents, rounded half up (exact integer arithmetic)."""
    return (2 * amount_cents * rate_bp * days + _DENOMINATOR) // (2 * _DENOMINATOR)


def _rate_bp(contractual_rate: float | None) -> int | None:
    if contractual_rate is None or pd.isna(contractual_rate):
        return None
    if not 0.0 <= contractual_rate <= 1.0:
        raise ValueError(
            "contractual_rate is an annual fraction in [0, 1] (0.12 = 12 %), "
            f"got {contractual_rate!r}"
        )
    return int(np.rint(contractual_rate * 10_000))


def _segment_rate(table: RateTable, day: date, contractual_bp: int | None) -> tuple[int, str]:
    statutory, floor = table.statutory_rates_bp(day)
    chosen, basis = (
        (statutory, "ecb_plus_10") if contractual_bp is None else (contractual_bp, "contractual")
    )
    return (floor, "legal_floor") if floor > chosen else (chosen, basis)


def late_payment_amounts(
    open_amount: float,
    due_on: date,
    as_of: date,
    table: RateTable,
    contractual_rate: float | None = None,
    in_proceeding: bool = False,
    proceeding_opened_on: date | None = None,
) -> LatePaymentAmounts:
    """Late-payment interest and recovery indemnity of one open invoice at ``as_of``.

    Args:
        open_amount: amount still unpaid; nothing is owed when it is <= 0.
        due_on: due date; days are counted from the day after it to ``as_of`` inclusive.
        as_of: date of the computation.
        table: the dated rate table.
        contractual_rate: annual rate of the general terms of sale or of the customer, as a
            fraction (0.12 = 12 %, rounded to 0.01 %); still floored at 3 x the legal rate.
        in_proceeding: the customer is under a collective proceeding: no recovery indemnity.
        proceeding_opened_on: date of the opening judgment, which stops interest
            (Code de commerce L622-28); interest runs up to that day inclusive.

    Returns:
        The amounts with their per half-year breakdown.

    Raises:
        ConfigError: if a day of the overdue period is not covered by the rate table.
        ValueError: if the contractual rate is not a fraction in [0, 1].
    """
    contractual_bp = _rate_bp(contractual_rate)
    days_late = max((as_of - due_on).days, 0)
    cents = _cents(open_amount)
    if days_late == 0 or cents <= 0:
        return LatePaymentAmounts(days_late, 0.0, 0.0, 0.0)
    last = as_of
    if in_proceeding and proceeding_opened_on is not None:
        last = min(as_of, proceeding_opened_on)
    segments, start, interest_cents = [], due_on + timedelta(days=1), 0
    while start <= last:
        end = min(half_year_end(start), last)
        rate_bp, basis = _segment_rate(table, start, contractual_bp)
        days = (end - start).days + 1
        segment_cents = _interest_cents(cents, rate_bp, days)
        interest_cents += segment_cents
        segments.append(
            InterestSegment(start, end, days, rate_bp / 10_000, segment_cents / 100, basis)
        )
        start = end + timedelta(days=1)
    indemnity_cents = 0 if in_proceeding else table.recovery_indemnity_cents
    return LatePaymentAmounts(
        days_late=days_late,
        interest=interest_cents / 100,
        indemnity=indemnity_cents / 100,
        total=(interest_cents + indemnity_cents) / 100,
        segments=tuple(segments),
    )


def _day_numbers(values: pd.Series, column: str) -> np.ndarray:
    days = pd.to_datetime(values).to_numpy("datetime64[D]")
    if np.isnat(days).any():
        raise ValueError(f"late_payment_frame: column {column!r} has missing dates")
    return days.astype(np.int64)


def _optional(invoices: pd.DataFrame, column: str, default: object) -> pd.Series:
    if column not in invoices:
        return pd.Series(default, index=invoices.index)
    return invoices[column]


def _frame_inputs(invoices: pd.DataFrame, as_of: date) -> dict[str, np.ndarray]:
    amounts = invoices["open_amount"].to_numpy(dtype=float)
    if np.isnan(amounts).any():
        raise ValueError("late_payment_frame: column 'open_amount' has missing values")
    rates = _optional(invoices, "contractual_rate", np.nan).to_numpy(dtype=float)
    if ((rates < 0) | (rates > 1)).any():
        raise ValueError("late_payment_frame: contractual_rate must be a fraction in [0, 1]")
    in_proceeding = _optional(invoices, "in_proceeding", False).fillna(False).to_numpy(bool)
    last = np.full(len(invoices), (as_of - _EPOCH).days, dtype=np.int64)
    if "proceeding_opened_on" in invoices:
        opened = pd.to_datetime(invoices["proceeding_opened_on"]).to_numpy("datetime64[D]")
        stops = in_proceeding & ~np.isnat(opened)
        last = np.where(stops, np.minimum(last, opened.astype(np.int64)), last)
    due = _day_numbers(invoices["due_on"], "due_on")
    return {
        "cents": np.rint(amounts * 100).astype(np.int64),
        "rate_bp": np.where(np.isnan(rates), -1, np.rint(np.nan_to_num(rates) * 10_000)),
        "in_proceeding": in_proceeding,
        "due": due,
        "last": last,
    }


def _frame_interest_cents(x: dict[str, np.ndarray], table: RateTable) -> np.ndarray:
    start, last, cents = x["due"] + 1, x["last"], x["cents"]
    counted = (cents > 0) & (last >= start)
    interest = np.zeros(len(cents), dtype=np.int64)
    if not counted.any():
        return interest
    half = half_year_start(_EPOCH + timedelta(days=int(start[counted].min())))
    final = _EPOCH + timedelta(days=int(last[counted].max()))
    while half <= final:
        h0, h1 = (half - _EPOCH).days, (half_year_end(half) - _EPOCH).days
        days = np.where(counted, np.minimum(last, h1) - np.maximum(start, h0) + 1, 0).clip(0)
        if days.any():
            statutory, floor = table.statutory_rates_bp(half)
            rate = np.where(x["rate_bp"] < 0, statutory, x["rate_bp"]).astype(np.int64)
            numerator = 2 * cents * np.maximum(rate, floor) * days + _DENOMINATOR
            interest += np.where(days > 0, numerator // (2 * _DENOMINATOR), 0)
        half = half_year_end(half) + timedelta(days=1)
    return interest


def late_payment_frame(invoices: pd.DataFrame, as_of: date, table: RateTable) -> pd.DataFrame:
    """Vectorised ``late_payment_amounts`` over a frame of open invoices.

    Args:
        invoices: columns ``open_amount`` and ``due_on``; optional ``contractual_rate``
            (fraction, NaN = none), ``in_proceeding`` (bool) and ``proceeding_opened_on``.
        as_of: date of the computation.
        table: the dated rate table.

    Returns:
        A copy of ``invoices`` with ``days_late``, ``interest``, ``indemnity`` and ``total``
        (interest + indemnity) added; same results as ``late_payment_amounts`` row by row.

    Raises:
        ConfigError: if a day of an overdue period is not covered by the rate table.
        ValueError: on missing amounts or due dates, or a contractual rate outside [0, 1].
    """
    x = _frame_inputs(invoices, as_of)
    interest = _frame_interest_cents(x, table)
    days_late = np.maximum((as_of - _EPOCH).days - x["due"], 0)
    late = (days_late > 0) & (x["cents"] > 0)
    indemnity = np.where(late & ~x["in_proceeding"], table.recovery_indemnity_cents, 0)
    return invoices.assign(
        days_late=days_late,
        interest=interest / 100,
        indemnity=indemnity / 100,
        total=(interest + indemnity) / 100,
    )


def _end_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def terms_within_legal_limit(issued_on: date, due_on: date, end_of_month: bool) -> bool:
    """Whether agreed payment terms respect the legal maximum (Code de commerce L441-10 I).

    The maximum is 60 days from the invoice date or, when terms are agreed "end of month",
    45 days end of month. Both readings of "45 days end of month" accepted by the DGCCRF are
    allowed: the end of the month of (invoice date + 45 days), or the end of the invoice's month
    + 45 days; a due date within 60 days of the invoice is always within the limit.

    Args:
        issued_on: invoice date.
        due_on: agreed due date.
        end_of_month: the terms are expressed "end of month" (fin de mois).

    Returns:
        True when the due date is on or before the legal maximum.

    Example:
        >>> terms_within_legal_limit(date(2025, 1, 15), date(2025, 3, 16), end_of_month=False)
        True
        >>> terms_within_legal_limit(date(2025, 1, 15), date(2025, 3, 17), end_of_month=False)
        False
    """
    limit = issued_on + timedelta(days=60)
    if end_of_month:
        limit = max(
            limit,
            _end_of_month(issued_on + timedelta(days=45)),
            _end_of_month(issued_on) + timedelta(days=45),
        )
    return due_on <= limit
