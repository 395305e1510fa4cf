"""Optuna tuning of LightGBM with time-ordered cross-validation, each trial an MLflow child run."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import optuna
import pandas as pd
from sklearn.metrics import log_loss

from risk.model.lgbm import DEFAULT_PARAMS, LightGBMConfig, raw_score, train_lightgbm

logger = logging.getLogger(__name__)

TrialCallback = Callable[[int, dict[str, Any], float], None]


def suggest_params(trial: optuna.Trial) -> dict[str, Any]:
    """The search space: tree size, learning rate, regularisation, sampling."""
    return {
        **DEFAULT_PARAMS,
        "learning_rate": trial.suggest_float("learning_rate", 0.02, 0.2, log=True),
        "num_leaves": trial.suggest_int("num_leaves", 7, 63, log=True),
        "min_data_in_leaf": trial.suggest_int("min_data_in_leaf", 20, 400, log=True),
        "feature_fraction": trial.suggest_float("feature_fraction", 0.5, 1.0),
        "bagging_fraction": trial.suggest_float("bagging_fraction", 0.5, 1.0),
        "lambda_l2": trial.suggest_float("lambda_l2", 1e-3, 30.0, log=True),
    }


def cross_validated_log_loss(
    X: pd.DataFrame,  # noqa: N803
    y: np.ndarray,
    folds: list[tuple[np.ndarray, np.ndarray]],
    params: dict[str, Any],
    monotone: list[int],
    seed: int,
) -> float:
    """Mean log loss over time-ordered folds (each fold fits on its past only)."""
    losses = []
    config = LightGBMConfig(params=params, num_boost_round=500, early_stopping_rounds=30)
    for fit, check in folds:
        booster = train_lightgbm(
            X[fit], y[fit], X[check], y[check], monotone=monotone, seed=seed, config=config
        )
        p = 1.0 / (1.0 + np.exp(-raw_score(booster, X[check])))
        losses.append(log_loss(y[check], p, labels=[0, 1]))
    return float(np.mean(losses))


def tune(
    X: pd.DataFrame,  # noqa: N803
    y: np.ndarray,
    folds: list[tuple[np.ndarray, np.ndarray]],
    *,
    monotone: list[int],
    seed: int,
    n_trials: int,
    on_trial: TrialCallback | None = None,
) -> tuple[dict[str, Any], float]:
    """Search LightGBM parameters with a seeded TPE sampler; return the best params and loss."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(direction="minimize", sampler=sampler)

    def objective(trial: optuna.Trial) -> float:
        params = suggest_params(trial)
        loss = cross_validated_log_loss(X, y, folds, params, monotone, seed)
        if on_trial is not None:
            on_trial(trial.number, params, loss)
        return loss

    study.optimize(objective, n_trials=n_trials)
    best = {**DEFAULT_PARAMS, **study.best_params}
    logger.info("best of %d trials: log loss %.5f with %s", n_trials, study.best_value, best)
    return best, float(study.best_value)
