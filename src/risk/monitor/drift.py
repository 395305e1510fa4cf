"""Drift measures a data scientist watches after training (issue 19, finding 8).

* **Population stability index** of a variable between the training window (expected) and the
  monitored population (actual), on the expected's decile bins (missing values a bin of their
  own; categories one bin each)::

      PSI = sum over bins of (a_i - e_i) * ln(a_i / e_i)

  with ``e_i`` and ``a_i`` the shares of rows in bin ``i`` (each share floored at 1e-4 so an empty
  bin stays finite). Usual reading in credit scoring: below ``PSI_WARN`` (0.10) stable, up to
  ``PSI_ALERT`` (0.25) a shift to watch, above it a shift that calls for a review. The calendar
  inputs (``SEASONAL``: month of issue, month due) are reported with the status ``seasonal`` and
  never alerted: a recent window holds a few calendar months of the twelve the training window
  holds, so their PSI is large by construction (about 6 for a 90-day window), not drift.
* **Grade migration**: share of customers moving from each grade of the previous run to each
  grade of this one.
* **Back-test**: realised against predicted late rate by month and grade, with the Jeffreys
  test of ``risk.evaluate.calibration`` (an underestimated cell is an alert).

Example:
    >>> round(population_stability_index(np.arange(100.0), np.arange(100.0)), 6)
    0.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from risk.evaluate.calibration import jeffreys_p_value
from risk.grades import GradeScale

PSI_WARN = 0.10
PSI_ALERT = 0.25
FLOOR = 1e-4
MISSING = "missing"
#: Calendar inputs whose PSI against a whole training year is large by construction.
SEASONAL = frozenset({"issue_month", "due_month"})
BACKTEST_COLUMNS = [
    "month", "grade", "n", "late", "predicted", "realised", "jeffreys_p_value", "underestimated",
]  # fmt: skip


@dataclass(frozen=True)
class DriftAlert:
    """A measure past its documented threshold."""

    what: str
    value: float
    threshold: float
    message: str


def _shares(index: np.ndarray, size: int) -> np.ndarray:
    counts = np.bincount(index, minlength=size).astype(float)
    return np.maximum(counts / max(counts.sum(), 1.0), FLOOR)


def _bin_indices(expected: pd.Series, actual: pd.Series, n_bins: int) -> tuple[np.ndarray, ...]:
    if isinstance(expected.dtype, pd.CategoricalDtype) or not is_numeric_dtype(expected.dtype):
        e_text = expected.astype("object").where(expected.notna(), MISSING).map(str)
        a_text = actual.astype("object").where(actual.notna(), MISSING).map(str)
        levels = sorted(set(e_text) | set(a_text))
        lookup = {v: i for i, v in enumerate(levels)}
        return e_text.map(lookup).to_numpy(), a_text.map(lookup).to_numpy(), len(levels)
    e = expected.to_numpy(dtype="float64", na_value=np.nan)
    a = actual.to_numpy(dtype="float64", na_value=np.nan)
    known = e[~np.isnan(e)]
    edges = np.unique(np.quantile(known, np.linspace(0, 1, n_bins + 1)[1:-1])) if len(known) else []
    size = len(edges) + 2  # value bins, then the missing bin

    def index(x: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(x), size - 1, np.searchsorted(edges, x, side="right"))

    return index(e), index(a), size


def population_stability_index(
    expected: pd.Series | np.ndarray, actual: pd.Series | np.ndarray, n_bins: int = 10
) -> float:
    """PSI of ``actual`` against ``expected`` (see the module docstring)."""
    e_index, a_index, size = _bin_indices(pd.Series(expected), pd.Series(actual), n_bins)
    e, a = _shares(e_index, size), _shares(a_index, size)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_status(name: str, value: float) -> str:
    """``seasonal`` for a calendar input, else ``alert`` past ``PSI_ALERT``, ``watch`` past
    ``PSI_WARN``, ``stable``.

    >>> psi_status("issue_month", 6.0), psi_status("dso_days_3m", 0.3)
    ('seasonal', 'alert')
    """
    if name in SEASONAL:
        return "seasonal"
    return "alert" if value > PSI_ALERT else "watch" if value > PSI_WARN else "stable"


def feature_psi(
    expected: pd.DataFrame, actual: pd.DataFrame, names: list[str], n_bins: int = 10
) -> pd.DataFrame:
    """PSI of each column in ``names`` present in both frames, largest first, with its status
    (:func:`psi_status`)."""
    rows = []
    for name in names:
        if name in expected and name in actual:
            value = population_stability_index(expected[name], actual[name], n_bins)
            rows.append({"variable": name, "psi": value, "status": psi_status(name, value)})
    frame = pd.DataFrame(rows, columns=["variable", "psi", "status"])
    return frame.sort_values("psi", ascending=False, kind="stable").reset_index(drop=True)


def grade_migration(
    previous: pd.Series, current: pd.Series, scale: GradeScale | None = None
) -> pd.DataFrame:
    """Share of the customers of each previous grade (rows) found in each current grade
    (columns), over customers graded both times (Series indexed by customer)."""
    letters = list((scale or GradeScale()).letters)
    both = pd.concat({"previous": previous, "current": current}, axis=1, join="inner")
    table = pd.crosstab(
        pd.Categorical(both["previous"], categories=letters),
        pd.Categorical(both["current"], categories=letters),
        dropna=False,
    )
    shares = table.div(table.sum(axis=1).replace(0, np.nan), axis=0)
    shares.index.name, shares.columns.name = "previous grade", "current grade"
    return shares


def backtest_by_month_and_grade(
    month: pd.Series,
    y: np.ndarray,
    p: np.ndarray,
    scale: GradeScale | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Realised against predicted late rate per (month, grade), with the Jeffreys p-value and
    ``underestimated`` (p-value below ``alpha``); no row (the same columns) without data."""
    scale = scale or GradeScale()
    frame = pd.DataFrame(
        {"month": month.to_numpy(), "grade": scale.grade(np.asarray(p)), "y": y, "p": p}
    )
    rows = []
    for (m, g), cell in frame.groupby(["month", "grade"], sort=True):
        n, late, predicted = len(cell), int(cell["y"].sum()), float(cell["p"].mean())
        p_value = jeffreys_p_value(late, n, predicted)
        rows.append(
            {
                "month": m, "grade": g, "n": n, "late": late, "predicted": predicted,
                "realised": late / n, "jeffreys_p_value": p_value,
                "underestimated": p_value < alpha,
            }
        )  # fmt: skip
    return pd.DataFrame(rows, columns=BACKTEST_COLUMNS)


def alerts(psi: pd.DataFrame, backtest: pd.DataFrame) -> list[DriftAlert]:
    """Alerts: every variable whose status is ``alert`` (PSI past ``PSI_ALERT``, calendar inputs
    excepted), every underestimated back-test cell."""
    out = [
        DriftAlert(
            f"psi:{r.variable}", float(r.psi), PSI_ALERT,
            f"{r.variable}: population stability index {r.psi:.3f} > {PSI_ALERT}",
        )
        for r in psi.itertuples() if r.status == "alert"
    ]  # fmt: skip
    for r in backtest.itertuples():
        if r.underestimated:
            out.append(
                DriftAlert(
                    f"backtest:{r.month}:{r.grade}", float(r.jeffreys_p_value), 0.05,
                    f"{r.month} grade {r.grade}: realised {r.realised:.1%} vs predicted "
                    f"{r.predicted:.1%} on {r.n} rows (Jeffreys p = {r.jeffreys_p_value:.3g})",
                )
            )  # fmt: skip
    return out


def variable_profile(values: pd.Series | np.ndarray, n_bins: int = 10) -> dict[str, object]:
    """The binned distribution of one variable, kept with a model as its PSI reference.

    Numeric: the inner quantile edges of the known values and the share of each bin (the last
    bin holds the missing values); categorical: the share of each level (``missing`` included).
    :func:`psi_against_profile` of it equals :func:`population_stability_index` of the values.
    """
    series = pd.Series(values)
    if isinstance(series.dtype, pd.CategoricalDtype) or not is_numeric_dtype(series.dtype):
        text = series.astype("object").where(series.notna(), MISSING).map(str)
        shares = text.value_counts(normalize=True, sort=False).sort_index()
        return {"levels": list(shares.index), "shares": [float(s) for s in shares]}
    x = series.to_numpy(dtype="float64", na_value=np.nan)
    known = x[~np.isnan(x)]
    edges = np.unique(np.quantile(known, np.linspace(0, 1, n_bins + 1)[1:-1])) if len(known) else []
    size = len(edges) + 2
    index = np.where(np.isnan(x), size - 1, np.searchsorted(edges, x, side="right"))
    counts = np.bincount(index, minlength=size).astype(float)
    return {"edges": [float(e) for e in edges], "shares": list(counts / max(counts.sum(), 1.0))}


def psi_against_profile(profile: dict[str, object], actual: pd.Series | np.ndarray) -> float:
    """PSI of ``actual`` against a stored :func:`variable_profile` (same bins, same floor)."""
    series = pd.Series(actual)
    expected = np.asarray(profile["shares"], dtype=float)
    if "levels" in profile:
        text = series.astype("object").where(series.notna(), MISSING).map(str)
        levels = list(profile["levels"])  # type: ignore[arg-type]
        new = sorted(set(text) - set(levels))
        lookup = {v: i for i, v in enumerate([*levels, *new])}
        size = len(lookup)
        index = text.map(lookup).to_numpy(dtype=np.int64)
        expected = np.concatenate([expected, np.zeros(len(new))])
    else:
        edges = np.asarray(profile["edges"], dtype=float)
        size = len(edges) + 2
        x = series.to_numpy(dtype="float64", na_value=np.nan)
        index = np.where(np.isnan(x), size - 1, np.searchsorted(edges, x, side="right"))
    e = np.maximum(expected, FLOOR)
    a = _shares(index, size)
    return float(np.sum((a - e) * np.log(a / e)))


def reference_profile(
    inputs: pd.DataFrame, scores: np.ndarray, names: list[str], n_bins: int = 10
) -> dict[str, object]:
    """The training window's profile kept with a model: its score and each input."""
    return {
        "score": variable_profile(scores, n_bins),
        "features": {name: variable_profile(inputs[name], n_bins) for name in names},
    }


def profile_psi(
    profile: dict[str, object], inputs: pd.DataFrame, scores: np.ndarray
) -> tuple[float, pd.DataFrame]:
    """Score PSI and the PSI table of every profiled input present in ``inputs`` (largest
    first, with its status) against a stored :func:`reference_profile`."""
    features: dict[str, dict[str, object]] = profile["features"]  # type: ignore[assignment]
    rows = []
    for name, reference in features.items():
        if name in inputs:
            value = psi_against_profile(reference, inputs[name])
            rows.append({"variable": name, "psi": value, "status": psi_status(name, value)})
    table = pd.DataFrame(rows, columns=["variable", "psi", "status"])
    table = table.sort_values("psi", ascending=False, kind="stable").reset_index(drop=True)
    return psi_against_profile(profile["score"], scores), table  # type: ignore[arg-type]
