"""Calibration tables: predicted against observed late rates by decile and by grade.

The grade table carries the Jeffreys test used in the ECB's validation reporting of PD models:
with ``d`` late rows out of ``n`` in a grade, the posterior of the grade's true rate under the
Jeffreys prior is Beta(d + 0.5, n - d + 0.5); the p-value is that Beta distribution's CDF at the
grade's mean predicted probability. A small p-value (below ``alpha``, 0.05 by default) means
the observed rate is significantly above the prediction: the grade's risk is underestimated.

Example:
    >>> jeffreys_p_value(defaults=20, n=100, predicted=0.05) < 1e-6
    True
    >>> jeffreys_p_value(defaults=5, n=100, predicted=0.05) > 0.05
    True
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy.stats import beta

from risk.evaluate.metrics import check_inputs, equal_frequency_bins
from risk.grades import GradeScale

logger = logging.getLogger(__name__)

CALIBRATION_COLUMNS = ["bin", "n", "p_mean", "observed_rate", "p_min", "p_max"]
GRADE_COLUMNS = [
    "grade",
    "p_low",
    "p_high",
    "n",
    "defaults",
    "p_mean",
    "observed_rate",
    "jeffreys_p_value",
    "underestimated",
]


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Predicted against observed late rate by equal-frequency bin (decile) of ``p``.

    Equal probabilities share a bin, so with ties there may be fewer bins than asked.

    Args:
        y: observed labels (1 = late).
        p: predicted probabilities.
        bins: wanted number of bins (10 = deciles).

    Returns:
        One row per bin, lowest probabilities first: ``bin`` (1-based), ``n``, ``p_mean``,
        ``observed_rate``, ``p_min``, ``p_max``.

    Raises:
        ValueError: on invalid inputs or ``bins`` < 1.
    """
    y, p = check_inputs(y, p)
    frame = pd.DataFrame({"bin": equal_frequency_bins(p, bins) + 1, "y": y, "p": p})
    table = frame.groupby("bin", sort=True).agg(
        n=("y", "size"),
        p_mean=("p", "mean"),
        observed_rate=("y", "mean"),
        p_min=("p", "min"),
        p_max=("p", "max"),
    )
    return table.reset_index()[CALIBRATION_COLUMNS]


def jeffreys_p_value(defaults: int, n: int, predicted: float) -> float:
    """One-sided Jeffreys test p-value of a grade (see the module docstring).

    Args:
        defaults: late rows observed in the grade.
        n: rows in the grade.
        predicted: mean predicted probability of the grade.

    Returns:
        ``Beta(defaults + 0.5, n - defaults + 0.5).cdf(predicted)``, NaN when ``n`` is 0.

    Raises:
        ValueError: if ``defaults`` is not in [0, n].
    """
    if n == 0:
        return float("nan")
    if not 0 <= defaults <= n:
        raise ValueError(f"defaults must be in [0, n], got {defaults} for n={n}")
    return float(beta.cdf(predicted, defaults + 0.5, n - defaults + 0.5))


def _grade_row(letter: str, scale: GradeScale, y: np.ndarray, p: np.ndarray, alpha: float) -> dict:
    """One row of the grade table; ``y`` and ``p`` are the rows of that grade."""
    low, high = scale.bounds(letter)
    n, defaults = len(y), int(y.sum())
    p_mean = float(p.mean()) if n else float("nan")
    p_value = jeffreys_p_value(defaults, n, p_mean)
    return {
        "grade": letter,
        "p_low": low,
        "p_high": high,
        "n": n,
        "defaults": defaults,
        "p_mean": p_mean,
        "observed_rate": defaults / n if n else float("nan"),
        "jeffreys_p_value": p_value,
        "underestimated": bool(n and p_value < alpha),
    }


def grade_table(
    y: np.ndarray, p: np.ndarray, scale: GradeScale | None = None, alpha: float = 0.05
) -> pd.DataFrame:
    """Observed against predicted late rate per grade, with the Jeffreys test.

    Args:
        y: observed labels (1 = late).
        p: predicted probabilities.
        scale: the grade scale (default ``GradeScale()``).
        alpha: significance level of the test.

    Returns:
        One row per grade of the scale, in scale order, including empty grades (``n`` = 0,
        ``p_mean``, ``observed_rate`` and ``jeffreys_p_value`` NaN, not underestimated):
        ``grade``, ``p_low``, ``p_high``, ``n``, ``defaults``, ``p_mean``, ``observed_rate``,
        ``jeffreys_p_value`` and ``underestimated`` (p-value < ``alpha``).

    Raises:
        ValueError: on invalid inputs or ``alpha`` outside (0, 1).
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    y, p = check_inputs(y, p)
    scale = scale or GradeScale()
    letters = np.asarray(scale.grade(p))
    rows = [_grade_row(g, scale, y[letters == g], p[letters == g], alpha) for g in scale.letters]
    flagged = [r["grade"] for r in rows if r["underestimated"]]
    if flagged:
        logger.info("underestimated grades (Jeffreys, alpha=%s): %s", alpha, flagged)
    return pd.DataFrame(rows, columns=GRADE_COLUMNS)
