"""A small generated portfolio and a payment-timing model trained on it (fast settings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from risk import registry
from risk.model.lgbm import LightGBMConfig
from risk.synth import Portfolio, SampleConfig, generate_portfolio
from risk.timing.hazard import TIMING_PARAMS, HazardConfig
from risk.timing.snapshots import SnapshotConfig
from risk.timing.train import TimingConfig, TimingResult, train_timing

FAST = TimingConfig(
    snapshots=SnapshotConfig(every_days=14),
    hazard=HazardConfig(
        weeks=16,
        lightgbm=LightGBMConfig(
            params=dict(TIMING_PARAMS), num_boost_round=60, early_stopping_rounds=10, num_threads=1
        ),
    ),
)


@pytest.fixture(scope="session")
def small_portfolio() -> Portfolio:
    return generate_portfolio(SampleConfig(customers=100, years=3, seed=11))


@pytest.fixture(scope="session")
def timing_store(tmp_path_factory: pytest.TempPathFactory) -> registry.Store:
    return registry.Store.resolve(f"sqlite:///{tmp_path_factory.mktemp('timing')}/mlflow.db")


@pytest.fixture(scope="session")
def trained_timing(
    small_portfolio: Portfolio,
    timing_store: registry.Store,
    tmp_path_factory: pytest.TempPathFactory,
) -> TimingResult:
    report = tmp_path_factory.mktemp("timing-report")
    return train_timing(small_portfolio.ledger, timing_store, FAST, report_dir=Path(report))
