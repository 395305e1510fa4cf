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

The ranking quantity of the worklist (``expected_at_risk``) is defined once, in
``at_risk_probability``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WEEK = 7
UNPAID_WEEKS = 13
RANK_LATE_AFTER_DAYS = 60
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


def p_paid_late(q: np.ndarray, days_past_due: np.ndarray, late_after_days: int) -> np.ndarray:
    """P(paid more than ``late_after_days`` after the due date); 1 when already past it."""
    dpd = np.asarray(days_past_due, dtype="float64")
    return np.where(dpd > late_after_days, 1.0, survival_at(q, late_after_days + 1 - dpd))


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
    tail = WEEK * (weeks + np.log(0.5 / surv[:, -1]) / np.log(tail_q(q)))
    return np.where(has, inside, tail)


def weekly_payment_probabilities(q: np.ndarray, weeks: int) -> np.ndarray:
    """``P[r, k]`` = P(paid in week k after ``t``), k < ``weeks`` (tail weeks extrapolated)."""
    edges = np.arange(weeks + 1) * WEEK
    surv = np.column_stack([survival_at(q, float(d)) if d > 0 else np.ones(len(q)) for d in edges])
    return surv[:, :-1] - surv[:, 1:]


def at_risk_probability(
    p_late_rank: np.ndarray, p_unpaid_13w: np.ndarray, days_past_due: np.ndarray
) -> np.ndarray:
    """The probability behind ``expected_at_risk``, the worklist's ranking quantity.

    Up to ``RANK_LATE_AFTER_DAYS`` (60) days past due: P(paid more than 60 days after due). Past
    it that event is certain and no longer ranks anything: P(still unpaid 13 weeks from now).
    """
    dpd = np.asarray(days_past_due, dtype="float64")
    return np.where(dpd > RANK_LATE_AFTER_DAYS, p_unpaid_13w, p_late_rank)


def timing_columns(
    q: np.ndarray,
    as_of: pd.Timestamp,
    days_past_due: np.ndarray,
    open_amount: np.ndarray,
    late_after_days: int,
) -> pd.DataFrame:
    """The scoring columns of open invoices at ``as_of`` from their continuation matrix.

    Returns:
        ``probability`` (P(paid more than ``late_after_days`` after due)), ``p_late_30``,
        ``p_late_60``, ``p_unpaid_13w``, ``expected_paid_on``, ``median_paid_on``,
        ``expected_at_risk`` (open amount x ``at_risk_probability``).
    """
    as_of = pd.Timestamp(as_of)
    dpd = np.asarray(days_past_due, dtype="float64")
    p_late_60 = p_paid_late(q, dpd, RANK_LATE_AFTER_DAYS)
    p_unpaid = survival_at(q, UNPAID_WEEKS * WEEK)
    expected = pd.to_timedelta(np.round(expected_days(q)), unit="D")
    median = pd.to_timedelta(np.round(np.minimum(median_days(q), 36500)), unit="D")
    return pd.DataFrame(
        {
            "probability": p_paid_late(q, dpd, late_after_days),
            "p_late_30": p_paid_late(q, dpd, 30),
            "p_late_60": p_late_60,
            "p_unpaid_13w": p_unpaid,
            "expected_paid_on": as_of + expected,
            "median_paid_on": as_of + median,
            "expected_at_risk": np.asarray(open_amount, dtype="float64")
            * at_risk_probability(p_late_60, p_unpaid, dpd),
        }
    )
