"""Evaluation plots, each written to one PNG file.

Figures are built with ``matplotlib.figure.Figure`` on an Agg canvas, never through pyplot: no
global state, no backend switch, safe in threads, services and tests.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from sklearn.metrics import (
    average_precision_score,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from risk.evaluate.calibration import calibration_table
from risk.evaluate.metrics import check_inputs, has_both_classes

logger = logging.getLogger(__name__)

DPI = 110
SHAP_MAX_POINTS = 2000
SHAP_CMAP = "coolwarm"
CATEGORICAL_COLOUR = "0.6"


def _new_figure(width: float = 6.0, height: float = 5.0) -> tuple[Figure, Axes]:
    """A figure on its own Agg canvas and its single axes."""
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig, fig.subplots()


def _save(fig: Figure, path: Path) -> Path:
    """Write the figure as PNG, creating the parent folder, and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, format="png")
    logger.debug("wrote plot %s", path)
    return path


def _check_two_classes(y: np.ndarray, what: str) -> None:
    if not has_both_classes(y):
        raise ValueError(f"{what} needs both late and on-time rows in y")


def plot_roc(y: np.ndarray, p_by_model: dict[str, np.ndarray], path: Path) -> Path:
    """ROC curves of several models on the same labels, with their AUC.

    Args:
        y: observed labels (1 = late).
        p_by_model: predicted probabilities by model name.
        path: PNG file to write.

    Returns:
        ``path``.

    Raises:
        ValueError: on invalid inputs or a single-class ``y``.
    """
    fig, ax = _new_figure()
    for name, p in p_by_model.items():
        y_arr, p_arr = check_inputs(y, p)
        _check_two_classes(y_arr, "a ROC curve")
        fpr, tpr, _ = roc_curve(y_arr, p_arr)
        ax.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(y_arr, p_arr):.3f})")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="random")
    ax.set(xlabel="false positive rate", ylabel="true positive rate (late found)", title="ROC")
    ax.legend(loc="lower right")
    return _save(fig, path)


def plot_precision_recall(y: np.ndarray, p_by_model: dict[str, np.ndarray], path: Path) -> Path:
    """Precision-recall curves of several models, with their average precision and base rate.

    Args:
        y: observed labels (1 = late).
        p_by_model: predicted probabilities by model name.
        path: PNG file to write.

    Returns:
        ``path``.

    Raises:
        ValueError: on invalid inputs or a single-class ``y``.
    """
    fig, ax = _new_figure()
    base_rate = float("nan")
    for name, p in p_by_model.items():
        y_arr, p_arr = check_inputs(y, p)
        _check_two_classes(y_arr, "a precision-recall curve")
        precision, recall, _ = precision_recall_curve(y_arr, p_arr)
        ap = average_precision_score(y_arr, p_arr)
        ax.step(recall, precision, where="post", label=f"{name} (AP {ap:.3f})")
        base_rate = float(y_arr.mean())
    ax.axhline(base_rate, linestyle="--", color="grey", label=f"base rate {base_rate:.3f}")
    ax.set(xlabel="recall (share of late found)", ylabel="precision", title="Precision-recall")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="upper right")
    return _save(fig, path)


def plot_calibration(
    y: np.ndarray, p_by_model: dict[str, np.ndarray], path: Path, bins: int = 10
) -> Path:
    """Reliability diagram: observed against mean predicted late rate by decile of p.

    Args:
        y: observed labels (1 = late).
        p_by_model: predicted probabilities by model name.
        path: PNG file to write.
        bins: equal-frequency bins per model.

    Returns:
        ``path``.

    Raises:
        ValueError: on invalid inputs.
    """
    fig, ax = _new_figure()
    top = 0.0
    for name, p in p_by_model.items():
        table = calibration_table(y, p, bins=bins)
        ax.plot(table["p_mean"], table["observed_rate"], marker="o", label=name)
        top = max(top, table["p_mean"].max(), table["observed_rate"].max())
    limit = min(1.0, top * 1.05) if top > 0 else 1.0
    ax.plot([0, limit], [0, limit], linestyle="--", color="grey", label="perfect calibration")
    ax.set(xlabel="mean predicted probability", ylabel="observed late rate", title="Calibration")
    ax.set_xlim(0, limit)
    ax.set_ylim(0, limit)
    ax.legend(loc="upper left")
    return _save(fig, path)


def plot_lift(y: np.ndarray, p: np.ndarray, path: Path) -> Path:
    """Cumulative share of late rows captured against share of rows worked, riskiest first.

    Args:
        y: observed labels (1 = late).
        p: predicted probabilities.
        path: PNG file to write.

    Returns:
        ``path``.

    Raises:
        ValueError: on invalid inputs or a ``y`` without late rows.
    """
    y_arr, p_arr = check_inputs(y, p)
    if y_arr.sum() == 0:
        raise ValueError("a lift curve needs at least one late row in y")
    order = np.argsort(-p_arr, kind="stable")
    captured = np.concatenate([[0.0], np.cumsum(y_arr[order]) / y_arr.sum()])
    population = np.linspace(0, 1, len(y_arr) + 1)
    best = np.minimum(population * len(y_arr) / y_arr.sum(), 1.0)
    fig, ax = _new_figure()
    ax.plot(population, captured, label="model")
    ax.plot(population, best, linestyle=":", color="green", label="perfect")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="random")
    ax.set(
        xlabel="share of invoices worked (riskiest first)",
        ylabel="share of late invoices captured",
        title="Cumulative capture (gains)",
    )
    ax.legend(loc="lower right")
    return _save(fig, path)


def _normalised_values(column: pd.Series) -> np.ndarray | None:
    """Feature values scaled to [0, 1] by the 5th-95th percentiles, None if categorical."""
    if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
        return None
    values = column.to_numpy(dtype=float, na_value=np.nan)
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return np.full(len(values), np.nan)
    low, high = np.percentile(finite, [5, 95])
    if high <= low:
        low, high = finite.min(), finite.max()
    scaled = (values - low) / (high - low) if high > low else np.full(len(values), 0.5)
    return np.clip(scaled, 0, 1)


def _density_jitter(x: np.ndarray, rng: np.random.Generator, width: float = 0.4) -> np.ndarray:
    """Vertical offsets that grow with the local density of ``x`` (a cheap beeswarm)."""
    if len(x) == 0 or np.ptp(x) == 0:
        return rng.uniform(-width, width, len(x))
    counts, edges = np.histogram(x, bins=50)
    density = counts[np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(counts) - 1)]
    return rng.uniform(-1, 1, len(x)) * width * density / counts.max()


def _check_shap_inputs(contributions: np.ndarray, values: pd.DataFrame) -> np.ndarray:
    contrib = np.asarray(contributions, dtype=float)
    if contrib.ndim != 2 or contrib.shape != values.shape:
        raise ValueError(
            f"contributions {contrib.shape} and values {values.shape} must be the same (n, k)"
        )
    if contrib.shape[0] == 0:
        raise ValueError("no rows to plot")
    return contrib


def plot_shap_summary(
    contributions: np.ndarray, values: pd.DataFrame, path: Path, top: int = 15, seed: int = 0
) -> Path:
    """Beeswarm-like summary of per-row feature contributions (SHAP values).

    One horizontal strip per feature, the most important (mean |contribution|) at the top; each
    point is a row, placed at its contribution and coloured by its feature value (blue = low,
    red = high, 5th-95th percentile scale); categorical features and missing values are grey.
    At most 2,000 rows are drawn (a seeded sample).

    Args:
        contributions: contributions, shape (n, k), in the order of ``values``' columns.
        values: feature values, shape (n, k).
        path: PNG file to write.
        top: number of features shown.
        seed: seed of the row sample and of the jitter.

    Returns:
        ``path``.

    Raises:
        ValueError: if the shapes differ or there is no row.
    """
    contrib = _check_shap_inputs(contributions, values)
    rng = np.random.default_rng(seed)
    rows = np.arange(contrib.shape[0])
    if len(rows) > SHAP_MAX_POINTS:
        rows = np.sort(rng.choice(rows, SHAP_MAX_POINTS, replace=False))
    ranking = np.argsort(-np.mean(np.abs(contrib), axis=0), kind="stable")[:top]
    fig, ax = _new_figure(7.0, 0.4 * len(ranking) + 1.5)
    norm, cmap = Normalize(0, 1), SHAP_CMAP
    for position, j in enumerate(ranking[::-1]):
        x = contrib[rows, j]
        colour = _normalised_values(values.iloc[rows, j])
        y = position + _density_jitter(x, rng)
        if colour is None:
            ax.scatter(x, y, s=6, color=CATEGORICAL_COLOUR, alpha=0.7, linewidths=0)
            continue
        missing = np.isnan(colour)
        ax.scatter(x[missing], y[missing], s=6, color=CATEGORICAL_COLOUR, linewidths=0)
        ax.scatter(
            x[~missing], y[~missing], s=6, c=colour[~missing], cmap=cmap, norm=norm, linewidths=0
        )
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_yticks(range(len(ranking)), [str(values.columns[j]) for j in ranking[::-1]])
    ax.set(xlabel="contribution to the score (log-odds)", title="Feature contributions")
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, ticks=[0, 1], pad=0.01)
    bar.ax.set_yticklabels(["low", "high"])
    bar.set_label("feature value (grey: categorical or missing)", fontsize=8)
    return _save(fig, path)


def plot_importance(importance: dict[str, float], path: Path, top: int = 20) -> Path:
    """Horizontal bars of the largest feature importances.

    Args:
        importance: importance by feature name (gain, mean |SHAP|, ...).
        path: PNG file to write.
        top: number of features shown.

    Returns:
        ``path``.

    Raises:
        ValueError: if ``importance`` is empty.
    """
    if not importance:
        raise ValueError("importance is empty: nothing to plot")
    ranked = sorted(importance.items(), key=lambda item: item[1], reverse=True)[:top]
    names, scores = zip(*ranked[::-1], strict=True)
    fig, ax = _new_figure(7.0, 0.3 * len(ranked) + 1.5)
    ax.barh(range(len(ranked)), scores, color="steelblue")
    ax.set_yticks(range(len(ranked)), list(names))
    ax.set(xlabel="importance", title=f"Top {len(ranked)} features")
    return _save(fig, path)
