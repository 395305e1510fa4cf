"""Windows a model validator accepts, on small and short ledgers (issues 16 and 19).

Early stopping and calibration never share a row; the final model is refitted on every row
matured before the out-of-time test with the rounds early stopping chose; windows come from the
data with minimum sizes; a horizon the history cannot hold is shortened with a note.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from risk.features import FeatureConfig
from risk.model.dataset import training_data
from risk.model.fit import FitConfig, fit_models
from risk.model.split import (
    TimeWindows,
    WindowError,
    WindowMinimum,
    check_windows,
    derive_windows,
    fit_horizon,
    split_masks,
    validation_halves,
)
from risk.synth import SampleConfig, generate_portfolio
from risk.train import TrainConfig, train


def test_long_horizon_moves_the_training_end_instead_of_emptying_validation() -> None:
    # 24 monthly snapshots of 10 customers, labels maturing 180 days later (customer level)
    dates = pd.date_range("2024-01-01", periods=24, freq="MS")
    as_of = pd.Series(np.repeat(dates, 10))
    matured = as_of + pd.Timedelta(days=180)
    cutoff = pd.Timestamp("2026-07-01")
    windows = derive_windows(as_of, matured, cutoff)
    masks = split_masks(as_of, matured, windows)
    # the test takes the last 20 % of the 240 matured rows; validation as many rows whose
    # label matured before the test started (>= 48 = 20 % of 240), not an empty window
    assert masks.test.sum() == 50  # the 5 snapshots from the 80 % quantile on
    assert masks.valid.sum() == 50
    assert (matured[masks.valid] <= windows.valid_end).all()
    assert masks.train.sum() > 0
    # the refit rows: every row matured by the end of validation, purged ones included
    assert masks.refit.sum() == ((as_of < windows.valid_end) & (matured <= windows.valid_end)).sum()
    assert masks.refit.sum() > masks.train.sum() + masks.valid.sum()
    assert not (masks.refit & masks.test).any()


def test_validation_halves_are_disjoint_and_ordered_in_time() -> None:
    as_of = pd.Series(pd.to_datetime(["2024-01-01"] * 3 + ["2024-02-01"] * 3 + ["2024-03-01"] * 4))
    valid = np.array([False] * 3 + [True] * 7)
    stop, calibrate = validation_halves(as_of, valid)
    assert stop.tolist() == [False] * 3 + [True] * 3 + [False] * 4
    assert calibrate.tolist() == [False] * 6 + [True] * 4
    one_day = pd.Series(pd.to_datetime(["2024-01-01"] * 4))
    stop, calibrate = validation_halves(one_day, np.ones(4, dtype=bool))
    assert stop.tolist() == [True, True, False, False] and (stop ^ calibrate).all()


def test_small_windows_are_refused_with_counts_and_remedies() -> None:
    as_of = pd.Series(pd.date_range("2024-01-01", periods=30, freq="D"))
    windows = TimeWindows(
        as_of[0], pd.Timestamp("2024-01-15"), pd.Timestamp("2024-01-22"), pd.Timestamp("2024-03-01")
    )
    masks = split_masks(as_of, as_of, windows)
    y = np.array([0, 1] * 15)
    with pytest.raises(WindowError) as refused:
        check_windows(masks, y, "customer", WindowMinimum(train_rows=20, train_events=2))
    message = str(refused.value)
    assert "customer model cannot be trained" in message
    assert "train has 14 rows (7 late), needs >= 20 (2 late)" in message
    assert "--horizon-days" in message
    check_windows(masks, y, "customer", WindowMinimum(14, 7, 7, 3, 7, 4))  # just enough


@pytest.mark.parametrize(
    ("years", "horizon", "expected"), [(3, 180, 180), (2, 180, 120), (1, 180, 60), (2, 90, 90)]
)
def test_horizon_is_kept_up_to_a_sixth_of_the_history(years, horizon, expected) -> None:
    first = pd.Timestamp("2024-01-01")
    cutoff = first + pd.DateOffset(years=years)
    kept, note = fit_horizon(first, cutoff, horizon)
    span = (cutoff - first).days
    assert kept == expected and kept <= max(30, span / 6)
    assert (note == "") == (kept == horizon)
    if note:
        assert f"from {horizon} to {kept} days" in note


@pytest.fixture(scope="module")
def short_portfolio():
    return generate_portfolio(SampleConfig(customers=150, years=2, seed=3))


def test_early_stopping_calibration_and_refit_use_separate_rows(short_portfolio) -> None:
    data = training_data(short_portfolio.ledger, "invoice", FeatureConfig())
    windows = derive_windows(data.as_of, data.matured_on, data.cutoff)
    masks = split_masks(data.as_of, data.matured_on, windows)
    fitted = fit_models(data, masks, windows, FitConfig(seed=1))
    stop, calibrate = validation_halves(data.as_of, masks.valid)
    assert fitted.rows == {
        "train": masks.train.sum(),
        "early stopping": stop.sum(),
        "calibration": calibrate.sum(),
        "refit": masks.refit.sum(),
    }
    assert not (stop & calibrate).any() and (stop | calibrate).sum() == masks.valid.sum()
    # the final booster holds exactly the rounds chosen on the early-stopping rows
    assert fitted.model.booster.num_trees() == fitted.rounds == fitted.model.metadata["rounds"]
    # a few hundred calibration events at most here: Platt scaling, by the size rule
    assert fitted.model.calibrator.method == "sigmoid" and "Platt" in fitted.calibration_reason
    kept = fit_models(data, masks, windows, FitConfig(seed=1, refit=False))
    assert kept.rows["refit"] == 0 and kept.rounds == fitted.rounds
    # a refitted model scores differently from the train-only one: it learned later labels
    test = data.frame[masks.test]
    assert not np.allclose(fitted.model.predict_proba(test), kept.model.predict_proba(test))


def test_a_two_year_ledger_trains_both_levels(short_portfolio, store, tmp_path: Path) -> None:
    customer = train(
        short_portfolio.ledger,
        TrainConfig(level="customer"),
        store,
        report_dir=tmp_path / "customer",
    )
    assert customer.run_id and any("horizon shortened from 180 to 120" in n for n in customer.notes)
    report = (tmp_path / "customer" / "report.md").read_text()
    assert "horizon shortened" in report and "second half of validation" in report
    invoice = train(short_portfolio.ledger, TrainConfig(), store, report_dir=tmp_path / "inv")
    assert invoice.notes == () and "refitted on" in (tmp_path / "inv" / "report.md").read_text()


def test_a_ledger_too_small_for_a_level_says_so(store) -> None:
    tiny = generate_portfolio(SampleConfig(customers=12, years=2, seed=3)).ledger
    with pytest.raises(WindowError, match="customer model cannot be trained on this ledger"):
        train(tiny, TrainConfig(level="customer"), store)


def test_calibration_rows_are_scored_by_boosters_that_never_saw_their_customer(
    short_portfolio,
) -> None:
    """Cross-fitted calibration (issue 19): each calibration row's raw score comes from a
    booster fitted like the refitted one (same rounds) on the refit rows of the other
    customers, about (k-1)/k of them, so its scores spread like the refitted model's."""
    from risk.model.fit import _customer_fold_scores, _FoldFit, _Inputs
    from risk.model.lgbm import LightGBMConfig, train_lightgbm

    data = training_data(short_portfolio.ledger, "invoice", FeatureConfig())
    windows = derive_windows(data.as_of, data.matured_on, data.cutoff)
    masks = split_masks(data.as_of, data.matured_on, windows)
    _, calibrate = validation_halves(data.as_of, masks.valid)
    fits: list[set[str]] = []
    fit_rows: list[int] = []

    def recording_trainer(*args, groups, **kwargs):  # the real fit, its customers noted
        fits.append({str(g) for g in groups})
        fit_rows.append(len(groups))
        return train_lightgbm(*args, **kwargs)

    fitted = fit_models(data, masks, windows, FitConfig(seed=1))
    lgb = LightGBMConfig(num_boost_round=fitted.rounds)
    monotone = [0] * len(fitted.model.features)
    categories = fitted.model.categories
    inputs = _Inputs.prepare(data, masks.train | masks.valid | masks.refit, categories)
    fold_fit = _FoldFit(
        data, inputs, categories, monotone, FitConfig(seed=1), lgb, recording_trainer
    )
    scores = _customer_fold_scores(fold_fit, masks.refit, calibrate, 5)
    assert scores.shape == (calibrate.sum(),) and np.isfinite(scores).all()
    assert len(fits) == 5
    customers = data.frame["customer_id"].astype(str).to_numpy()
    refit_customers = set(customers[masks.refit])
    scored = set(customers[calibrate])
    for seen, rows in zip(fits, fit_rows, strict=True):
        assert seen < refit_customers
        assert 0.7 < rows / masks.refit.sum() < 0.9  # four folds of five (balanced by rows)
    # every calibration customer is left out of at least one fit: the one that scored it
    assert all(any(c not in seen for seen in fits) for c in scored)
    assert "customer-fold boosters" in fitted.calibration_reason


def test_inputs_prepared_once_are_what_each_fold_model_would_prepare(short_portfolio) -> None:
    """The fit prepares the training rows once and adds each model's sector rate
    (``_Inputs``): every booster of a fit (early stopping, calibration folds, refit) must get
    exactly the frame ``RiskModel.prepare`` makes of its rows, or cross-fitting would no longer
    score the calibration rows as the refitted model would."""
    from sklearn.model_selection import GroupKFold

    from risk.model.fit import _categories, _Inputs, _shell

    data = training_data(short_portfolio.ledger, "invoice", FeatureConfig())
    windows = derive_windows(data.as_of, data.matured_on, data.cutoff)
    masks = split_masks(data.as_of, data.matured_on, windows)
    stop, calibrate = validation_halves(data.as_of, masks.valid)
    categories = _categories(data, masks.refit)
    inputs = _Inputs.prepare(data, masks.train | masks.valid | masks.refit, categories)
    customers = data.frame["customer_id"].astype(str).to_numpy()
    rows = np.flatnonzero(masks.refit)
    folds = []
    for kept, _ in GroupKFold(3).split(rows, groups=customers[rows]):
        fold = np.zeros(len(customers), dtype=bool)
        fold[rows[kept]] = True
        folds.append(fold)
    for fit in [masks.train, masks.refit, *folds]:
        model = _shell(data, fit, 20.0, categories)
        assert model.sector is not None  # the sector rate is the part that varies
        for scored in (fit, stop, calibrate):
            pd.testing.assert_frame_equal(
                inputs.of(model, scored), model.prepare(data.frame[scored])
            )
    with pytest.raises(ValueError, match="outside the prepared rows"):
        inputs.of(model, masks.test)
