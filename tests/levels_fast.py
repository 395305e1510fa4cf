"""A training configuration for fixtures whose tests use trained champions but do not assert the
models' quality nor their calibration (scoring, serving, pages, batch runs, worklists)."""

from __future__ import annotations

from risk.model.fit import FitConfig
from risk.model.lgbm import LightGBMConfig
from risk.train import TrainConfig


def fast_levels(rounds: int = 100) -> TrainConfig:
    """The default training through the same code path (early stopping, cross-fitted
    calibration, refit, baselines, gate, registry) with at most ``rounds`` trees, early stopping
    after 20 idle rounds, and 2 customer folds for the calibration scores instead of 5."""
    lightgbm = LightGBMConfig(num_boost_round=rounds, early_stopping_rounds=20)
    return TrainConfig(fit=FitConfig(lightgbm=lightgbm, calibration_folds=2))
