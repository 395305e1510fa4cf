"""The payment-timing model is refitted on the training and validation rows, with the rounds
chosen on validation, before it scores (as the invoice and customer models are); the
out-of-time assessment dates stay out of it."""

from __future__ import annotations

from dataclasses import replace

import lightgbm as lgb
import pandas as pd
import pytest
from tests.timing.conftest import FIT40
from tests.timing.test_hazard_fit import frame_lost_fit

from risk.ledger import Ledger
from risk.model.bundle import RiskModel
from risk.model.calibration import Calibrator
from risk.synth import Portfolio
from risk.timing.hazard import (
    IDENTITY,
    LOST_MODEL,
    blank_model,
    fit_hazard,
    fit_lost_share,
    fit_params,
    outcomes,
    refit_timing,
    training_pairs,
)
from risk.timing.train import TimingWindows, fit_timing, timing_windows

#: ``windows_rows``'s settings with room for early stopping to choose the rounds
FAST = replace(
    FIT40,
    hazard=replace(FIT40.hazard, lightgbm=replace(FIT40.hazard.lightgbm, num_boost_round=400)),
)


@pytest.fixture(scope="module")
def selected_and_refitted(
    windows_rows: tuple[TimingWindows, pd.DataFrame, pd.DataFrame],
) -> tuple[RiskModel, RiskModel]:
    windows, train, valid = windows_rows
    args = (train, windows.train_end, valid, windows.valid_end)
    selected = fit_hazard(*args, FAST.features, FAST.hazard)
    fit_lost_share(selected, *args, FAST.features, FAST.hazard)
    rows = pd.concat([train, valid])
    refitted = refit_timing(selected, rows, windows.valid_end, FAST.features, FAST.hazard)
    return selected, refitted


def test_the_refit_is_lightgbm_on_training_and_validation_pairs_with_the_chosen_rounds(
    selected_and_refitted: tuple[RiskModel, RiskModel],
    windows_rows: tuple[TimingWindows, pd.DataFrame, pd.DataFrame],
) -> None:
    selected, refitted = selected_and_refitted
    windows, train, valid = windows_rows
    rows = pd.concat([train, valid])
    rounds = int(selected.metadata["best_iteration"])
    assert 1 < rounds < FAST.hazard.lightgbm.num_boost_round  # early stopping chose them
    # the expected booster, built independently: the pair frame of every row (training and
    # validation) with its outcome censored at the validation window's end, `rounds` trees
    shell = blank_model(rows, FAST.features)
    X, y, w = training_pairs(shell, rows, windows.valid_end, FAST.hazard.weeks)  # noqa: N806
    params = fit_params(shell, FAST.features, FAST.hazard.lightgbm, FAST.hazard.seed)
    expected = lgb.train(params, lgb.Dataset(X, label=y, weight=w), num_boost_round=rounds)
    assert refitted.booster.num_trees() == rounds
    assert refitted.booster.model_to_string() == expected.model_to_string()
    # the validation rows are in it, and a training row's payment between the two window ends
    # is known now: more pairs than the training rows censored at the training window's end
    _, y_train_only, _ = training_pairs(shell, train, windows.train_end, FAST.hazard.weeks)
    _, y_train_now, _ = training_pairs(shell, train, windows.valid_end, FAST.hazard.weeks)
    _, y_valid, _ = training_pairs(shell, valid, windows.valid_end, FAST.hazard.weeks)
    assert len(y_valid) > 0 and len(y_train_now) > len(y_train_only)
    assert refitted.metadata["pairs_refit"] == len(y) == len(y_train_now) + len(y_valid)
    assert refitted.metadata["pairs_train"] == len(y_train_only)


def test_the_refit_carries_the_out_of_time_calibration_over_or_none(
    selected_and_refitted: tuple[RiskModel, RiskModel],
    windows_rows: tuple[TimingWindows, pd.DataFrame, pd.DataFrame],
) -> None:
    selected, refitted = selected_and_refitted
    windows, train, valid = windows_rows
    assert FAST.hazard.refit_calibration == "out_of_time"
    assert refitted.calibrator == Calibrator.from_dict(selected.calibrator.to_dict())
    assert refitted.metadata["calibration_out_of_time"] == selected.calibrator.to_dict()
    # the other choice: LightGBM's own probability, the same booster
    hazard = replace(FAST.hazard, refit_calibration="identity")
    rows = pd.concat([train, valid])
    other = refit_timing(selected, rows, windows.valid_end, FAST.features, hazard)
    assert other.calibrator == IDENTITY
    assert other.booster.model_to_string() == refitted.booster.model_to_string()


def test_the_lost_share_is_refitted_on_both_windows_with_its_chosen_rounds(
    selected_and_refitted: tuple[RiskModel, RiskModel],
    windows_rows: tuple[TimingWindows, pd.DataFrame, pd.DataFrame],
) -> None:
    selected, refitted = selected_and_refitted
    windows, train, valid = windows_rows
    rows = pd.concat([train, valid])
    assert selected.metadata.get(LOST_MODEL) and refitted.metadata.get(LOST_MODEL)
    assert refitted.metadata["lost_exits_refit"] > selected.metadata["lost_exits_train"]
    # the same as the frame fit with the rounds early stopping chose, on every row's exits
    rounds = int(selected.metadata["lost_rounds"])
    shell = replace(refitted, metadata={})
    expected = frame_lost_fit(
        shell, rows, windows.valid_end, rows.iloc[:0], windows.valid_end,
        FAST.hazard, rounds=rounds,
    )  # fmt: skip
    assert refitted.metadata[LOST_MODEL] == expected
    _, lost = outcomes(refitted, valid.head(50))
    assert ((lost >= 0) & (lost <= 1)).all()


def _moved_after(ledger: Ledger, day: pd.Timestamp, days: int) -> Ledger:
    """The ledger with every invoice settled on or after ``day`` settled ``days`` later."""
    invoices = ledger.invoices.copy()
    late = invoices["paid_on"] >= day
    invoices.loc[late, "paid_on"] = invoices.loc[late, "paid_on"] + pd.Timedelta(days=days)
    payments = ledger.payments
    if payments is not None:
        payments = payments.copy()
        moved = payments["paid_on"] >= day
        payments.loc[moved, "paid_on"] = payments.loc[moved, "paid_on"] + pd.Timedelta(days=days)
    return replace(ledger, invoices=invoices, payments=payments)


def test_fit_timing_refits_when_asked_and_never_reads_the_assessment_window(
    small_portfolio: Portfolio,
) -> None:
    ledger = small_portfolio.ledger
    windows = timing_windows(ledger, FAST)
    assert not FIT40.hazard.refit  # off by default (it measured worse, docs/benchmarks.md)
    refit = replace(FAST, hazard=replace(FAST.hazard, refit=True))
    model = fit_timing(ledger, refit, windows)
    assert model.metadata["refit"] and model.metadata["pairs_refit"] > model.metadata["pairs_train"]
    assert model.booster.num_trees() == model.metadata["best_iteration"]
    # payments dated on or after the validation window's end (the assessment's dates and
    # outcomes) moved by 45 days: the very same model
    moved = fit_timing(_moved_after(ledger, windows.valid_end, 45), refit, windows)
    assert moved.booster.model_to_string() == model.booster.model_to_string()
    assert moved.metadata[LOST_MODEL] == model.metadata[LOST_MODEL]
    without = fit_timing(ledger, FAST, windows)
    assert "refit" not in without.metadata
    assert without.booster.model_to_string() != model.booster.model_to_string()
