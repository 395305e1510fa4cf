"""Monotone constraints from evidence (issue 19, finding 5).

Each constraint is compared with the direction an *unconstrained* LightGBM learns on a
generated portfolio: the correlation between a feature's value and its SHAP contribution must
have the constraint's sign at both levels. A feature without variation in the portfolio gives
no evidence and must be one whose constraint comes from the law.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from risk.features import FeatureConfig
from risk.features.constraints import constraints
from risk.features.registry import get_spec, monotone_constraints
from risk.model.dataset import training_data
from risk.model.fit import _categories, _shell
from risk.model.lgbm import LightGBMConfig, train_lightgbm
from risk.model.split import derive_windows, split_masks
from risk.synth import SampleConfig, generate_portfolio

LAW = "law"  # constraints whose evidence sentence cites the law instead of a measurement
DEAD_BAND = 0.05  # |correlation| below this is no evidence either way


@pytest.fixture(scope="module")
def portfolio():
    generated = generate_portfolio(SampleConfig(customers=400, years=3, seed=5))
    # the e-invoicing status features (issue 18, unconstrained) take over open_amount_91_plus's
    # splits in this small portfolio; constraints are measured on the ledger most users have
    ledger = generated.ledger.with_tables(invoice_statuses=None)
    return replace(generated, ledger=ledger)


def shap_directions(ledger, level: str) -> dict[str, float]:
    """Correlation of each feature's value with its SHAP contribution, unconstrained model."""
    data = training_data(ledger, level, FeatureConfig())
    windows = derive_windows(data.as_of, data.matured_on, data.cutoff)
    rows = split_masks(data.as_of, data.matured_on, windows).refit
    shell = _shell(data, rows, 20.0, _categories(data, rows))
    inputs = shell.prepare(data.frame[rows])
    free = [0] * len(shell.features)
    booster = train_lightgbm(
        inputs, data.y[rows], None, None, monotone=free, seed=1,
        config=LightGBMConfig(num_boost_round=150),
    )  # fmt: skip
    contributions = booster.predict(inputs, pred_contrib=True)
    out = {}
    for i, name in enumerate(shell.features):
        if name in shell.categories:
            continue
        x = inputs[name].to_numpy(dtype="float64")
        known = ~np.isnan(x)
        if known.sum() < 30 or np.std(x[known]) == 0 or np.std(contributions[known, i]) == 0:
            continue
        out[name] = float(np.corrcoef(x[known], contributions[known, i])[0, 1])
    return out


@pytest.mark.parametrize("level", ["invoice", "customer"])
def test_constraint_signs_agree_with_unconstrained_shap_directions(portfolio, level) -> None:
    measured = shap_directions(portfolio.ledger, level)
    table = constraints()
    disagree = {
        name: round(measured[name], 2)
        for name, c in table.items()
        if name in measured and measured[name] * c.sign < -DEAD_BAND
    }
    assert not disagree, f"{level}: constraints contradicted by the unconstrained model: {disagree}"
    unmeasured = [n for n in table if n not in measured]
    assert all(LAW in table[n].evidence for n in unmeasured), unmeasured
    # most constraints are checked here: all but those resting on the law
    assert len(measured.keys() & table.keys()) >= len(table) - 3


def test_every_constraint_is_justified_and_matches_the_expected_direction() -> None:
    for name, constraint in constraints().items():
        spec = get_spec(name)
        assert constraint.sign == spec.direction != 0, name
        assert len(constraint.evidence) > 30, name
    assert monotone_constraints(["dispute_rate_12m"]) == [0]
