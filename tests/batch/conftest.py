"""A small generated portfolio, its ledger folder, champions and a payment-timing model trained
once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.levels_fast import fast_levels
from tests.timing_fast import fast_timing

from risk import registry
from risk.io import write_ledger
from risk.model.bundle import RiskModel
from risk.scoring import Scorer
from risk.synth import Portfolio, SampleConfig, generate_portfolio
from risk.timing.train import train_timing
from risk.train import train_levels

#: a payment-timing model trained in seconds (few snapshots, weeks and rounds)
FAST = fast_timing(40)


@pytest.fixture(scope="session")
def batch_portfolio() -> Portfolio:
    return generate_portfolio(SampleConfig(customers=200, years=3, seed=11))


@pytest.fixture(scope="session")
def batch_store(
    batch_portfolio: Portfolio, tmp_path_factory: pytest.TempPathFactory
) -> registry.Store:
    store = registry.Store.resolve(f"sqlite:///{tmp_path_factory.mktemp('store')}/mlflow.db")
    train_levels(batch_portfolio.ledger, store, fast_levels())
    return store


@pytest.fixture(scope="session")
def batch_scorer(batch_store: registry.Store) -> Scorer:
    return Scorer.from_registry(batch_store)


@pytest.fixture(scope="session")
def ledger_dir(batch_portfolio: Portfolio, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ledger")
    write_ledger(batch_portfolio.ledger, folder, "parquet")
    return folder


@pytest.fixture(scope="session")
def timing_model(batch_portfolio: Portfolio, tmp_path_factory: pytest.TempPathFactory) -> RiskModel:
    store = registry.Store.resolve(f"sqlite:///{tmp_path_factory.mktemp('timing')}/mlflow.db")
    train_timing(batch_portfolio.ledger, store, FAST)
    return registry.load_model(store, "timing")
