"""Population stability, grade migration and back-test alerts (issue 19, finding 8)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.grades import GradeScale
from risk.monitor import (
    PSI_ALERT,
    SEASONAL,
    alerts,
    backtest_by_month_and_grade,
    feature_psi,
    grade_migration,
    population_stability_index,
)


def test_psi_by_hand_on_two_categories() -> None:
    # expected 50 % / 50 %, actual 80 % / 20 %: (0.8-0.5) ln(0.8/0.5) + (0.2-0.5) ln(0.2/0.5)
    expected = pd.Series(["a"] * 5 + ["b"] * 5)
    actual = pd.Series(["a"] * 8 + ["b"] * 2)
    by_hand = 0.3 * np.log(0.8 / 0.5) + (-0.3) * np.log(0.2 / 0.5)
    assert population_stability_index(expected, actual) == pytest.approx(by_hand)


def test_psi_counts_missing_values_as_their_own_bin() -> None:
    expected = pd.Series([1.0, 2.0, 3.0, 4.0])
    actual = pd.Series([1.0, 2.0, np.nan, np.nan])
    assert population_stability_index(expected, actual, n_bins=2) > PSI_ALERT


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=5, max_size=200), st.integers(2, 10))
def test_psi_is_zero_on_the_same_population_and_never_negative(values, n_bins) -> None:
    x = pd.Series(values)
    assert population_stability_index(x, x, n_bins) == pytest.approx(0.0, abs=1e-12)
    shifted = x + 1.0
    assert population_stability_index(x, shifted, n_bins) >= -1e-12


def test_feature_psi_flags_a_shifted_feature_only() -> None:
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"stable": rng.normal(size=2000), "moved": rng.normal(size=2000)})
    now = pd.DataFrame({"stable": rng.normal(size=2000), "moved": rng.normal(1.0, 1, 2000)})
    table = feature_psi(train, now, ["stable", "moved", "absent"])
    assert table["variable"].tolist() == ["moved", "stable"]
    assert table["status"].tolist() == ["alert", "stable"]


def test_grade_migration_shares_by_hand() -> None:
    previous = pd.Series({"C1": "A", "C2": "A", "C3": "B", "C4": "E"})
    current = pd.Series({"C1": "A", "C2": "B", "C3": "B", "C5": "A"})
    table = grade_migration(previous, current)
    assert table.loc["A", "A"] == 0.5 and table.loc["A", "B"] == 0.5
    assert table.loc["B", "B"] == 1.0
    assert table.loc["E"].isna().all()  # C4 was not graded this time
    assert list(table.columns) == ["A", "B", "C", "D", "E"]


def test_backtest_flags_an_underestimated_month_and_grade() -> None:
    month = pd.Series(["2025-01"] * 100 + ["2025-02"] * 100)
    p = np.full(200, 0.05)  # one grade everywhere
    grade = str(GradeScale().grade(p[:1])[0])
    y = np.zeros(200, dtype=int)
    y[:5] = 1  # January: 5 % realised, as predicted
    y[100:125] = 1  # February: 25 % realised for 5 % predicted
    table = backtest_by_month_and_grade(month, y, p)
    assert table["grade"].tolist() == [grade, grade]
    assert table["underestimated"].tolist() == [False, True]
    found = alerts(pd.DataFrame(columns=["variable", "psi", "status"]), table)
    assert len(found) == 1 and f"2025-02 grade {grade}" in found[0].message


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.floats(-1e3, 1e3)), min_size=3, max_size=150),
    st.lists(st.one_of(st.none(), st.floats(-2e3, 2e3)), min_size=1, max_size=150),
    st.integers(2, 10),
)
def test_stored_profile_gives_the_psi_of_the_raw_values(expected, actual, n_bins) -> None:
    """The binned profile kept with a model measures the same PSI as the training rows."""
    from risk.monitor.drift import psi_against_profile, variable_profile

    e = pd.Series(expected, dtype="float64")
    a = pd.Series(actual, dtype="float64")
    profile = variable_profile(e, n_bins)
    assert psi_against_profile(profile, a) == pytest.approx(
        population_stability_index(e, a, n_bins), rel=1e-9, abs=1e-12
    )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "c", None]), min_size=1, max_size=80),
    st.lists(st.sampled_from(["a", "b", "d", None]), min_size=1, max_size=80),
)
def test_stored_profile_of_categories_gives_the_psi_of_the_raw_values(expected, actual) -> None:
    """Levels unseen in training (``d``) count at the floor share, as in the raw PSI."""
    from risk.monitor.drift import psi_against_profile, variable_profile

    e = pd.Series(expected, dtype="category")
    a = pd.Series(actual, dtype="category")
    assert psi_against_profile(variable_profile(e), a) == pytest.approx(
        population_stability_index(e, a), rel=1e-9, abs=1e-12
    )


def test_calendar_inputs_are_seasonal_never_alerted() -> None:
    """A 90-day window holds three issue months of the twelve of a training year: its PSI is
    large by construction (each of the 3 months 1/3 instead of 1/12, the 9 others at the floor)
    and is reported as seasonal, not alerted; the same shift of another input is an alert."""
    year = pd.Series(pd.Categorical([m for m in range(1, 13) for _ in range(10)]))
    quarter = pd.Series(pd.Categorical([m for m in (10, 11, 12) for _ in range(10)]))
    by_hand = 3 * (1 / 3 - 1 / 12) * np.log((1 / 3) / (1 / 12)) + 9 * (1e-4 - 1 / 12) * np.log(
        1e-4 / (1 / 12)
    )
    table = feature_psi(
        pd.DataFrame({"issue_month": year, "naf_section": year}),
        pd.DataFrame({"issue_month": quarter, "naf_section": quarter}),
        ["issue_month", "naf_section"],
    )
    assert table["psi"].tolist() == pytest.approx([by_hand, by_hand])
    assert "issue_month" in SEASONAL and "due_month" in SEASONAL
    status = dict(zip(table["variable"], table["status"], strict=True))
    assert status == {"issue_month": "seasonal", "naf_section": "alert"}
    found = alerts(table, backtest_by_month_and_grade(pd.Series([], dtype=str), [], []))
    assert [a.what for a in found] == ["psi:naf_section"]


def test_backtest_without_rows_keeps_its_columns() -> None:
    table = backtest_by_month_and_grade(pd.Series([], dtype=str), np.array([]), np.array([]))
    assert table.empty and "underestimated" in table.columns
