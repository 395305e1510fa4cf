"""Sector of a customer (NAF section and division) and its lateness, learned from training rows.

``SectorLatenessEncoder`` is a scikit-learn transformer: fitted on the training window only, it
maps each row's sector to the smoothed late rate of that sector, so that test periods never
inform it. The rate of a division is shrunk towards its section's rate, the section's towards
the overall rate (``m``-estimate with ``smoothing`` pseudo-observations).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from risk.features.spec import FeatureSpec

FAMILY = "sector"
#: NAF rev. 2 sections and the divisions they hold (first, last).
NAF_SECTIONS: tuple[tuple[str, int, int], ...] = (
    ("A", 1, 3), ("B", 5, 9), ("C", 10, 33), ("D", 35, 35), ("E", 36, 39), ("F", 41, 43),
    ("G", 45, 47), ("H", 49, 53), ("I", 55, 56), ("J", 58, 63), ("K", 64, 66), ("L", 68, 68),
    ("M", 69, 75), ("N", 77, 82), ("O", 84, 84), ("P", 85, 85), ("Q", 86, 88), ("R", 90, 93),
    ("S", 94, 96), ("T", 97, 98), ("U", 99, 99),
)  # fmt: skip
SECTION_OF_DIVISION: dict[str, str] = {
    f"{division:02d}": section
    for section, first, last in NAF_SECTIONS
    for division in range(first, last + 1)
}
SECTIONS: tuple[str, ...] = tuple(section for section, _, _ in NAF_SECTIONS)
DIVISIONS: tuple[str, ...] = tuple(SECTION_OF_DIVISION)
OUTPUT_NAME = "sector_late_rate"
#: at most this many rows, ``rates_of`` looks rates up in Python (pandas costs more there)
FEW_ROWS = 64


def naf_division(naf_code: pd.Series) -> pd.Series:
    """Two-digit NAF division of each code ("47.11F" -> "47"), as a fixed ``category``."""
    division = naf_code.astype("str").str.slice(0, 2).where(naf_code.notna())
    return pd.Series(pd.Categorical(division, categories=DIVISIONS), index=naf_code.index)


def naf_section(naf_code: pd.Series) -> pd.Series:
    """NAF section letter of each code ("47.11F" -> "G"), as a fixed ``category``."""
    division = naf_code.astype("str").str.slice(0, 2).where(naf_code.notna())
    section = division.map(SECTION_OF_DIVISION)
    return pd.Series(pd.Categorical(section, categories=SECTIONS), index=naf_code.index)


def specs() -> tuple[FeatureSpec, ...]:
    """The sector lateness feature (added by ``SectorLatenessEncoder``, not by the frames)."""
    return (
        FeatureSpec(
            OUTPUT_NAME,
            FAMILY,
            "Smoothed late rate of the customer's NAF division (towards its section, then the "
            "overall rate), learned from the training window only.",
            "Taux de retard lissé de la division NAF du client (vers sa section puis le taux "
            "global), appris sur la seule fenêtre d'entraînement.",
            1,
            "numeric",
            ("customers.naf_code",),
            "sector with {value:.0%} of late invoices",
            "secteur avec {value:.0%} de factures en retard",
            source="encoder",
        ),
    )


def _smoothed(groups: pd.Series, y: pd.Series, prior: pd.Series, smoothing: float) -> pd.Series:
    """Per group: (sum(y) + m * prior) / (n + m), with the group's prior rate."""
    stats = y.groupby(groups, observed=True, dropna=True).agg(["sum", "count"])
    prior_of_group = prior.groupby(groups, observed=True, dropna=True).first()
    return (stats["sum"] + smoothing * prior_of_group) / (stats["count"] + smoothing)


class SectorLatenessEncoder(TransformerMixin, BaseEstimator):
    """Smoothed late rate per sector, hierarchical: section (coarse) then division (fine).

    ``X`` has its columns from the coarsest level to the finest, usually the NAF section then
    the NAF division; each level's rate is shrunk towards the rate of the level before it.
    Missing or unseen sectors get the rate of the level above, the overall rate at the top.

    Args:
        smoothing: weight ``m`` of the parent rate, in pseudo-observations (>= 0).

    Attributes:
        overall_rate_: mean of ``y`` on the training rows.
        rates_: one ``dict`` per column: category -> smoothed rate.
        n_features_in_: number of columns seen in ``fit``.

    Examples:
        >>> X = pd.DataFrame({"naf_section": ["G", "G", "F"], "naf_division": ["47", "46", "41"]})
        >>> enc = SectorLatenessEncoder(smoothing=0.0).fit(X, [1, 0, 1])
        >>> enc.transform(X).ravel().tolist()
        [1.0, 0.0, 1.0]
    """

    def __init__(self, smoothing: float = 20.0) -> None:
        self.smoothing = smoothing

    def fit(self, X: Any, y: Any) -> SectorLatenessEncoder:  # noqa: N803
        """Learn the smoothed rates from the training rows ``X`` and their labels ``y``.

        Raises:
            ValueError: negative smoothing, or ``X`` / ``y`` unusable (no rows, mismatch).
        """
        if self.smoothing < 0:
            raise ValueError(f"smoothing must be >= 0, got {self.smoothing}")
        values, target = validate_data(
            self, X, y, dtype=None, ensure_all_finite=False, y_numeric=True
        )
        target = pd.Series(np.asarray(target, dtype=np.float64))
        self.overall_rate_ = float(target.mean())
        prior = pd.Series(np.full(len(target), self.overall_rate_))
        self.rates_: list[dict[Any, float]] = []
        for column in range(values.shape[1]):
            groups = _as_groups(values[:, column])
            rates = _smoothed(groups, target, prior, float(self.smoothing))
            self.rates_.append(rates.to_dict())
            prior = groups.map(rates).fillna(prior).astype(np.float64)
        return self

    def transform(self, X: Any) -> np.ndarray:  # noqa: N803
        """Map each row to its sector's smoothed late rate, shape ``(n, 1)``."""
        check_is_fitted(self)
        values = validate_data(self, X, dtype=None, ensure_all_finite=False, reset=False)
        return self.rates_of([values[:, column] for column in range(values.shape[1])])

    def rates_of(self, columns: list[np.ndarray]) -> np.ndarray:
        """``transform`` of columns already checked (coarsest first), shape ``(n, 1)``.

        Without scikit-learn's input validation: the scoring path calls it for a few rows.
        """
        if columns and len(columns[0]) <= FEW_ROWS:
            return self._rates_of_few(columns)
        rate = pd.Series(np.full(len(columns[0]) if columns else 0, self.overall_rate_))
        for values, rates in zip(columns, self.rates_, strict=True):
            mapped = _as_groups(values).map(rates).astype(np.float64)
            rate = mapped.fillna(rate)
        return rate.to_numpy().reshape(-1, 1)

    def _rates_of_few(self, columns: list[np.ndarray]) -> np.ndarray:
        """``rates_of`` of a few rows, value by value in Python (one customer's score): the
        finest level with a learned, non-missing rate wins; missing values and unseen codes
        fall back to the coarser level, as the Series path does."""
        levels = list(zip(columns, self.rates_, strict=True))
        out = np.full(len(columns[0]), self.overall_rate_, dtype=np.float64)
        for i in range(len(out)):
            for values, rates in levels:
                value = values[i]
                if is_missing(value):
                    continue
                rate = rates.get(value)
                if rate is not None and not is_missing(rate):
                    out[i] = rate
        return out.reshape(-1, 1)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The output column name: ``sector_late_rate``."""
        return np.array([OUTPUT_NAME], dtype=object)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.target_tags.required = True
        return tags


def is_missing(value: Any) -> bool:
    """``pd.isna`` of one value (None, NaN, NA, NaT); never true of a container."""
    return value is None or (not isinstance(value, str) and bool(pd.isna(value) is True))


def _as_groups(column: np.ndarray) -> pd.Series:
    """Column values as hashable group keys; None / NaN stay missing."""
    series = pd.Series(column, dtype=object)
    return series.where(series.notna(), None)
