"""Distributed training (``risk train --engine dask``) on a loopback LocalCluster with two
worker processes, and the early-stopping rule the driver applies to the cluster's trees."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path

import lightgbm as lgb
import mlflow
import numpy as np
import pandas as pd
import pytest
from distributed import Client
from sklearn.metrics import log_loss, roc_auc_score
from typer.testing import CliRunner

from risk import registry
from risk.cli import app
from risk.cluster import dask_client
from risk.features import FeatureConfig
from risk.features.registry import monotone_constraints
from risk.ledger import subset_ledger
from risk.model.dataset import training_data
from risk.model.distributed import (
    TrainingEngineError,
    partition_of,
    train_lightgbm_dask,
    training_data_on_cluster,
)
from risk.model.fit import FitConfig, fit_models
from risk.model.lgbm import (
    LightGBMConfig,
    best_iteration,
    numeric_matrix,
    train_lightgbm,
    validation_curve,
)
from risk.train import TrainConfig, train


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with dask_client() as connected:
        yield connected


@pytest.fixture(scope="module")
def inputs(fitted, invoice_data, windows_and_masks) -> dict[str, object]:
    """Prepared train / valid / test inputs of the shared invoice model."""
    _, masks = windows_and_masks
    prepare = fitted.model.prepare
    return {
        "train": (prepare(invoice_data.frame[masks.train]), invoice_data.y[masks.train]),
        "valid": (prepare(invoice_data.frame[masks.valid]), invoice_data.y[masks.valid]),
        "test": (prepare(invoice_data.frame[masks.test]), invoice_data.y[masks.test]),
        "groups": invoice_data.frame.loc[masks.train, "customer_id"].to_numpy(),
        "monotone": monotone_constraints(fitted.model.features),
    }


@pytest.mark.parametrize("patience", [3, 10, 50])
def test_best_iteration_is_the_round_lightgbm_early_stopping_keeps(inputs, patience) -> None:
    (X_train, y_train), (X_valid, y_valid) = inputs["train"], inputs["valid"]  # noqa: N806
    config = LightGBMConfig(num_boost_round=300, early_stopping_rounds=patience)
    stopped = train_lightgbm(
        X_train, y_train, X_valid, y_valid, monotone=inputs["monotone"], seed=3, config=config
    )
    full = train_lightgbm(
        X_train, y_train, None, None, monotone=inputs["monotone"], seed=3, config=config
    )
    assert full.num_trees() == 300
    curve = validation_curve(full, X_valid, y_valid)
    assert best_iteration(curve, patience) == stopped.best_iteration
    last = full.predict(X_valid, raw_score=True)
    assert curve[-1] == pytest.approx(log_loss(y_valid, 1 / (1 + np.exp(-last))), rel=1e-9)


def test_best_iteration_rule_on_hand_made_curves() -> None:
    assert best_iteration(np.array([0.5, 0.4, 0.3]), patience=2) == 3
    # round 2 is best; two rounds without improvement stop before the late dip at round 6
    assert best_iteration(np.array([0.5, 0.4, 0.41, 0.42, 0.43, 0.1]), patience=2) == 2
    assert best_iteration(np.array([0.5, 0.5, 0.5]), patience=5) == 1  # ties do not improve


def test_numeric_matrix_is_what_lightgbm_predicts_from(fitted, inputs) -> None:
    X_test, _ = inputs["test"]  # noqa: N806
    booster = fitted.model.booster
    np.testing.assert_allclose(
        booster.predict(numeric_matrix(X_test), raw_score=True),
        booster.predict(X_test, raw_score=True),
    )


def test_partitions_keep_a_customer_together_and_use_every_worker() -> None:
    customers = np.array([f"C{i % 37:03d}" for i in range(1000)])
    parts = partition_of(customers, 2)
    assert pd.Series(parts).groupby(customers).nunique().max() == 1
    assert set(parts) == {0, 1}
    np.testing.assert_array_equal(parts, partition_of(customers.copy(), 2))  # stable


def test_dask_fit_uses_both_workers_respects_constraints_and_matches_one_process(
    client, fitted, inputs
) -> None:
    (X_train, y_train), (X_valid, y_valid) = inputs["train"], inputs["valid"]  # noqa: N806
    X_test, y_test = inputs["test"]  # noqa: N806
    config = LightGBMConfig(num_boost_round=300, early_stopping_rounds=30)
    booster = train_lightgbm_dask(
        client,
        X_train,
        y_train,
        X_valid,
        y_valid,
        monotone=inputs["monotone"],
        seed=42,
        config=config,
        groups=inputs["groups"],
    )
    assert int(booster.params["num_machines"]) == 2
    assert 1 <= booster.best_iteration <= booster.num_trees() == 300
    local = train_lightgbm(
        X_train, y_train, X_valid, y_valid, monotone=inputs["monotone"], seed=42, config=config
    )

    def auc(model: lgb.Booster) -> float:
        scores = model.predict(X_test, raw_score=True, num_iteration=model.best_iteration)
        return float(roc_auc_score(y_test, scores))

    assert auc(booster) > 0.6
    assert abs(auc(booster) - auc(local)) < 0.03
    names = list(X_test.columns)
    directions = dict(zip(names, monotone_constraints(names), strict=True))
    rows = X_test.head(200)
    base = booster.predict(rows, raw_score=True)
    for name, sign in directions.items():
        if not sign or name not in rows:
            continue
        moved = rows.copy()
        moved[name] = moved[name] + sign * (moved[name].abs() + 10.0)
        assert (booster.predict(moved, raw_score=True) >= base - 1e-9).all(), name


def test_a_categorical_feature_without_values_is_refused_by_name(client, inputs) -> None:
    (X_train, y_train) = inputs["train"]  # noqa: N806
    empty = X_train.assign(
        invoice_channel=pd.Categorical([None] * len(X_train), categories=["paper", "electronic"])
    )
    with pytest.raises(TrainingEngineError, match="invoice_channel"):
        train_lightgbm_dask(client, empty, y_train, None, None, monotone=inputs["monotone"], seed=1)


def test_fit_models_with_the_dask_trainer_calibrates_on_validation(
    client, invoice_data, windows_and_masks
) -> None:
    windows, masks = windows_and_masks
    fitted = fit_models(
        invoice_data,
        masks,
        windows,
        FitConfig(lightgbm=LightGBMConfig(num_boost_round=200)),
        trainer=partial(train_lightgbm_dask, client),
    )
    p = fitted.model.predict_proba(invoice_data.frame[masks.test])
    y = invoice_data.y[masks.test]
    assert abs(p.mean() - y.mean()) < 0.05  # calibrated on the validation window
    assert roc_auc_score(y, p) > 0.6


def test_train_on_dask_registers_a_version_stamped_with_its_engine(
    client, portfolio, store
) -> None:
    config = TrainConfig(engine="dask", scheduler=client.scheduler.address)
    config = replace(config, fit=replace(config.fit, lightgbm=LightGBMConfig(num_boost_round=200)))
    result = train(portfolio.ledger, config, store)
    run = mlflow.get_run(result.run_id)
    assert run.data.params["engine"] == "dask"
    model = registry.load_model(store, "invoice", version=result.version)
    assert model.metadata["engine"] == "dask"
    assert model.booster.num_trees() >= 1
    assert result.metrics["auc"] > 0.6


def test_cli_train_on_an_unreachable_scheduler_exits_with_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "train",
            "--ledger",
            "data/sample",
            "--engine",
            "dask",
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--tracking-uri",
            f"sqlite:///{tmp_path}/mlflow.db",
            "--report-dir",
            str(tmp_path / "report"),
        ],
    )
    assert result.exit_code == 2
    assert "does not answer" in result.output


@pytest.mark.parametrize("level", ["invoice", "customer"])
def test_training_data_built_on_the_cluster_is_the_one_process_data(
    client, portfolio, level
) -> None:
    """Chunks of 60 customers built on two workers give exactly the whole ledger's rows."""
    config = FeatureConfig()
    local = training_data(portfolio.ledger, level, config)
    remote = training_data_on_cluster(client, portfolio.ledger, level, config, chunk_customers=60)
    pd.testing.assert_frame_equal(remote.frame, local.frame)
    pd.testing.assert_series_equal(remote.as_of, local.as_of)
    pd.testing.assert_series_equal(remote.matured_on, local.matured_on)
    np.testing.assert_array_equal(remote.amounts, local.amounts)
    assert remote.cutoff == local.cutoff
    assert (remote.features, remote.categorical) == (local.features, local.categorical)


def test_chunks_without_invoices_are_skipped_not_fatal(client, portfolio) -> None:
    """Chunks of one customer: some hold only a customer who never invoiced."""
    ledger = portfolio.ledger
    never = sorted(set(ledger.customers["customer_id"]) - set(ledger.invoices["customer_id"]))
    assert never, "the generated portfolio has customers without invoices"
    keep = set(never[:2]) | set(ledger.invoices["customer_id"].drop_duplicates().head(4))
    small = subset_ledger(ledger, sorted(keep))
    config = FeatureConfig()
    remote = training_data_on_cluster(client, small, "customer", config, chunk_customers=1)
    local = training_data(small, "customer", config)
    pd.testing.assert_frame_equal(remote.frame, local.frame)
