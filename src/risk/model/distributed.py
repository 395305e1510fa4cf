"""Training on a Dask cluster (``risk train --engine dask``): features and LightGBM fit.

**Features.** The ledger is split into customer chunks (the batch engine's partitioning,
:func:`risk.batch.partition.iter_chunks`); each worker builds the labelled frame of its chunks
with the one-process function (:func:`risk.model.dataset.labelled_frame`), given the whole
ledger's cut-off and snapshot dates, so the concatenated frames are the whole ledger's frame
(features only read a customer's own rows). The driver assembles them in the same order.

**Fit.** The training rows are split into one partition per worker, rows of a customer together
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import dask.dataframe as dd
import lightgbm as lgb
import numpy as np
import pandas as pd
from distributed import Client

from risk.batch.partition import iter_chunks, n_chunks_for
from risk.cluster import DaskEngineError, dask_client
from risk.errors import RiskError
from risk.features import FeatureConfig, default_cutoff, snapshot_dates
from risk.features.frames import Progress, _noop
from risk.labels import customer_label_maturity_days
from risk.ledger import Ledger
from risk.materiality import DefaultDefinition
from risk.model.dataset import Level, TrainingData, assemble, labelled_frame, training_data
from risk.model.lgbm import (
    LightGBMConfig,
    best_iteration,
    lgb_params,
    train_lightgbm,
    validation_curve,
)

logger = logging.getLogger(__name__)

Engine = Literal["pandas", "dask"]


class TrainingEngineError(RiskError):
    """The training data cannot be fitted on the chosen engine."""


#: Fits the booster of one level with the signature of :func:`risk.model.lgbm.train_lightgbm`:
#: that function itself, or :func:`train_lightgbm_dask` bound to a client.
Trainer = Callable[..., lgb.Booster]


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


def training_data_on_cluster(
    client: Client,
    ledger: Ledger,
    level: Level,
    config: FeatureConfig,
    chunk_customers: int = 5000,
    progress: Progress = _noop,
    definition: DefaultDefinition | None = None,
) -> TrainingData:
    """:func:`risk.model.dataset.training_data`, with the features built on the cluster.

    Raises:
        DaskEngineError: a chunk failed on a worker.
    """
    cutoff = default_cutoff(ledger)
    days = customer_label_maturity_days(config) if level == "customer" else config.horizon_days
    dates = (
        snapshot_dates(ledger, config, cutoff - pd.Timedelta(days=days))
        if level in ("customer", "default")
        else None
    )
    n_chunks = n_chunks_for(len(ledger.customers), chunk_customers)
    progress("features (Dask)")
    # a chunk without invoices has no training row (a customer enters at its first invoice)
    chunks = [c for c in iter_chunks(ledger, n_chunks) if len(c.ledger.invoices)]
    if not chunks:  # nothing to distribute: the one-process path says what is wrong
        return training_data(ledger, level, config, cutoff, progress, definition)
    futures = [
        client.submit(
            labelled_frame,
            client.scatter(chunk.ledger),
            level,
            config,
            cutoff,
            dates,
            definition=definition,
        )
        for chunk in chunks
    ]
    try:
        frames = client.gather(futures)
    except Exception as exc:  # a worker-side failure, re-raised with its context
        raise DaskEngineError(
            f"building the {level} training frame failed on a worker: {exc}"
        ) from exc
    frame = pd.concat(frames, ignore_index=True)
    return assemble(frame, level, config, cutoff, ledger)


@dataclass(frozen=True)
class TrainingEngine:
    """Where training data is built and the booster fitted: this process or a Dask cluster."""

    name: Engine
    trainer: Trainer
    #: (ledger, level, features, progress, definition of the default event) -> data
    build: Callable[
        [Ledger, Level, FeatureConfig, Progress, DefaultDefinition | None], TrainingData
    ]


def _local_build(
    ledger: Ledger,
    level: Level,
    config: FeatureConfig,
    progress: Progress,
    definition: DefaultDefinition | None = None,
) -> TrainingData:
    return training_data(ledger, level, config, progress=progress, definition=definition)


@contextmanager
def training_engine(
    engine: Engine = "pandas", scheduler: str | None = None
) -> Iterator[TrainingEngine]:
    """The training engine; for Dask, connected to the cluster for the ``with`` block.

    Raises:
        DaskEngineError: the scheduler does not answer.
    """
    if engine == "pandas":
        yield TrainingEngine("pandas", train_lightgbm, _local_build)
        return
    with dask_client(scheduler) as client:

        def build(
            ledger: Ledger,
            level: Level,
            config: FeatureConfig,
            progress: Progress,
            definition: DefaultDefinition | None = None,
        ) -> TrainingData:
            return training_data_on_cluster(
                client, ledger, level, config, progress=progress, definition=definition
            )

        yield TrainingEngine("dask", functools.partial(train_lightgbm_dask, client), build)
