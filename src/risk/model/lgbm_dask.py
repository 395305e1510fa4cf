"""Distributed LightGBM training on a Dask cluster (``risk train --engine dask``).

The training rows are split into one partition per worker, rows of a customer together
(partitions drawn by a hash of the customer id, so each worker sees a sample of the whole
period rather than one stretch of time). ``lightgbm.dask`` fits one data-parallel model
across the workers with the same parameters as the one-process path
(:func:`risk.model.lgbm.lgb_params`, monotone constraints included).

``lightgbm.dask`` has no early stopping, so the cluster fits ``num_boost_round`` trees and the
driver then keeps the round LightGBM's early-stopping callback would have kept, from the
validation window's log loss after every round (:func:`risk.model.lgbm.best_iteration`).
Data-parallel histograms are summed across workers, so the model is equivalent to, but not
bit-identical with, the one-process model.
"""

from __future__ import annotations

import functools
import logging
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal, Protocol

import dask.dataframe as dd
import lightgbm as lgb
import numpy as np
import pandas as pd
from distributed import Client

from risk.cluster import DaskEngineError, dask_client
from risk.errors import RiskError
from risk.model.lgbm import (
    LightGBMConfig,
    best_iteration,
    lgb_params,
    train_lightgbm,
    validation_curve,
)

logger = logging.getLogger(__name__)

Engine = Literal["pandas", "dask"]
ENGINES: tuple[str, ...] = ("pandas", "dask")


class TrainingEngineError(RiskError):
    """The training data cannot be fitted on the chosen engine."""


class Trainer(Protocol):
    """Fits the booster of one level: :func:`risk.model.lgbm.train_lightgbm` or the Dask one."""

    def __call__(
        self,
        X_train: pd.DataFrame,  # noqa: N803
        y_train: np.ndarray,
        X_valid: pd.DataFrame | None,  # noqa: N803
        y_valid: np.ndarray | None,
        *,
        monotone: list[int],
        seed: int,
        config: LightGBMConfig | None = None,
        groups: np.ndarray | None = None,
    ) -> lgb.Booster: ...


def partition_of(groups: np.ndarray, n_partitions: int) -> np.ndarray:
    """Partition number of each row from its customer id (stable across runs and machines)."""
    codes, uniques = pd.factorize(pd.Series(groups).astype("object").map(str))
    buckets = np.array([zlib.crc32(u.encode()) % n_partitions for u in uniques], dtype=np.int64)
    return buckets[codes]


def _check_columns(X: pd.DataFrame) -> None:  # noqa: N803
    """LightGBM's distributed bin finding breaks on a categorical column with no value."""
    empty = [
        name
        for name in X.columns
        if isinstance(X[name].dtype, pd.CategoricalDtype) and X[name].notna().sum() == 0
    ]
    if empty:
        raise TrainingEngineError(
            f"categorical feature(s) {', '.join(empty)} have no value in the training window; "
            "LightGBM's distributed learner cannot bin them (train with --engine pandas)"
        )


def train_lightgbm_dask(
    client: Client,
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
    """Fit on the cluster behind ``client``; keep the early-stopping round on ``X_valid``.

    Args:
        client: a connected Dask client.
        groups: customer id of each training row (rows of a customer share a partition);
            default: rows are spread round-robin.

    Raises:
        TrainingEngineError: a categorical feature has no value at all.
        DaskEngineError: the fit failed on the cluster.
    """
    config = config or LightGBMConfig()
    _check_columns(X_train)
    workers = sorted(client.scheduler_info(n_workers=-1)["workers"])
    if not workers:
        raise DaskEngineError("the Dask cluster has no worker")
    n_parts = len(workers)
    keys = (
        partition_of(groups, n_parts) if groups is not None else np.arange(len(X_train)) % n_parts
    )
    order = np.argsort(keys, kind="stable")
    X = X_train.iloc[order].reset_index(drop=True)  # noqa: N806
    y = pd.Series(np.asarray(y_train)[order], name="label")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(keys, minlength=n_parts))])
    x_parts, y_parts = [], []
    for worker, a, b in zip(workers, bounds[:-1], bounds[1:], strict=True):
        if b > a:  # one partition per worker, placed on it: every worker takes part
            x_parts.append(client.scatter(X.iloc[a:b], workers=[worker]))
            y_parts.append(client.scatter(y.iloc[a:b], workers=[worker]))
    X_dask = dd.from_delayed(x_parts, meta=X.iloc[:0], verify_meta=False)  # noqa: N806
    y_dask = dd.from_delayed(y_parts, meta=y.iloc[:0], verify_meta=False)
    params: dict[str, Any] = lgb_params(config, monotone, seed)
    params.pop("num_threads")  # each worker uses its own threads
    model = lgb.DaskLGBMClassifier(client=client, n_estimators=config.num_boost_round, **params)
    try:
        with warnings.catch_warnings():  # the estimator's n_jobs=None default is not ours
            warnings.filterwarnings("ignore", message="Parameter n_jobs will be ignored")
            model.fit(X_dask, y_dask)
    except lgb.basic.LightGBMError as exc:
        raise DaskEngineError(f"distributed LightGBM fit failed: {exc}") from exc
    booster = model.booster_
    if X_valid is not None and y_valid is not None and len(X_valid):
        curve = validation_curve(booster, X_valid, y_valid)
        booster.best_iteration = best_iteration(curve, config.early_stopping_rounds)
    logger.info(
        "LightGBM on Dask (%d partitions): %d trees, best iteration %d",
        len(x_parts),
        booster.num_trees(),
        booster.best_iteration,
    )
    return booster


@contextmanager
def lightgbm_trainer(engine: Engine = "pandas", scheduler: str | None = None) -> Iterator[Trainer]:
    """The booster-fitting function of ``engine``; for Dask, connected for the ``with`` block.

    Raises:
        DaskEngineError: the scheduler does not answer.
    """
    if engine == "pandas":
        yield train_lightgbm
        return
    with dask_client(scheduler) as client:
        yield functools.partial(train_lightgbm_dask, client)
