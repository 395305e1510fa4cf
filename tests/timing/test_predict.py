"""Weekly continuation -> survival, P(late L), dates, P(unpaid 13w), ranking quantity."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from risk.timing.predict import (
    at_risk_probability,
    expected_days,
    median_days,
    p_paid_late,
    survival_at,
    timing_columns,
    weekly_payment_probabilities,
)

WEEKS = 26


def constant(q: float, rows: int = 1) -> np.ndarray:
    return np.full((rows, WEEKS), q)


def test_survival_of_a_half_weekly_hazard() -> None:
    q = constant(0.5)
    assert survival_at(q, 0)[0] == 1.0 and survival_at(q, -3)[0] == 1.0
    assert survival_at(q, 7)[0] == pytest.approx(0.5)
    assert survival_at(q, 14)[0] == pytest.approx(0.25)
    assert survival_at(q, 10.5)[0] == pytest.approx(0.375)  # linear within the week
    # beyond the 26 modelled weeks: the tail keeps the mean of the last weeks (0.5)
    assert survival_at(q, 7 * 28)[0] == pytest.approx(0.5**28)


def test_late_probability_from_days_past_due() -> None:
    q = constant(0.5, rows=3)
    dpd = np.array([-4.0, 30.0, 31.0])
    p = p_paid_late(q, dpd, 30)
    # late = paid on or after due + 31: 35 days ahead (5 weeks), 1 day ahead, already late
    assert p[0] == pytest.approx(0.5**5)
    assert p[1] == pytest.approx(1 - 0.5 / 7)
    assert p[2] == 1.0


def test_expected_and_median_days() -> None:
    # S halves every week, linear inside: integral = 7/2 (sum S_k + sum S_k+1) = 7/2 * 3
    assert expected_days(constant(0.5))[0] == pytest.approx(10.5, abs=1e-4)
    assert median_days(constant(0.5))[0] == pytest.approx(7.0)
    never = expected_days(constant(1.0))[0]  # capped tail hazard: finite but far
    assert never > 7 * WEEKS and np.isfinite(never)


def test_weekly_payment_probabilities_sum_to_one_minus_survival() -> None:
    q = constant(0.8, rows=2)
    p = weekly_payment_probabilities(q, 13)
    assert p[0, 0] == pytest.approx(0.2) and p[0, 1] == pytest.approx(0.8 * 0.2)
    assert p.sum(axis=1) == pytest.approx(1 - 0.8**13)


def test_ranking_quantity_is_very_late_and_unpaid_in_two_weeks() -> None:
    # weekly hazard 1/2: S(d) = 0.5 ** (d / 7) at whole weeks (linear inside a week)
    q = constant(0.5, rows=3)
    dpd = np.array([40.0, 61.0, 150.0])
    p = at_risk_probability(q, None, dpd)
    # 40 days past due: very late = not paid before due + 61 = 21 days from now (3 weeks)
    assert p[0] == pytest.approx(0.5**3)
    assert p[0] == pytest.approx(p_paid_late(q[:1], dpd[:1], 60)[0])
    # already very late: not paid within the next 14 days, whatever the days past due
    assert p[1] == pytest.approx(0.25) and p[2] == pytest.approx(0.25)


def test_ranking_quantity_does_not_jump_when_an_invoice_passes_60_days() -> None:
    q = np.random.default_rng(3).uniform(0.3, 0.99, size=(50, WEEKS))
    days = np.arange(30.0, 80.0)
    by_day = np.column_stack([at_risk_probability(q, None, np.full(50, d)) for d in days])
    # for the same payment-week distribution, more days past due never lowers the rank...
    assert (np.diff(by_day, axis=1) >= -1e-12).all()
    # ...and from 47 days past due the event is "unpaid in two weeks": 60 -> 61 is no step
    assert by_day[:, days == 60.0] == pytest.approx(by_day[:, days == 61.0])


def test_ranking_puts_a_stuck_very_late_invoice_above_one_about_to_be_paid() -> None:
    about_to_pay, stuck = constant(0.9), constant(0.9)
    about_to_pay[0, 0] = 0.05  # 95 % paid this week (e.g. its payment was transmitted)
    amounts, dpd = np.array([1000.0, 600.0]), np.array([75.0, 75.0])
    at_risk = amounts * at_risk_probability(np.vstack([about_to_pay, stuck]), None, dpd)
    assert at_risk[1] > at_risk[0]
    # both are very late for certain: P(> 60 days late) alone ranks by the amount
    assert (p_paid_late(np.vstack([about_to_pay, stuck]), dpd, 60) == 1.0).all()


def test_ranking_counts_a_lost_invoice_as_unpaid() -> None:
    q, lost = constant(0.5), np.ones((1, WEEKS))  # every exit is a loss (proceeding)
    assert at_risk_probability(q, lost, np.array([75.0]))[0] == pytest.approx(1.0)


def test_timing_columns() -> None:
    q = constant(0.5, rows=2)
    out = timing_columns(
        q, pd.Timestamp("2025-01-10"), np.array([-4.0, 45.0]), np.array([100.0, 50.0]), 30
    )
    assert list(out["probability"]) == pytest.approx([0.5**5, 1.0])
    assert out["p_late_30"].equals(out["probability"])
    assert out.loc[1, "p_late_60"] == pytest.approx(survival_at(q[:1], 16)[0])
    assert out.loc[0, "p_unpaid_13w"] == pytest.approx(0.5**13)
    assert out.loc[0, "median_paid_on"] == pd.Timestamp("2025-01-17")
    assert out.loc[0, "expected_paid_on"] == pd.Timestamp("2025-01-20")  # 10.5 days, rounded
    assert out.loc[0, "expected_at_risk"] == pytest.approx(100 * out.loc[0, "p_late_60"])


@settings(max_examples=60, deadline=None)
@given(
    q=arrays(np.float64, (3, WEEKS), elements=st.floats(0.0, 1.0)),
    dpd=st.integers(-90, 120),
    days=st.floats(-10, 400),
)
def test_probabilities_are_ordered(q: np.ndarray, dpd: int, days: float) -> None:
    d = np.full(3, float(dpd))
    p30, p60 = p_paid_late(q, d, 30), p_paid_late(q, d, 60)
    assert ((p30 >= p60 - 1e-12) & (p60 >= 0) & (p30 <= 1)).all()
    s1, s2 = survival_at(q, days), survival_at(q, days + 7)
    assert (s2 <= s1 + 1e-12).all() and ((s1 >= 0) & (s1 <= 1)).all()
    weekly = weekly_payment_probabilities(q, 13)
    assert (weekly >= -1e-12).all() and (weekly.sum(axis=1) <= 1 + 1e-9).all()


def test_median_of_an_invoice_leaving_in_the_first_week_is_quiet_and_finite() -> None:
    # a row already lost at t (``with_known_losses``: q = 0 in week 0) has S = 0 from week 1;
    # the geometric tail's log(0.5 / 0) must not warn: the median lies inside the first week
    q = constant(0.5, rows=1)
    q[0, 0] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        median = median_days(q)
    assert median[0] == pytest.approx(3.5)
