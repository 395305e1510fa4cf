"""Metrics of predicted probabilities on hand-checkable samples."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.evaluate.metrics import (
    capture_top,
    classification_metrics,
    equal_frequency_bins,
    expected_calibration_error,
    slice_metrics,
)

Y = np.array([0, 0, 0, 1, 1])
P_PERFECT = np.array([0.1, 0.2, 0.3, 0.8, 0.9])


def test_perfect_ranking_gives_auc_and_ks_one() -> None:
    metrics = classification_metrics(Y, P_PERFECT)
    assert metrics["auc"] == 1.0
    assert metrics["gini"] == 1.0
    assert metrics["ks"] == 1.0
    assert metrics["pr_auc"] == 1.0
    assert metrics["base_rate"] == pytest.approx(0.4)
    assert metrics["n"] == 5


def test_reversed_ranking_gives_auc_zero() -> None:
    metrics = classification_metrics(Y, 1 - P_PERFECT)
    assert metrics["auc"] == 0.0
    assert metrics["gini"] == -1.0


def test_constant_probability_gives_auc_half() -> None:
    metrics = classification_metrics(Y, np.full(5, 0.4))
    assert metrics["auc"] == 0.5
    assert metrics["ks"] == 0.0
    # a constant p equal to the base rate is perfectly calibrated on average
    assert metrics["ece"] == pytest.approx(0.0)


def test_brier_and_log_loss_of_exact_labels() -> None:
    metrics = classification_metrics(Y, Y.astype(float))
    assert metrics["brier"] == 0.0
    assert metrics["log_loss"] == pytest.approx(0.0, abs=1e-12)


def test_brier_by_hand() -> None:
    # (0.5^2 + 0.5^2) / 2
    assert classification_metrics([0, 1], [0.5, 0.5])["brier"] == pytest.approx(0.25)


def test_log_loss_is_finite_for_confident_mistakes() -> None:
    metrics = classification_metrics([0, 1], [1.0, 0.0])
    assert math.isfinite(metrics["log_loss"])
    assert metrics["log_loss"] > 30


def test_one_class_gives_nan_discrimination_without_error() -> None:
    metrics = classification_metrics(np.zeros(4), np.array([0.1, 0.2, 0.3, 0.4]))
    for key in ("auc", "gini", "ks", "pr_auc"):
        assert math.isnan(metrics[key])
    assert metrics["brier"] == pytest.approx((0.01 + 0.04 + 0.09 + 0.16) / 4)


@pytest.mark.parametrize(
    ("y", "p", "message"),
    [
        ([0, 1], [0.5], "differ in length"),
        ([0, 1], [0.5, 1.2], r"\[0, 1\]"),
        ([0, 1], [-0.1, 0.5], r"\[0, 1\]"),
        ([0, 1], [np.nan, 0.5], "NaN"),
        ([0, 2], [0.5, 0.5], "0/1"),
        ([], [], "empty"),
    ],
)
def test_invalid_inputs_raise_value_error(y: list, p: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        classification_metrics(np.array(y), np.array(p))


def test_ece_of_calibrated_and_shifted_samples() -> None:
    rng = np.random.default_rng(42)
    p = rng.uniform(size=200_000)
    y = rng.binomial(1, p)
    assert expected_calibration_error(y, p) < 0.01
    assert expected_calibration_error(y, np.clip(p + 0.1, 0, 1)) > 0.08


def test_ece_by_hand() -> None:
    # two bins of 2 rows: |0.1 - 0| and |0.9 - 0.5|, each weighted 1/2
    y, p = np.array([0, 0, 0, 1]), np.array([0.1, 0.1, 0.9, 0.9])
    assert expected_calibration_error(y, p, bins=2) == pytest.approx(0.25)


def test_equal_frequency_bins_keep_ties_together() -> None:
    assert equal_frequency_bins(np.array([0.2, 0.2, 0.2])).tolist() == [0, 0, 0]
    bins = equal_frequency_bins(np.arange(10) / 10, bins=5)
    assert bins.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_capture_top_by_hand() -> None:
    # 10 rows, top 20% = rows 0 and 1 (highest p); late rows are 0, 2 and 5
    y = np.array([1, 0, 1, 0, 0, 1, 0, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    amounts = np.array([100.0, 50, 300, 10, 10, 600, 10, 10, 10, 10])
    capture = capture_top(y, p, amounts, share=0.2)
    assert capture["n_top"] == 2
    assert capture["late_captured"] == pytest.approx(1 / 3)
    assert capture["amount_captured"] == pytest.approx(100 / 1000)
    assert capture["lift"] == pytest.approx(0.5 / 0.3)


def test_capture_without_amounts_or_late_rows() -> None:
    assert math.isnan(capture_top([0, 1], [0.2, 0.9])["amount_captured"])
    capture = capture_top([0, 0], [0.2, 0.9], [1.0, 2.0], share=0.5)
    assert math.isnan(capture["late_captured"])
    assert math.isnan(capture["amount_captured"])


@pytest.mark.parametrize(
    ("amounts", "share", "message"),
    [([1.0], 0.5, "amounts has 1"), ([1.0, -1.0], 0.5, ">= 0"), ([1.0, 1.0], 0.0, "share")],
)
def test_capture_invalid_inputs(amounts: list, share: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        capture_top(np.array([0, 1]), np.array([0.1, 0.9]), np.array(amounts), share=share)


def test_slice_metrics_groups_and_pools_small_ones() -> None:
    y = np.array([0, 1, 0, 1, 0, 0, 1])
    p = np.array([0.1, 0.9, 0.2, 0.8, 0.3, 0.4, 0.6])
    groups = pd.Series(["F", "F", "F", "F", "G", "G", None], index=range(10, 17))
    table = slice_metrics(y, p, groups, min_rows=2)
    assert table["group"].tolist() == ["F", "G", "(other)"]
    first = table.iloc[0]
    assert (first["n"], first["late"], first["late_rate"], first["auc"]) == (4, 2, 0.5, 1.0)
    assert first["p_mean"] == pytest.approx(0.5)
    assert math.isnan(table.iloc[1]["auc"])  # G has no late row


def test_slice_metrics_length_mismatch() -> None:
    with pytest.raises(ValueError, match="groups has 1"):
        slice_metrics(np.array([0, 1]), np.array([0.1, 0.9]), pd.Series(["a"]))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 1), st.floats(0, 1, allow_nan=False)), min_size=1, max_size=60
    )
)
def test_metrics_stay_in_range(rows: list[tuple[int, float]]) -> None:
    y, p = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
    metrics = classification_metrics(y, p)
    assert 0 <= metrics["brier"] <= 1
    assert 0 <= metrics["ece"] <= 1
    if not math.isnan(metrics["auc"]):
        assert 0 <= metrics["auc"] <= 1
        assert 0 <= metrics["ks"] <= 1
    capture = capture_top(y, p, share=0.5)
    assert math.isnan(capture["late_captured"]) or 0 <= capture["late_captured"] <= 1
