"""LightGBM binary model with monotone constraints from the feature registry."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

DEFAULT_PARAMS: dict[str, Any] = {
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_cat_to_onehot": 8,
    "cat_smooth": 20.0,
}


@dataclass(frozen=True)
class LightGBMConfig:
    """Hyper-parameters and training controls.

    Attributes:
        params: LightGBM parameters on top of the fixed ones (objective, seed, determinism).
        num_boost_round: maximum number of trees.
        early_stopping_rounds: stop when the validation log loss has not improved for this long.
        num_threads: threads used (2 cores on the reference machine).
    """

    params: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_PARAMS))
    num_boost_round: int = 1000
    early_stopping_rounds: int = 50
    num_threads: int = 2


def lgb_params(config: LightGBMConfig, monotone: list[int], seed: int) -> dict[str, Any]:
    """Full parameter dict: fixed objective, seeds and determinism, monotone constraints."""
    return {
        **config.params,
        "objective": "binary",
        "metric": "binary_logloss",
        "seed": seed,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": config.num_threads,
        "verbosity": -1,
        "monotone_constraints": monotone,
        "monotone_constraints_method": "intermediate",
    }


def train_lightgbm(
    X_train: pd.DataFrame,  # noqa: N803
    y_train: np.ndarray,
    X_valid: pd.DataFrame | None,  # noqa: N803
    y_valid: np.ndarray | None,
    *,
    monotone: list[int],
    seed: int,
    config: LightGBMConfig | None = None,
) -> lgb.Booster:
    """Train with early stopping on the validation window when one is given.

    Categorical features must arrive as pandas ``category`` (LightGBM rejects ``str``).
    """
    config = config or LightGBMConfig()
    params = lgb_params(config, monotone, seed)
    train_set = lgb.Dataset(X_train, label=y_train, free_raw_data=False)
    callbacks = [lgb.log_evaluation(period=0)]
    valid_sets = []
    if X_valid is not None and y_valid is not None and len(X_valid):
        valid_sets = [lgb.Dataset(X_valid, label=y_valid, reference=train_set)]
        callbacks.append(lgb.early_stopping(config.early_stopping_rounds, verbose=False))
    booster = lgb.train(
        params,
        train_set,
        num_boost_round=config.num_boost_round,
        valid_sets=valid_sets,
        callbacks=callbacks,
    )
    logger.info(
        "LightGBM: %d trees (best iteration %d)", booster.num_trees(), booster.best_iteration
    )
    return booster


def raw_score(booster: lgb.Booster, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
    """Raw margin (log-odds) of each row, at the best iteration."""
    iteration = booster.best_iteration or None
    return np.asarray(booster.predict(X, raw_score=True, num_iteration=iteration), dtype="float64")


def gain_importance(booster: lgb.Booster) -> dict[str, float]:
    """Total gain per feature."""
    gains = booster.feature_importance(importance_type="gain")
    return dict(zip(booster.feature_name(), map(float, gains), strict=True))
