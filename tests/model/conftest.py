"""A small generated portfolio and one trained invoice model shared by the model tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from risk import registry
from risk.features import FeatureConfig
from risk.model.dataset import TrainingData, training_data
from risk.model.fit import FitConfig, FittedModels, fit_models
from risk.model.split import SplitMasks, TimeWindows, derive_windows, split_masks
from risk.synth import Portfolio, SampleConfig, generate_portfolio


@pytest.fixture(scope="session")
def portfolio() -> Portfolio:
    return generate_portfolio(SampleConfig(customers=500, years=3, seed=5))


@pytest.fixture(scope="session")
def invoice_data(portfolio: Portfolio) -> TrainingData:
    return training_data(portfolio.ledger, "invoice", FeatureConfig())


@pytest.fixture(scope="session")
def windows_and_masks(invoice_data: TrainingData) -> tuple[TimeWindows, SplitMasks]:
    windows = derive_windows(invoice_data.as_of, invoice_data.matured_on, invoice_data.cutoff)
    return windows, split_masks(invoice_data.as_of, invoice_data.matured_on, windows)


@pytest.fixture(scope="session")
def fitted(
    invoice_data: TrainingData, windows_and_masks: tuple[TimeWindows, SplitMasks]
) -> FittedModels:
    windows, masks = windows_and_masks
    return fit_models(invoice_data, masks, windows, FitConfig(seed=42))


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> registry.Store:
    """A private SQLite store with its artifacts under tmp_path."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return registry.Store.resolve(f"sqlite:///{tmp_path}/mlruns/mlflow.db")
