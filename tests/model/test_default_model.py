"""The customer default level: trained, evaluated by grade and registered like the other levels,
without the end-of-export credit limit; the scorer needs it and says how to train it."""

from __future__ import annotations

import numpy as np
import pytest

from risk import registry
from risk.features import FeatureConfig
from risk.grades import GradeScale
from risk.model.dataset import training_data
from risk.model.default_level import excluded_features, observation_windows
from risk.scoring import Scorer
from risk.synth import Portfolio
from risk.train import TrainConfig, train


def test_default_features_leave_out_the_current_credit_limit(portfolio: Portfolio) -> None:
    assert "credit_limit_utilisation" in excluded_features()
    data = training_data(portfolio.ledger, "default", FeatureConfig())
    customer = training_data(portfolio.ledger, "customer", FeatureConfig())
    assert "credit_limit_utilisation" in customer.features
    assert set(data.features) == set(customer.features) - excluded_features()
    assert set(data.frame["label_default"].unique()) <= {0, 1}
    # 12-month horizon: every row's outcome window is over by the cut-off
    assert (data.matured_on - data.as_of).dt.days.eq(365).all()
    assert (data.matured_on <= data.cutoff).all()


def test_observation_windows_split_rows_by_snapshot_date(portfolio: Portfolio) -> None:
    data = training_data(portfolio.ledger, "default", FeatureConfig())
    windows, masks = observation_windows(data)
    stacked = np.vstack([masks.train, masks.valid, masks.test]).astype(int)
    assert (stacked.sum(axis=0) == 1).all()  # every known row in exactly one window
    assert data.as_of[masks.train].max() < data.as_of[masks.valid].min()
    assert data.as_of[masks.valid].max() < data.as_of[masks.test].min()
    assert masks.test.sum() > 0 and windows.valid_end == data.as_of[masks.test].min()


def test_default_model_is_trained_registered_and_graded(
    portfolio: Portfolio, store: registry.Store, tmp_path
) -> None:
    result = train(portfolio.ledger, TrainConfig(level="default"), store, report_dir=tmp_path / "d")
    assert result.promoted and result.level == "default"
    model = registry.load_model(store, "default")
    assert model.metadata["horizon_days"] == 365
    assert "credit_limit_utilisation" not in model.features
    grades = result.evaluations[0].grades
    assert grades["grade"].tolist() == list(GradeScale().letters)
    assert grades["p_high"].tolist()[:4] == [0.005, 0.02, 0.05, 0.15]
    assert grades["n"].sum() == result.evaluations[0].metrics["n"]
    assert "Jeffreys" in (tmp_path / "d" / "report.md").read_text()


def test_scorer_without_a_default_model_names_the_command_to_train_it(
    portfolio: Portfolio, store: registry.Store, tmp_path
) -> None:
    for level in ("invoice", "customer"):
        train(portfolio.ledger, TrainConfig(level=level), store, report_dir=tmp_path / level)
    with pytest.raises(registry.ModelNotFoundError, match=r"risk train --level default"):
        Scorer.from_registry(store)
