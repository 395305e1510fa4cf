"""A small generated portfolio and a payment-timing model trained on it (fast settings)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.timing_fast import fast_timing

from risk import registry
from risk.synth import Portfolio, SampleConfig, generate_portfolio
from risk.timing.train import TimingResult, train_timing

#: a payment-timing model trained in seconds (few snapshots, weeks and rounds)
FAST = fast_timing(60)


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
