"""French late-payment amounts: interest, flat recovery indemnity and maximum payment terms.

Private buyers (Code de commerce L441-10, D441-5): an invoice unpaid at its due date bears
interest from the day after the due date, at the ECB main refinancing rate + 10 points (the rate
in force on 1 January for the first half-year, on 1 July for the second one), or at the
contractual rate of the general terms of sale, which may not be below 3 x the legal interest
rate (the floor limits a contractual rate only). Interest is computed per half-year segment, so
that a period crossing 1 July uses both rates.

Public buyers (Code de la commande publique R2192-31): the ECB rate in force on the first day of
the half-year in which interest started to run + 8 points, for the whole period (one segment).

Both owe a flat EUR 40 recovery indemnity per late invoice (D441-5; R2192-32). Under a
collective proceeding, interest stops at the opening judgment (L622-28): days are counted up to
the opening date inclusive, and the indemnity is owed only if the invoice was late by then.

Interest is simple, on a 365-day year; each segment is rounded to the cent (half up). A day the
rate table does not cover never gets a stale rate: the interest of that invoice is left empty
(NaN) with a note, the indemnity (which needs no rate) is still computed.

Example:
    >>> table = load_rate_table()
    >>> amounts = late_payment_amounts(10_000.0, date(2024, 5, 31), date(2024, 8, 30), table)
    >>> amounts.days_late, amounts.interest, amounts.total
    (91, 357.33, 397.33)
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from risk.decisions.rates import RateTable, half_year_end, load_rate_table

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
    """The part of the overdue period charged at one rate.

    Attributes:
        start: first day counted (inclusive).
        end: last day counted (inclusive).
        days: number of days counted, ``end - start + 1``.
        annual_rate: annual rate applied, as a fraction (0.1425 = 14.25 %).
        interest: interest of the segment, rounded to the cent.
        basis: ``"ecb_plus_10"``, ``"contractual"``, ``"legal_floor"`` (3 x legal rate,
            replacing a lower contractual rate) or ``"public_ecb_plus_8"``.
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
        days_late: days past the due date at the date (0 when not yet due).
        interest: late-payment interest, sum of the segments' interest (NaN when a rate is
            missing, see ``note``).
        indemnity: flat recovery indemnity (40.0 when late).
        total: ``interest + indemnity`` (the open amount itself is not included).
        segments: breakdown of the interest.
        note: why the interest is missing, else "".
    """

    days_late: int
    interest: float
    indemnity: float
    total: float
    segments: tuple[InterestSegment, ...] = ()
    note: str = ""


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
    if contractual_bp is None:
        return statutory, "ecb_plus_10"
    return (floor, "legal_floor") if floor > contractual_bp else (contractual_bp, "contractual")


def _half(day: date) -> str:
    return f"{day.year} H{1 if day.month <= 6 else 2}"


def missing_rate_note(table: RateTable, start: date, last: date, public_buyer: bool) -> str:
    """Why the interest from ``start`` to ``last`` cannot be computed, or "" when it can."""
    end = start if public_buyer else last
    if table.valid_from <= start and end <= table.valid_until:
        return ""
    needed = start if start < table.valid_from else max(start, table.valid_until + timedelta(1))
    return (
        f"interest not computed: no late-payment rate for {_half(needed)} in {table.source} "
        f"(covers {table.valid_from.isoformat()} to {table.valid_until.isoformat()}); "
        "add the published rates"
    )


def late_payment_amounts(
    open_amount: float,
    due_on: date,
    as_of: date,
    table: RateTable,
    contractual_rate: float | None = None,
    proceeding_opened_on: date | None = None,
    public_buyer: bool = False,
) -> LatePaymentAmounts:
    """Late-payment interest and recovery indemnity of one open invoice at ``as_of``.

    Args:
        open_amount: amount still unpaid, net of credit notes; nothing is owed when <= 0.
        due_on: due date; days are counted from the day after it to ``as_of`` inclusive.
        as_of: date of the computation.
        table: the dated rate table.
        contractual_rate: annual rate of the general terms of sale, as a fraction (0.12 =
            12 %, rounded to 0.01 %); floored at 3 x the legal rate (private buyers only).
        proceeding_opened_on: opening judgment of a collective proceeding against the buyer,
            which stops interest (L622-28); days are counted up to that day inclusive.
        public_buyer: the buyer is a public entity (Code de la commande publique).

    Returns:
        The amounts with their breakdown; interest NaN and a note when a rate is missing.

    Raises:
        ValueError: if the contractual rate is not a fraction in [0, 1].
    """
    contractual_bp = _rate_bp(contractual_rate)
    days_late = max((as_of - due_on).days, 0)
    cents = _cents(open_amount)
    last = as_of if proceeding_opened_on is None else min(as_of, proceeding_opened_on)
    start = due_on + timedelta(days=1)
    if days_late == 0 or cents <= 0 or last < start:
        return LatePaymentAmounts(days_late, 0.0, 0.0, 0.0)
    indemnity = table.recovery_indemnity_cents / 100
    note = missing_rate_note(table, start, last, public_buyer)
    if note:
        return LatePaymentAmounts(days_late, float("nan"), indemnity, float("nan"), (), note)
    segments: list[InterestSegment] = []
    if public_buyer:
        rate_bp, days = table.public_buyer_rate_bp(start), (last - start).days + 1
        interest = _interest_cents(cents, rate_bp, days)
        segments.append(
            InterestSegment(
                start, last, days, rate_bp / 10_000, interest / 100, "public_ecb_plus_8"
            )
        )
    while not public_buyer and start <= last:
        end = min(half_year_end(start), last)
        rate_bp, basis = _segment_rate(table, start, contractual_bp)
        days = (end - start).days + 1
        segment = _interest_cents(cents, rate_bp, days)
        segments.append(InterestSegment(start, end, days, rate_bp / 10_000, segment / 100, basis))
        start = end + timedelta(days=1)
    interest_cents = sum(_cents(s.interest) for s in segments)
    return LatePaymentAmounts(
        days_late=days_late,
        interest=interest_cents / 100,
        indemnity=indemnity,
        total=(interest_cents + table.recovery_indemnity_cents) / 100,
        segments=tuple(segments),
    )


def _optional(invoices: pd.DataFrame, column: str, default: object) -> pd.Series:
    if column not in invoices:
        return pd.Series(default, index=invoices.index)
    return invoices[column]


def _day_numbers(values: pd.Series, column: str, allow_missing: bool = False) -> np.ndarray:
    days = pd.to_datetime(values).to_numpy("datetime64[D]")
    if not allow_missing and np.isnat(days).any():
        raise ValueError(f"late_payment_frame: column {column!r} has missing dates")
    return days


def _penalty_inputs(
    invoices: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The columns the late-payment computation reads, as arrays: net open amount, due day,
    proceeding opening day (NaT = none), contractual rate (NaN = none), public buyer, French law.

    Raises:
        ValueError: on missing amounts or due dates.
    """
    amounts = invoices["open_amount"].to_numpy(dtype=float)
    if np.isnan(amounts).any():
        raise ValueError("late_payment_frame: column 'open_amount' has missing values")
    due = _day_numbers(invoices["due_on"], "due_on")
    opened = _day_numbers(
        _optional(invoices, "proceeding_opened_on", pd.NaT), "proceeding_opened_on", True
    )
    rates = _optional(invoices, "contractual_rate", np.nan).to_numpy(dtype=float)
    public = _optional(invoices, "public_buyer", False).fillna(False).to_numpy(bool)
    french = _optional(invoices, "french_law", True).fillna(True).to_numpy(bool)
    return amounts, due, opened, rates, public, french


def late_payment_frame(invoices: pd.DataFrame, as_of: date, table: RateTable) -> pd.DataFrame:
    """``late_payment_amounts`` over a frame of open invoices, with a note per row.

    The interest periods and rates of an invoice depend on its due date, proceeding date,
    contractual rate and buyer kind, not on its amount: each distinct combination is worked out
    once by ``late_payment_amounts``, then every row's interest is the sum over its periods of
    the same integer formula in cents (``_interest_cents``), so each row equals
    ``late_payment_amounts`` on it (``late_payment_frame_per_row``, tested).

    Args:
        invoices: columns ``open_amount`` (net) and ``due_on``; optional
            ``contractual_rate`` (fraction, NaN = none), ``proceeding_opened_on`` (date, NaT =
            none), ``public_buyer`` (bool) and ``french_law`` (bool, default True: False means
            the French rules do not apply to this buyer, so no interest and no indemnity).
        as_of: date of the computation.
        table: the dated rate table.

    Returns:
        A copy of ``invoices`` with ``days_late``, ``interest``, ``indemnity``, ``total``
        (interest + indemnity) and ``penalty_note`` added; a missing rate empties only its own
        row's interest.

    Raises:
        ValueError: on missing amounts or due dates, or a contractual rate outside [0, 1].
    """
    amounts, due, opened, rates, public, french = _penalty_inputs(invoices)
    cents = np.rint(amounts * 100).astype(np.int64)
    days_late = np.maximum((np.datetime64(as_of, "D") - due).astype(np.int64), 0)
    interest_cents = np.zeros(len(amounts), dtype=np.int64)
    indemnity_cents = np.zeros(len(amounts), dtype=np.int64)
    missing = np.zeros(len(amounts), dtype=bool)
    notes = np.full(len(amounts), "", dtype=object)
    owed = french & (cents > 0)
    keys = pd.DataFrame({"due": due, "opened": opened, "rate": rates, "public": public})[owed]
    if len(keys):
        group = keys.groupby(list(keys.columns), dropna=False, sort=False).ngroup().to_numpy()
        rows = np.flatnonzero(owed)
        order = np.argsort(group, kind="stable")
        bounds = np.searchsorted(group[order], np.arange(group.max() + 2))
        for code in range(group.max() + 1):
            members = rows[order[bounds[code] : bounds[code + 1]]]
            row = members[0]
            found = late_payment_amounts(
                1.0,
                due[row].astype(date),
                as_of,
                table,
                None if np.isnan(rates[row]) else float(rates[row]),
                None if np.isnat(opened[row]) else opened[row].astype(date),
                bool(public[row]),
            )
            indemnity_cents[members] = _cents(found.indemnity)
            notes[members] = found.note
            missing[members] = np.isnan(found.interest)
            for segment in found.segments:
                rate_bp = round(segment.annual_rate * 10_000)
                interest_cents[members] += (
                    2 * cents[members] * rate_bp * segment.days + _DENOMINATOR
                ) // (2 * _DENOMINATOR)
    interest = np.where(missing, np.nan, interest_cents / 100)
    return invoices.assign(
        days_late=days_late,
        interest=interest,
        indemnity=indemnity_cents / 100,
        total=np.where(missing, np.nan, (interest_cents + indemnity_cents) / 100),
        penalty_note=notes,
    )


def late_payment_frame_per_row(
    invoices: pd.DataFrame, as_of: date, table: RateTable
) -> pd.DataFrame:
    """``late_payment_amounts`` called on each row (the reference of :func:`late_payment_frame`,
    kept for its tests and benchmark).

    Args:
        invoices: columns ``open_amount`` (net) and ``due_on``; optional
            ``contractual_rate`` (fraction, NaN = none), ``proceeding_opened_on`` (date, NaT =
            none), ``public_buyer`` (bool) and ``french_law`` (bool, default True: False means
            the French rules do not apply to this buyer, so no interest and no indemnity).
        as_of: date of the computation.
        table: the dated rate table.

    Returns:
        A copy of ``invoices`` with ``days_late``, ``interest``, ``indemnity``, ``total``
        (interest + indemnity) and ``penalty_note`` added; each row equals
        ``late_payment_amounts`` on it, and a missing rate empties only its own row's interest.

    Raises:
        ValueError: on missing amounts or due dates, or a contractual rate outside [0, 1].
    """
    amounts, due, opened, rates, public, french = _penalty_inputs(invoices)
    rows = []
    for i in range(len(invoices)):
        if not french[i]:
            days = max((as_of - due[i].astype(date)).days, 0)
            rows.append((days, 0.0, 0.0, 0.0, ""))
            continue
        found = late_payment_amounts(
            float(amounts[i]),
            due[i].astype(date),
            as_of,
            table,
            None if np.isnan(rates[i]) else float(rates[i]),
            None if np.isnat(opened[i]) else opened[i].astype(date),
            bool(public[i]),
        )
        rows.append((found.days_late, found.interest, found.indemnity, found.total, found.note))
    out = pd.DataFrame(
        rows, columns=["days_late", "interest", "indemnity", "total", "penalty_note"]
    )
    return invoices.assign(**{c: out[c].to_numpy() for c in out.columns})


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
