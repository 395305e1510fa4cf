"""Outcomes at past scoring dates, buckets, capture and concordance, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from risk.timing.evaluate import (
    binary_metrics,
    capture_top_amount,
    concordance,
    days_past_due_rank,
    dpd_bucket,
    headline,
    realised_outcomes,
)

D = pd.Timestamp


def test_buckets() -> None:
    assert list(dpd_bucket(np.array([-5, 0, 1, 30, 31, 60, 61, 90, 91]))) == [
        "not yet due", "not yet due", "1-30", "1-30", "31-60", "31-60", "61-90", "61-90", "> 90",
    ]  # fmt: skip


def test_realised_outcomes_as_known_at_the_cutoff() -> None:
    rows = pd.DataFrame(
        {
            "as_of": [D("2025-01-01")] * 4,
            "due_on": [D("2024-12-01"), D("2025-01-15"), D("2025-03-01"), D("2025-01-10")],
            "paid_on": [D("2025-01-05"), D("2025-04-01"), pd.NaT, D("2025-07-01")],
        }
    )
    out = realised_outcomes(rows, D("2025-05-01"), 30)
    # 1: paid 35 days late; 2: paid 76 days late, after 90 days; 3: unpaid, due+30 = 03-31
    # passed (late), due+60 = 04-30 passed too (very late); 4: paid after the cutoff: unknown
    # payment, but due + 30 and + 60 passed unpaid
    assert list(out["late"]) == [1.0, 1.0, 1.0, 1.0]
    assert list(out["very_late"]) == [0.0, 1.0, 1.0, 1.0]
    assert list(out["unpaid_13w"]) == [0.0, 0.0, 1.0, 1.0]
    assert list(out["paid_days"]) == [4.0, 90.0, 120.0, 120.0]
    assert list(out["paid_known"]) == [True, True, False, False]
    early = realised_outcomes(rows, D("2025-03-15"), 30)
    assert np.isnan(early.loc[2, "late"]) and np.isnan(early.loc[2, "unpaid_13w"])


def test_binary_metrics_skip_unknown_outcomes() -> None:
    out = binary_metrics(np.array([1.0, 0.0, np.nan]), np.array([0.8, 0.2, 0.5]))
    assert out["n"] == 2 and out["auc"] == 1.0
    assert out["brier"] == pytest.approx((0.04 + 0.04) / 2)
    assert out["mean_predicted"] == pytest.approx(0.5) and out["realised"] == 0.5


def test_capture_of_the_very_late_amount_in_the_top_ten_percent() -> None:
    amount = np.array([100.0, 50.0, 850.0])
    target = np.array([1.0, 1.0, 0.0])
    # top 10 % of 1000 = 100: only the best-scored row of 100 fits
    assert capture_top_amount(np.array([0.9, 0.5, 0.1]), amount, target) == pytest.approx(100 / 150)
    assert capture_top_amount(np.array([0.1, 0.5, 0.9]), amount, target) == 0.0


def test_concordance() -> None:
    observed = np.array([5.0, 10.0, 20.0])
    event = np.array([True, True, False])
    assert concordance(np.array([1.0, 2.0, 3.0]), observed, event) == 1.0
    assert concordance(np.array([3.0, 2.0, 1.0]), observed, event) == 0.0
    # comparable pairs: (0,1), (0,2), (1,2); predictions tie on (0,1)
    assert concordance(np.array([1.0, 1.0, 3.0]), observed, event) == pytest.approx(2.5 / 3)


def _four_invoices(**columns: list[float]) -> pd.DataFrame:
    """Four scored open invoices (250 of their 1,100 open are very late), with ``columns``."""
    return pd.DataFrame(
        {
            "open_amount": [100.0, 100.0, 50.0, 850.0],
            "very_late": [1.0, 1.0, 1.0, 0.0],
            "expected_at_risk": [80.0, 90.0, 25.0, 85.0],
            "p_late_60": [1.0, 0.9, 0.5, 0.1],
            "late": [1.0, 1.0, 1.0, 0.0],
            "probability": [1.0, 0.95, 0.6, 0.2],
            "expected_days": [30.0, 20.0, 10.0, 5.0],
            "paid_days": [30.0, 20.0, 10.0, 5.0],
            "paid_known": [True, True, True, True],
            "unpaid_13w": [0.0, 0.0, 0.0, 0.0],
            "p_unpaid_13w": [0.1, 0.1, 0.1, 0.1],
            **columns,
        }
    )


def test_headline_capture_among_invoices_not_yet_60_days_past_due() -> None:
    # row 0 is 90 days past due (very late for certain): left out of the "not yet 60" capture
    scored = _four_invoices(days_past_due=[90.0, 10.0, -5.0, 20.0], p_issue=[0.1, 0.05, 0.3, 0.01])
    out = headline(scored, "p_issue")
    # all rows: the top 10 % of 1100 = 110 holds row 1 (90 at risk, 100) of 250 very late
    assert out["test_capture_very_late_top10"] == pytest.approx(100 / 250)
    # not yet 60: top 10 % of 1000 = 100: row 1 (90 at risk) of 100 + 50 very late
    assert out["test_capture_very_late_top10_not_yet_60"] == pytest.approx(100 / 150)
    # the issue-date model ranks row 2 (0.3 x 50) first, then the 850 row that passes 100
    assert out["issue_model_capture_very_late_top10_not_yet_60"] == pytest.approx(50 / 150)


def test_days_past_due_rank_puts_invoices_before_their_due_date_last() -> None:
    dpd = np.array([-30.0, -1.0, 1.0, 90.0])
    amount = np.array([1e6, 1e6, 10.0, 10.0])
    score = days_past_due_rank(dpd, amount)
    assert score[2] > max(score[0], score[1])
    assert score[3] > score[2]


def test_headline_scores_the_same_ranking_rule_with_the_true_probabilities() -> None:
    scored = _four_invoices(
        days_past_due=[90.0, 10.0, -5.0, -20.0], p_truth_60=[1.0, 0.2, 0.9, 0.05]
    )
    out = headline(scored, None, "p_truth_60")
    # truth x amount: row 0 (100), row 2 (45), row 3 (42.5), row 1 (20); the top 10 % of 1100
    # (110) holds row 0 only: 100 of the 250 very late
    assert out["truth_capture_very_late_top10"] == pytest.approx(100 / 250)
    # not yet 60 (rows 1-3, 1000 open, top 100): row 2 (50 open), then row 3 (850) passes
    assert out["truth_capture_very_late_top10_not_yet_60"] == pytest.approx(50 / 150)
    # without a model: 100 x 91 first (row 0, 100 of the 110), then row 1 (100) passes
    assert out["naive_days_past_due_capture_very_late_top10"] == pytest.approx(100 / 250)
