"""Grade scale, calibration table and grade table with the Jeffreys test."""

from __future__ import annotations

import math

import numpy as np
import pytest

from risk.errors import ConfigError
from risk.evaluate.calibration import calibration_table, grade_table, jeffreys_p_value
from risk.grades import GradeScale


def test_default_grades_are_the_master_scale_and_cutoff_goes_to_better_grade() -> None:
    scale = GradeScale()  # A <= 0.5 %, B <= 2 %, C <= 5 %, D <= 15 %, E above
    assert scale.grade(0.0) == "A"
    assert scale.grade(0.005) == "A"
    assert scale.grade(0.0050001) == "B"
    assert scale.grade(0.02) == "B"
    assert scale.grade(0.05) == "C"
    assert scale.grade(0.15) == "D"
    assert scale.grade(0.1500001) == "E"
    assert scale.grade(1.0) == "E"


def test_grade_is_vectorised() -> None:
    grades = GradeScale().grade(np.array([0.001, 0.01, 0.03, 0.1, 0.9]))
    assert isinstance(grades, np.ndarray)
    assert grades.tolist() == ["A", "B", "C", "D", "E"]


def test_grade_rejects_bad_probabilities() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        GradeScale().grade(np.array([0.1, 1.5]))


def test_bounds() -> None:
    scale = GradeScale()
    assert scale.bounds("A") == (0.0, 0.005)
    assert scale.bounds("C") == (0.02, 0.05)
    assert scale.bounds("E") == (0.15, 1.0)
    with pytest.raises(ValueError, match="unknown grade 'F'"):
        scale.bounds("F")


def test_custom_scale_accepts_lists() -> None:
    scale = GradeScale(letters=["low", "high"], cutoffs=[0.5])  # type: ignore[arg-type]
    assert scale.letters == ("low", "high")
    assert scale.grade(0.5) == "low"


@pytest.mark.parametrize(
    ("letters", "cutoffs", "message"),
    [
        (("A", "B", "C"), (0.1,), "cutoffs must have one value fewer"),
        (("A", "B", "C"), (0.2, 0.1), "cutoffs must be strictly increasing"),
        (("A", "B", "C"), (0.1, 0.1), "cutoffs must be strictly increasing"),
        (("A", "B"), (1.0,), r"cutoffs must each lie in \(0, 1\)"),
        (("A", "B"), (0.0,), r"cutoffs must each lie in \(0, 1\)"),
        (("A", "A"), (0.5,), "letters must be unique"),
        ((), (), "letters must be non-empty"),
    ],
)
def test_scale_validation(letters: tuple, cutoffs: tuple, message: str) -> None:
    with pytest.raises(ConfigError, match=f"GradeScale.{message}"):
        GradeScale(letters=letters, cutoffs=cutoffs)


def test_calibration_table_by_hand() -> None:
    y = np.array([0, 0, 1, 0, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.8])
    table = calibration_table(y, p, bins=2)
    assert table.columns.tolist() == ["bin", "n", "p_mean", "observed_rate", "p_min", "p_max"]
    assert table["bin"].tolist() == [1, 2]
    assert table["n"].tolist() == [3, 3]
    assert table["p_mean"].tolist() == pytest.approx([0.2, 0.7])
    assert table["observed_rate"].tolist() == pytest.approx([1 / 3, 2 / 3])
    assert table["p_min"].tolist() == [0.1, 0.6]
    assert table["p_max"].tolist() == [0.3, 0.8]


def test_calibration_table_deciles() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(size=1000)
    table = calibration_table(rng.binomial(1, p), p)
    assert len(table) == 10
    assert table["n"].sum() == 1000
    assert (table["n"] == 100).all()
    assert table["p_mean"].is_monotonic_increasing


def _grade_sample(n: int, defaults: int, p_mean: float) -> tuple[np.ndarray, np.ndarray]:
    y = np.zeros(n)
    y[:defaults] = 1
    return y, np.full(n, p_mean)


def test_jeffreys_flags_underestimated_grade() -> None:
    y, p = _grade_sample(100, 20, 0.05)
    table = grade_table(y, p, GradeScale())
    row = table.set_index("grade").loc["C"]
    assert (row["n"], row["defaults"]) == (100, 20)
    assert row["observed_rate"] == pytest.approx(0.2)
    assert row["jeffreys_p_value"] < 1e-6
    assert bool(row["underestimated"])


def test_jeffreys_accepts_consistent_grade() -> None:
    y, p = _grade_sample(100, 5, 0.05)
    row = grade_table(y, p, GradeScale()).set_index("grade").loc["C"]
    assert 0.3 < row["jeffreys_p_value"] < 0.7
    assert not bool(row["underestimated"])


def test_jeffreys_p_value_direction() -> None:
    # more defaults than predicted -> small p-value; fewer -> large
    assert jeffreys_p_value(2, 100, 0.2) > 0.99
    assert jeffreys_p_value(40, 100, 0.2) < 0.01
    assert math.isnan(jeffreys_p_value(0, 0, 0.1))
    with pytest.raises(ValueError, match="defaults"):
        jeffreys_p_value(5, 3, 0.1)


def test_grade_table_lists_empty_grades() -> None:
    y, p = np.array([0, 1, 0]), np.array([0.001, 0.004, 0.5])
    table = grade_table(y, p)
    assert table["grade"].tolist() == ["A", "B", "C", "D", "E"]
    assert table["n"].tolist() == [2, 0, 0, 0, 1]
    empty = table.set_index("grade").loc["C"]
    assert math.isnan(empty["p_mean"])
    assert math.isnan(empty["observed_rate"])
    assert math.isnan(empty["jeffreys_p_value"])
    assert not bool(empty["underestimated"])
    assert table.set_index("grade").loc["A", "p_mean"] == pytest.approx(0.0025)
