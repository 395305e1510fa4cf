"""A weight-of-evidence scorecard with monotonic binning: the baseline credit teams compare with.

Each numeric feature is cut at quantiles of the training rows (at most ``max_bins`` bins, none
holding less than ``min_bin_share`` of the rows), then adjacent bins are merged until the late
rate is monotone in the feature (its direction taken from the correlation of the feature with
the label); missing values get a bin of their own. Each category of a categorical feature is a
bin (rare ones pooled into ``other``). A bin's weight of evidence is
``WoE = ln(share of on-time rows in the bin / share of late rows in the bin)`` (0.5 added to
each count), a logistic regression is fitted on the WoE values, and the points of a bin are::

    factor = PDO / ln 2,  offset = base_points - factor * ln(base_odds)
    points(bin) = -(coef * WoE(bin) + intercept / n_features) * factor + offset / n_features

so the score (sum of the points) rises by ``PDO`` when the odds of paying on time double, and
equals ``base_points`` at odds of ``base_odds`` to 1. Everything learned is JSON (no pickle).

A WoE coefficient must be negative (more evidence of paying on time, a lower late probability,
more points). Given collinear features (mean, recency-weighted and exponentially weighted
lateness read the same habit), the regression gives some of them a positive coefficient: their
points then *fall* as their bins get safer (more points for a customer paying later), which no
credit validator signs. As in credit practice (sign check in the stepwise selection), the
feature with the largest wrong-sign coefficient is left out and the regression refitted until
every coefficient has the right sign; the features left out (``dropped_``, with the coefficient
they had) are listed in the report and ``scorecard.json``.

Why not optbinning's ``Scorecard``: it installs, but pulls OR-Tools, CVXPY and four solvers and
downgrades protobuf (7 to 6) under MLflow and BentoML, for a baseline this module gives in 250
lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from risk.errors import ConfigError

MISSING = "missing"
OTHER = "other"


@dataclass
class FeatureBins:
    """The bins of one feature: numeric upper edges or categories, and each bin's WoE."""

    name: str
    kind: str  # numeric | categorical
    edges: list[float] = field(default_factory=list)  # upper bounds, last one +inf
    categories: list[str] = field(default_factory=list)
    woe: list[float] = field(default_factory=list)  # one per bin, then the missing bin
    points: list[float] = field(default_factory=list)

    def labels(self) -> list[str]:
        if self.kind == "categorical":
            return [*self.categories, OTHER, MISSING]
        lows = [-np.inf, *self.edges[:-1]]
        return [f"({lo:.4g}, {hi:.4g}]" for lo, hi in zip(lows, self.edges, strict=True)] + [
            MISSING
        ]

    def bin_index(self, column: pd.Series) -> np.ndarray:
        """Bin of each value (the last index is the missing bin)."""
        if self.kind == "categorical":
            text = column.astype("object").where(column.notna(), None)
            lookup = {c: i for i, c in enumerate(self.categories)}
            other = len(self.categories)
            return np.array(
                [other + 1 if v is None else lookup.get(str(v), other) for v in text], dtype=int
            )
        x = column.to_numpy(dtype="float64", na_value=np.nan)
        index = np.searchsorted(np.asarray(self.edges), x, side="left")
        return np.where(np.isnan(x), len(self.edges), index)

    def to_dict(self) -> dict[str, Any]:
        edges = [e if np.isfinite(e) else "inf" for e in self.edges]
        return {**self.__dict__, "edges": edges}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureBins:
        edges = [float(e) for e in data["edges"]]
        return cls(**{**data, "edges": edges})


def _woe(events: np.ndarray, counts: np.ndarray) -> np.ndarray:
    bad = events + 0.5
    good = counts - events + 0.5
    return np.log((good / good.sum()) / (bad / bad.sum()))


def _monotone_edges(x: np.ndarray, y: np.ndarray, max_bins: int, min_share: float) -> list[float]:
    """Quantile edges merged until the late rate is monotone in ``x`` (x without NaN)."""
    n_bins = max(1, min(max_bins, int(1 / min_share)))
    cuts = np.unique(np.quantile(x, np.linspace(0, 1, n_bins + 1)[1:-1], method="lower"))
    edges = [*cuts.tolist(), np.inf]
    sign = np.sign(np.corrcoef(x, y)[0, 1]) if np.std(x) > 0 and np.std(y) > 0 else 1.0
    while len(edges) > 1:
        index = np.searchsorted(np.asarray(edges), x, side="left")
        counts = np.bincount(index, minlength=len(edges)).astype(float)
        rates = np.bincount(index, weights=y, minlength=len(edges)) / np.maximum(counts, 1)
        steps = np.diff(rates) * (sign or 1.0)
        small = np.flatnonzero(counts < min_share * len(x))
        bad = np.flatnonzero(steps < 0)
        if not len(bad) and not len(small):
            break
        drop = int(bad[0]) if len(bad) else int(min(small[0], len(edges) - 2))
        del edges[drop]  # merge bin ``drop`` into the next one
    return [float(e) for e in edges]


class WoEScorecard:
    """Weight-of-evidence scorecard (scikit-learn style: ``fit`` returns self, state ends in _).

    Args:
        max_bins: most bins per numeric feature.
        min_bin_share: smallest share of training rows in a bin (categories: below it, pooled).
        pdo: points to double the odds of paying on time.
        base_points: score at odds ``base_odds`` to 1.
        base_odds: odds (on time : late) worth ``base_points``.
        C: inverse L2 strength of the logistic regression.
        random_state: seed of the solver.
    """

    def __init__(
        self,
        max_bins: int = 6,
        min_bin_share: float = 0.05,
        pdo: float = 20.0,
        base_points: float = 600.0,
        base_odds: float = 50.0,
        C: float = 1.0,  # noqa: N803
        random_state: int | None = None,
    ) -> None:
        self.max_bins = max_bins
        self.min_bin_share = min_bin_share
        self.pdo = pdo
        self.base_points = base_points
        self.base_odds = base_odds
        self.C = C
        self.random_state = random_state

    def _bins_of(self, column: pd.Series, y: np.ndarray) -> FeatureBins:
        if isinstance(column.dtype, pd.CategoricalDtype) or not is_numeric_dtype(column.dtype):
            text = (
                column.astype("object")
                .where(column.notna(), None)
                .map(lambda v: None if v is None else str(v))
            )
            shares = text.value_counts(normalize=True)
            kept = sorted(str(c) for c in shares.index[shares >= self.min_bin_share])
            bins = FeatureBins(str(column.name), "categorical", categories=kept)
        else:
            x = column.to_numpy(dtype="float64", na_value=np.nan)
            known = ~np.isnan(x)
            edges = (
                _monotone_edges(x[known], y[known], self.max_bins, self.min_bin_share)
                if known.any()
                else [np.inf]
            )
            bins = FeatureBins(str(column.name), "numeric", edges=edges)
        index = bins.bin_index(column)
        size = len(bins.labels())
        counts = np.bincount(index, minlength=size).astype(float)
        events = np.bincount(index, weights=y, minlength=size)
        bins.woe = _woe(events, counts).tolist()
        return bins

    def _woe_matrix(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        missing = [b.name for b in self.bins_ if b.name not in X.columns]
        if missing:
            raise ConfigError(f"the scorecard needs column(s) {', '.join(missing)}")
        return np.column_stack([np.asarray(b.woe)[b.bin_index(X[b.name])] for b in self.bins_])

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> WoEScorecard:  # noqa: N803
        """Bin, compute WoE, fit the logistic regression (wrong-sign features left out) and
        the points.

        Raises:
            ConfigError: one class only, or no feature.
        """
        target = np.asarray(y, dtype="float64")
        if np.unique(target).size < 2 or X.shape[1] == 0:
            raise ConfigError("the scorecard needs late and on-time rows and at least a feature")
        if not 0 < self.min_bin_share < 0.5 or self.max_bins < 1:
            raise ConfigError("WoEScorecard: max_bins >= 1 and 0 < min_bin_share < 0.5")
        self.bins_ = [self._bins_of(X[name], target) for name in X.columns]
        woe, self.dropped_ = self._woe_matrix(X), {}
        kept = list(range(len(self.bins_)))
        logit = LogisticRegression(
            C=self.C, max_iter=2000, random_state=self.random_state, warm_start=True
        )
        with threadpool_limits(1):  # BLAS threads only spin on a matrix this narrow
            while True:  # leave out the largest wrong-sign coefficient, refit (module docstring)
                logit.fit(woe[:, kept], target.astype(int))
                coef = logit.coef_[0].astype(float)
                worst = int(np.argmax(coef))
                if coef[worst] <= 0 or len(kept) == 1:
                    break
                self.dropped_[self.bins_[kept[worst]].name] = float(coef[worst])
                del kept[worst]
                logit.coef_ = np.delete(logit.coef_, worst, axis=1)  # the next fit starts here
        self.bins_ = [self.bins_[i] for i in kept]
        self.coef_ = coef
        self.intercept_ = float(logit.intercept_[0])
        factor = self.pdo / np.log(2.0)
        offset = self.base_points - factor * np.log(self.base_odds)
        n = len(self.bins_)
        for bins, coef in zip(self.bins_, self.coef_, strict=True):
            woe = np.asarray(bins.woe)
            bins.points = (-(coef * woe + self.intercept_ / n) * factor + offset / n).tolist()
        return self

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        """Log-odds of late payment."""
        return self._woe_matrix(X) @ self.coef_ + self.intercept_

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        """Columns P(on time), P(late), as scikit-learn classifiers answer."""
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - p, p])

    def score(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        """Scorecard points of each row (higher = safer)."""
        return np.column_stack(
            [np.asarray(b.points)[b.bin_index(X[b.name])] for b in self.bins_]
        ).sum(axis=1)

    def points_table(self) -> pd.DataFrame:
        """One row per (feature, bin): WoE and points."""
        rows = [
            {"feature": b.name, "bin": label, "woe": w, "points": p}
            for b in self.bins_
            for label, w, p in zip(b.labels(), b.woe, b.points, strict=True)
        ]
        return pd.DataFrame(rows, columns=["feature", "bin", "woe", "points"])

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description: parameters, bins, coefficients and points."""
        return {
            "params": {
                "max_bins": self.max_bins,
                "min_bin_share": self.min_bin_share,
                "pdo": self.pdo,
                "base_points": self.base_points,
                "base_odds": self.base_odds,
                "C": self.C,
            },
            "bins": [b.to_dict() for b in self.bins_],
            "dropped": self.dropped_,
            "coef": self.coef_.tolist(),
            "intercept": self.intercept_,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WoEScorecard:
        """Rebuild a fitted scorecard from ``to_dict`` output."""
        card = cls(**data["params"])
        card.bins_ = [FeatureBins.from_dict(b) for b in data["bins"]]
        card.coef_ = np.asarray(data["coef"], dtype=float)
        card.intercept_ = float(data["intercept"])
        card.dropped_ = dict(data.get("dropped", {}))  # absent in cards written before
        return card
