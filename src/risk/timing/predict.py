"""From weekly continuation probabilities to what a credit manager and the treasury read.

``q[r, k]`` (``risk.timing.hazard.continuation``) is the chance that open invoice ``r`` is
still unpaid at the end of week ``k`` after the scoring date ``t`` given unpaid at its start.
The survival ``S(d) = P(payment day >= t + d)`` is the product of the ``q`` of the weeks before
``d``, linear within a week, and beyond the modelled weeks a constant weekly hazard (the mean of
the last four weeks'). Then, for an invoice ``dpd`` days past due at ``t``:

* ``P(paid more than L days after due) = S(L + 1 - dpd)``: 1 when ``dpd > L`` (already late
  for that L with certainty: the invoice is open at ``t``);
* ``P(unpaid after 13 weeks) = S(91)``;
* expected payment date ``t + integral of S``; median: the day ``S`` falls to 0.5;
* ``P(paid in week k) = S(7k) - S(7k + 7)``, the cash-in forecast's building block.

The ranking quantity of the worklist (``expected_at_risk``: open amount x P(more than 60 days
late and still unpaid in two weeks)) is defined once, in ``at_risk_probability``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WEEK = 7
UNPAID_WEEKS = 13
RANK_LATE_AFTER_DAYS = 60
RANK_REVIEW_DAYS = 14
TAIL_WEEKS = 4
MAX_TAIL_Q = 0.995  # a tail hazard of at least 0.5 % a week: expected dates stay finite


def survival_weeks(q: np.ndarray) -> np.ndarray:
    """``S[r, k]`` = P(still unpaid at the start of week k), k = 0..weeks (S[:, 0] = 1)."""
    ones = np.ones((q.shape[0], 1))
    return np.hstack([ones, np.cumprod(q, axis=1)])


def tail_q(q: np.ndarray) -> np.ndarray:
    """Weekly continuation beyond the modelled weeks: mean of the last ``TAIL_WEEKS``."""
    return np.minimum(q[:, -TAIL_WEEKS:].mean(axis=1), MAX_TAIL_Q)


def survival_at(q: np.ndarray, days: np.ndarray | float) -> np.ndarray:
    """``S(d)`` = P(payment day >= t + d) per row, for days ``d`` (per row or one number).

    ``d <= 0`` gives 1 (an open invoice is not paid before ``t``).
    """
    n, weeks = q.shape
    d = np.broadcast_to(np.asarray(days, dtype="float64"), (n,))
    surv = survival_weeks(q)
    k = np.clip(np.floor(d / WEEK).astype(np.int64), 0, weeks - 1)
    frac = np.clip(d / WEEK - k, 0.0, 1.0)
    rows = np.arange(n)
    inside = surv[rows, k] + frac * (surv[rows, k + 1] - surv[rows, k])
    beyond = surv[:, -1] * tail_q(q) ** np.maximum(d / WEEK - weeks, 0.0)
    out = np.where(d > weeks * WEEK, beyond, inside)
    return np.where(d <= 0, 1.0, out)


def _no_lost(q: np.ndarray, lost: np.ndarray | None) -> np.ndarray:
    return np.zeros_like(q) if lost is None else np.asarray(lost, dtype="float64")


def lost_share_at(lost: np.ndarray, weeks_from_t: np.ndarray | float) -> np.ndarray:
    """P(lost | leaves in week ``k``) per row at (possibly fractional, per row) weeks ``k``
    after ``t``: the modelled week, the mean of the last ``TAIL_WEEKS`` beyond them."""
    n, weeks = lost.shape
    k = np.floor(np.broadcast_to(np.asarray(weeks_from_t, dtype="float64"), (n,)))
    tail = lost[:, -TAIL_WEEKS:].mean(axis=1)
    inside = lost[np.arange(n), np.clip(k, 0, weeks - 1).astype(np.int64)]
    return np.where(k >= weeks, tail, inside)


def lost_by(q: np.ndarray, lost: np.ndarray | None, days: np.ndarray | float) -> np.ndarray:
    """P(lost (written off, proceeding) before day ``t + d``): the sum over weeks of
    P(leaves in week k) x P(lost | leaves in week k), linear within a week; beyond the
    modelled weeks the remaining exits are lost in the tail share. 0 for ``d <= 0``; at
    ``d = inf``, :func:`p_lost`."""
    lost = _no_lost(q, lost)
    n, weeks = q.shape
    d = np.broadcast_to(np.asarray(days, dtype="float64"), (n,))
    surv = survival_weeks(q)
    exits = (surv[:, :-1] - surv[:, 1:]) * lost
    cumulative = np.hstack([np.zeros((n, 1)), np.cumsum(exits, axis=1)])
    rows = np.arange(n)
    finite = np.where(np.isfinite(d), d, weeks * WEEK + 1.0)
    k = np.clip(np.floor(finite / WEEK).astype(np.int64), 0, weeks - 1)
    frac = np.clip(finite / WEEK - k, 0.0, 1.0)
    inside = cumulative[rows, k] + frac * exits[rows, k]
    tail_share = lost[:, -TAIL_WEEKS:].mean(axis=1)
    beyond = cumulative[:, -1] + (surv[:, -1] - survival_at(q, finite)) * tail_share
    beyond = np.where(np.isfinite(d), beyond, cumulative[:, -1] + surv[:, -1] * tail_share)
    out = np.where(d > weeks * WEEK, beyond, inside)
    return np.where(d <= 0, 0.0, out)


def p_lost(q: np.ndarray, lost: np.ndarray | None) -> np.ndarray:
    """P(the invoice is lost, never paid): written off or frozen by a proceeding."""
    return lost_by(q, lost, np.inf)


def not_paid_by(q: np.ndarray, lost: np.ndarray | None, days: np.ndarray | float) -> np.ndarray:
    """P(not paid before day ``t + d``): still open then, or lost before it."""
    return survival_at(q, days) + lost_by(q, lost, days)


def p_paid_late(
    q: np.ndarray,
    days_past_due: np.ndarray,
    late_after_days: int,
    lost: np.ndarray | None = None,
) -> np.ndarray:
    """P(paid more than ``late_after_days`` after the due date, or never: lost); 1 when
    already past it."""
    dpd = np.asarray(days_past_due, dtype="float64")
    return np.where(dpd > late_after_days, 1.0, not_paid_by(q, lost, late_after_days + 1 - dpd))


def expected_days(q: np.ndarray) -> np.ndarray:
    """Expected days from ``t`` to the payment: the integral of ``S`` (trapezes per week,
    geometric tail)."""
    surv = survival_weeks(q)
    inside = WEEK * 0.5 * (surv[:, :-1] + surv[:, 1:]).sum(axis=1)
    tail = surv[:, -1] * WEEK / -np.log(tail_q(q))
    return inside + tail


def median_days(q: np.ndarray) -> np.ndarray:
    """Days from ``t`` until ``S`` falls to 0.5 (linear within a week, geometric tail)."""
    surv = survival_weeks(q)
    n, weeks = q.shape
    below = surv[:, 1:] <= 0.5
    has = below.any(axis=1)
    k = np.where(has, below.argmax(axis=1), 0)
    rows = np.arange(n)
    s0, s1 = surv[rows, k], surv[rows, k + 1]
    inside = WEEK * (k + np.where(s0 > s1, (s0 - 0.5) / np.maximum(s0 - s1, 1e-12), 0.0))
    with np.errstate(divide="ignore"):  # S = 0 at the end (a row lost at t): has is True there
        tail = WEEK * (weeks + np.log(0.5 / surv[:, -1]) / np.log(tail_q(q)))
    return np.where(has, inside, tail)


def weekly_payment_probabilities(
    q: np.ndarray, weeks: int, lost: np.ndarray | None = None
) -> np.ndarray:
    """``P[r, k]`` = P(paid in week k after ``t``), k < ``weeks`` (tail weeks extrapolated):
    the exits of the week that are payments, not losses."""
    edges = np.arange(weeks + 1) * WEEK
    surv = np.column_stack([survival_at(q, float(d)) if d > 0 else np.ones(len(q)) for d in edges])
    lost = _no_lost(q, lost)
    paid_share = np.column_stack([1.0 - lost_share_at(lost, float(k)) for k in range(weeks)])
    return (surv[:, :-1] - surv[:, 1:]) * (paid_share if len(q) else 1.0)


def at_risk_probability(
    q: np.ndarray, lost: np.ndarray | None, days_past_due: np.ndarray
) -> np.ndarray:
    """The probability behind ``expected_at_risk``, the worklist's ranking quantity: P(the
    invoice is paid more than ``RANK_LATE_AFTER_DAYS`` (60) days after due, or never, **and**
    is still unpaid ``RANK_REVIEW_DAYS`` (14) days from now).

    One event for every open invoice, i.e. P(not paid before day ``t + max(61 - dpd, 14)``):
    up to 47 days past due it is P(more than 60 days late); an invoice already more than 60
    days past due is very late for certain, and what still ranks it is the chance that its
    money does not come in by itself within the next two weeks (the span of a dunning step; a
    buyer whose payment has been transmitted needs no call). The quantity is continuous in the
    days past due: an invoice does not fall down the worklist the day it passes 60 days.
    """
    dpd = np.asarray(days_past_due, dtype="float64")
    days = np.maximum(RANK_LATE_AFTER_DAYS + 1 - dpd, RANK_REVIEW_DAYS)
    return not_paid_by(q, lost, days)


def timing_columns(
    q: np.ndarray,
    as_of: pd.Timestamp,
    days_past_due: np.ndarray,
    open_amount: np.ndarray,
    late_after_days: int,
    lost: np.ndarray | None = None,
) -> pd.DataFrame:
    """The scoring columns of open invoices at ``as_of`` from their continuation matrix and
    lost shares (``risk.timing.hazard.outcomes``; None: no lost outcome).

    Returns:
        ``probability`` (P(paid more than ``late_after_days`` after due, or never)),
        ``p_late_30``, ``p_late_60``, ``p_unpaid_13w`` (not paid in 13 weeks: still open or
        lost), ``p_lost`` (never paid: written off or frozen by a proceeding),
        ``expected_paid_on``, ``median_paid_on`` (of leaving the open state),
        ``expected_at_risk`` (open amount x ``at_risk_probability``) and ``expected_loss``
        (open amount x ``p_lost``).
    """
    as_of = pd.Timestamp(as_of)
    dpd = np.asarray(days_past_due, dtype="float64")
    amount = np.asarray(open_amount, dtype="float64")
    p_late_60 = p_paid_late(q, dpd, RANK_LATE_AFTER_DAYS, lost)
    p_unpaid = not_paid_by(q, lost, UNPAID_WEEKS * WEEK)
    lost_p = p_lost(q, lost)
    expected = pd.to_timedelta(np.round(expected_days(q)), unit="D")
    median = pd.to_timedelta(np.round(np.minimum(median_days(q), 36500)), unit="D")
    return pd.DataFrame(
        {
            "probability": p_paid_late(q, dpd, late_after_days, lost),
            "p_late_30": p_paid_late(q, dpd, 30, lost),
            "p_late_60": p_late_60,
            "p_unpaid_13w": p_unpaid,
            "p_lost": lost_p,
            "expected_paid_on": as_of + expected,
            "median_paid_on": as_of + median,
            "expected_at_risk": amount * at_risk_probability(q, lost, dpd),
            "expected_loss": amount * lost_p,
        }
    )
