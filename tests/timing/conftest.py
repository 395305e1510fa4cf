"""A small generated portfolio and a payment-timing model trained on it (fast settings)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tests.timing_fast import fast_timing

from risk import registry
from risk.synth import Portfolio, SampleConfig, generate_portfolio
from risk.timing.train import (
    TimingResult,
    TimingWindows,
    timing_windows,
    train_timing,
    training_rows,
)

#: a payment-timing model trained in seconds (few snapshots, weeks and rounds)
FAST = fast_timing(60)
#: the settings of the hazard fits on ``windows_rows``
FIT40 = fast_timing(40)


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


@pytest.fixture(scope="session")
def windows_rows(small_portfolio: Portfolio) -> tuple[TimingWindows, pd.DataFrame, pd.DataFrame]:
    """The windows of ``FIT40`` and its training and validation snapshot rows, with their
    exits (what ``fit_timing`` hands the hazard fits)."""
    ledger = small_portfolio.ledger
    windows = timing_windows(ledger, FIT40)
    frame = training_rows(ledger, FIT40, windows)
    train = (frame["as_of"] < windows.train_end).to_numpy()
    return windows, frame[train], frame[~train]
