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


#: Training rows below which a booster runs on one thread whatever ``num_threads`` says. The
#: trees are the same (``deterministic``), but a second OpenMP thread on a small fit mostly
#: spins waiting for the first: on the shared machine under a load average of 18, a 15,000-row
#: fit took 66 CPU-s on two threads and 1.75 CPU-s on one, same 241 trees (issue 19). The
#: fits of a 300-customer portfolio (early stopping, five calibration folds, the refit and the
#: volume baseline, each under 20,000 rows) all fall below it.
ONE_THREAD_BELOW_ROWS = 100_000


def fit_threads(config: LightGBMConfig, rows: int) -> int:
    """Threads of a booster fitted on ``rows`` training rows (see ``ONE_THREAD_BELOW_ROWS``)."""
    return 1 if rows < ONE_THREAD_BELOW_ROWS else config.num_threads


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
    groups: np.ndarray | None = None,
) -> lgb.Booster:
    """Train with early stopping on the validation window when one is given.

    ``groups`` (the customer of each row) only matters to the Dask trainer's partitioning
    (:func:`risk.model.distributed.train_lightgbm_dask`); one process ignores it.

    Categorical features must arrive as pandas ``category`` (LightGBM rejects ``str``).
    Below ``ONE_THREAD_BELOW_ROWS`` training rows the booster runs on one thread (same trees).
    """
    config = config or LightGBMConfig()
    params = lgb_params(config, monotone, seed) | {"num_threads": fit_threads(config, len(X_train))}
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


def numeric_matrix(X: pd.DataFrame) -> np.ndarray:  # noqa: N803
    """The float matrix LightGBM builds from a frame: category codes (missing -> NaN)."""
    columns = []
    for name in X.columns:
        column = X[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy().astype("float64")
            codes[codes < 0] = np.nan
            columns.append(codes)
        else:
            columns.append(column.to_numpy(dtype="float64", na_value=np.nan))
    return np.column_stack(columns) if columns else np.empty((len(X), 0))


def validation_curve(booster: lgb.Booster, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:  # noqa: N803
    """Binary log loss of ``X`` after each boosting round (what early stopping watches)."""
    matrix = numeric_matrix(X)
    raw = np.zeros(len(X))
    y = np.asarray(y, dtype="float64")
    losses = np.empty(booster.num_trees())
    for i in range(booster.num_trees()):
        raw += booster.predict(matrix, raw_score=True, start_iteration=i, num_iteration=1)
        # log(1 + exp(-z)) for positives, log(1 + exp(z)) for negatives, computed stably
        losses[i] = float(np.mean(np.logaddexp(0.0, np.where(y > 0, -raw, raw))))
    return losses


def best_iteration(losses: np.ndarray, patience: int) -> int:
    """The round (1-based) LightGBM's ``early_stopping(patience)`` callback would keep.

    Training stops once ``patience`` rounds pass without a strictly lower loss; the best round
    before that point is kept, later improvements are never seen.
    """
    best, best_at = np.inf, 0
    for i, loss in enumerate(losses):
        if loss < best:
            best, best_at = loss, i
        elif i - best_at >= patience:
            break
    return best_at + 1


def raw_score(booster: lgb.Booster, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
    """Raw margin (log-odds) of each row, at the best iteration."""
    iteration = booster.best_iteration or None
    return np.asarray(booster.predict(X, raw_score=True, num_iteration=iteration), dtype="float64")


def gain_importance(booster: lgb.Booster) -> dict[str, float]:
    """Total gain per feature."""
    gains = booster.feature_importance(importance_type="gain")
    return dict(zip(booster.feature_name(), map(float, gains), strict=True))
