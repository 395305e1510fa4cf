"""The evidence behind the monotone constraints: directions an unconstrained model learns.

A constraint (``risk.features.constraints``) forbids a model to learn the other direction of a
feature even given every other feature. It is kept only where an **unconstrained** LightGBM
agrees: the correlation between a feature's value and its SHAP contribution (LightGBM's
``pred_contrib``) has the constraint's sign. ``tests/features/test_constraints_evidence.py``
checks it on a small portfolio at every test run; ``benchmarks/bench_constraints.py`` on the
benchmark portfolio (5,000 customers).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from risk.features import FeatureConfig
from risk.features.constraints import Constraint
from risk.ledger import Ledger
from risk.model.dataset import training_data
from risk.model.fit import _categories, _shell
from risk.model.lgbm import LightGBMConfig, train_lightgbm
from risk.model.split import derive_windows, split_masks

#: |correlation| below this is no evidence either way
DEAD_BAND = 0.05
#: a constraint whose evidence sentence cites the law instead of a measurement
LAW = "law"
#: fewer known values than this give no evidence
MIN_KNOWN = 30


def shap_directions(
    ledger: Ledger, level: str, rounds: int = 150, seed: int = 1
) -> dict[str, float]:
    """Correlation of each numeric feature's value with its SHAP contribution in a model fitted
    without any constraint on the training rows of ``level`` (features without variation or
    with fewer than ``MIN_KNOWN`` known values are left out: no evidence)."""
    data = training_data(ledger, level, FeatureConfig())
    windows = derive_windows(data.as_of, data.matured_on, data.cutoff)
    rows = split_masks(data.as_of, data.matured_on, windows).refit
    shell = _shell(data, rows, 20.0, _categories(data, rows))
    inputs = shell.prepare(data.frame[rows])
    booster = train_lightgbm(
        inputs,
        data.y[rows],
        None,
        None,
        monotone=[0] * len(shell.features),
        seed=seed,
        config=LightGBMConfig(num_boost_round=rounds),
    )
    contributions = booster.predict(inputs, pred_contrib=True)
    out: dict[str, float] = {}
    for i, name in enumerate(shell.features):
        if name in shell.categories:
            continue
        x = inputs[name].to_numpy(dtype="float64")
        known = ~np.isnan(x)
        if known.sum() < MIN_KNOWN or np.std(x[known]) == 0 or np.std(contributions[known, i]) == 0:
            continue
        out[name] = float(np.corrcoef(x[known], contributions[known, i])[0, 1])
    return out


def contradicted(
    measured: Mapping[str, float], table: Mapping[str, Constraint], dead_band: float = DEAD_BAND
) -> dict[str, float]:
    """The constraints whose measured direction has the other sign, beyond the dead band."""
    return {
        name: round(measured[name], 2)
        for name, c in table.items()
        if name in measured and measured[name] * c.sign < -dead_band
    }


def unmeasured_without_law(
    measured: Mapping[str, float], table: Mapping[str, Constraint]
) -> list[str]:
    """Constraints without a measurement whose evidence does not rest on the law."""
    return [n for n, c in table.items() if n not in measured and LAW not in c.evidence]
