"""Discrimination, calibration and capture metrics of predicted probabilities of late payment.

Every function takes the observed labels ``y`` (1 = late, 0 = on time) and the predicted
probabilities ``p``. A sample with a single class is not an error: the metrics that need both
classes (AUC, Gini, KS, PR-AUC) are NaN and the others are computed. Mismatched lengths,
non-binary labels and probabilities outside [0, 1] raise ``ValueError``.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

logger = logging.getLogger(__name__)

LOG_LOSS_EPS = 1e-15
ECE_BINS = 10
OTHER_GROUP = "(other)"
MISSING_GROUP = "(missing)"


def check_inputs(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate and convert labels and probabilities.

    Args:
        y: observed labels, 0/1 or booleans.
        p: predicted probabilities.

    Returns:
        ``(y, p)`` as a float 0/1 array and a float array.

    Raises:
        ValueError: if the arrays are empty, differ in length, ``y`` is not binary or ``p`` has
            a NaN or a value outside [0, 1].
    """
    y_arr = np.asarray(y, dtype=float).ravel()
    p_arr = np.asarray(p, dtype=float).ravel()
    if len(y_arr) != len(p_arr):
        raise ValueError(f"y and p differ in length: {len(y_arr)} labels, {len(p_arr)} predictions")
    if len(y_arr) == 0:
        raise ValueError("y and p are empty: nothing to evaluate")
    if not np.isin(y_arr, (0.0, 1.0)).all():
        raise ValueError("y must hold only 0/1 (or boolean) labels, without NaN")
    if np.isnan(p_arr).any() or (p_arr < 0).any() or (p_arr > 1).any():
        bad = p_arr[np.isnan(p_arr) | (p_arr < 0) | (p_arr > 1)][:3]
        raise ValueError(f"p must be probabilities in [0, 1] without NaN, got e.g. {bad.tolist()}")
    return y_arr, p_arr


def has_both_classes(y: np.ndarray) -> bool:
    """Whether ``y`` holds at least one late and one on-time row."""
    return bool(0 < np.sum(y) < len(y))


def equal_frequency_bins(p: np.ndarray, bins: int = ECE_BINS) -> np.ndarray:
    """Bin index (0-based) of every probability, bins of (nearly) equal frequency.

    Edges are the quantiles of ``p``; equal probabilities always share a bin, so with ties there
    may be fewer, unequal bins (a constant ``p`` gives one bin).

    Args:
        p: probabilities.
        bins: wanted number of bins, >= 1.

    Returns:
        An integer array of bin indices, consecutive from 0.

    Raises:
        ValueError: if ``bins`` < 1.
    """
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    p = np.asarray(p, dtype=float)
    inner = np.quantile(p, np.linspace(0, 1, bins + 1)[1:-1]) if bins > 1 else np.array([])
    raw = np.searchsorted(np.unique(inner), p, side="left")
    _, index = np.unique(raw, return_inverse=True)
    return index.ravel()


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error over equal-frequency bins of ``p``.

    ECE = sum over bins b of (n_b / n) * |mean(p in b) - mean(y in b)|: the average gap, in
    probability points, between what was predicted and what was observed.

    Args:
        y: observed labels.
        p: predicted probabilities.
        bins: number of equal-frequency bins (see ``equal_frequency_bins``).

    Returns:
        The ECE, in [0, 1].
    """
    y, p = check_inputs(y, p)
    index = equal_frequency_bins(p, bins)
    counts = np.bincount(index)
    gap = np.abs(np.bincount(index, weights=p) - np.bincount(index, weights=y)) / counts
    return float(np.sum(counts / len(p) * gap))


def classification_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Discrimination and calibration metrics of predicted probabilities.

    Args:
        y: observed labels (1 = late).
        p: predicted probabilities of being late.

    Returns:
        ``auc``, ``gini`` (2 AUC - 1), ``pr_auc`` (average precision), ``ks`` (max TPR - FPR),
        ``brier``, ``log_loss`` (p clipped to [1e-15, 1 - 1e-15]), ``ece`` (10 equal-frequency
        bins, see ``expected_calibration_error``), ``base_rate`` and ``n``. The first four are
        NaN when ``y`` has a single class.

    Raises:
        ValueError: on invalid inputs (see ``check_inputs``).
    """
    y, p = check_inputs(y, p)
    auc = pr_auc = ks = float("nan")
    if has_both_classes(y):
        auc = float(roc_auc_score(y, p))
        pr_auc = float(average_precision_score(y, p))
        fpr, tpr, _ = roc_curve(y, p)
        ks = float(np.max(tpr - fpr))
    else:
        logger.warning("single-class sample (%d rows): AUC, Gini, KS and PR-AUC are NaN", len(y))
    clipped = np.clip(p, LOG_LOSS_EPS, 1 - LOG_LOSS_EPS)
    log_loss = -np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))
    return {
        "auc": auc,
        "gini": 2 * auc - 1,
        "pr_auc": pr_auc,
        "ks": ks,
        "brier": float(np.mean((p - y) ** 2)),
        "log_loss": float(log_loss),
        "ece": expected_calibration_error(y, p),
        "base_rate": float(np.mean(y)),
        "n": float(len(y)),
    }


def top_share_mask(p: np.ndarray, share: float) -> np.ndarray:
    """Boolean mask of the riskiest ``share`` of rows by ``p``.

    The number of rows kept is ``round(share * n)``, at least 1; among equal probabilities the
    earlier rows are kept (stable order), so the result is deterministic.

    Args:
        p: predicted probabilities.
        share: share of rows to keep, in (0, 1].

    Returns:
        A boolean array, True for the rows kept.

    Raises:
        ValueError: if ``share`` is not in (0, 1].
    """
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}")
    n_top = max(1, round(share * len(p)))
    order = np.argsort(-np.asarray(p, dtype=float), kind="stable")
    mask = np.zeros(len(p), dtype=bool)
    mask[order[:n_top]] = True
    return mask


def capture_top(
    y: np.ndarray, p: np.ndarray, amounts: np.ndarray | None = None, share: float = 0.10
) -> dict[str, float]:
    """Share of the late invoices (and of their amounts) found in the riskiest rows.

    Args:
        y: observed labels (1 = late).
        p: predicted probabilities; the riskiest rows are those with the highest ``p``.
        amounts: invoice amounts (>= 0), or None to skip the amount-weighted capture.
        share: share of the rows, riskiest first, a credit manager would work on.

    Returns:
        ``share``; ``n_top`` rows kept; ``late_captured`` = late rows kept / late rows;
        ``amount_captured`` = amounts of the late rows kept / amounts of the late rows (NaN
        without amounts); ``lift`` = late rate of the rows kept / base rate. Capture and lift
        are NaN when there is no late row.

    Raises:
        ValueError: on invalid inputs, a bad ``share`` or amounts of another length, negative
            or not finite.
    """
    y, p = check_inputs(y, p)
    top = top_share_mask(p, share)
    late = y == 1
    n_late = int(late.sum())
    result = {
        "share": float(share),
        "n_top": float(top.sum()),
        "late_captured": float((late & top).sum() / n_late) if n_late else float("nan"),
        "amount_captured": float("nan"),
        "lift": float(y[top].mean() / y.mean()) if n_late else float("nan"),
    }
    if amounts is not None:
        money = np.asarray(amounts, dtype=float).ravel()
        if len(money) != len(y):
            raise ValueError(f"amounts has {len(money)} values for {len(y)} labels")
        if not np.isfinite(money).all() or (money < 0).any():
            raise ValueError("amounts must be finite and >= 0")
        late_amount = money[late].sum()
        if late_amount > 0:
            result["amount_captured"] = float(money[late & top].sum() / late_amount)
    return result


def _group_labels(groups: pd.Series, n: int, min_rows: int) -> pd.Series:
    """Group labels as strings, missing ones named, small groups pooled into ``(other)``."""
    if len(groups) != n:
        raise ValueError(f"groups has {len(groups)} values for {n} labels")
    labels = pd.Series(groups.to_numpy(), dtype=object)
    labels = labels.where(labels.notna(), MISSING_GROUP).astype(str)
    counts = labels.value_counts()
    small = counts.index[counts < min_rows]
    return labels.where(~labels.isin(small), OTHER_GROUP)


def slice_metrics(
    y: np.ndarray, p: np.ndarray, groups: pd.Series, min_rows: int = 50
) -> pd.DataFrame:
    """Metrics of every group of a slice (sector, legal form, size band, ...).

    Groups are matched to ``y`` and ``p`` by position. Groups with fewer than ``min_rows`` rows
    are pooled into one ``(other)`` group; missing group values form ``(missing)``.

    Args:
        y: observed labels.
        p: predicted probabilities.
        groups: the group of every row.
        min_rows: smallest group reported on its own.

    Returns:
        One row per group, largest first: ``group``, ``n``, ``late``, ``late_rate``, ``p_mean``
        and ``auc`` (NaN when the group has a single class).

    Raises:
        ValueError: on invalid inputs or when ``groups`` has another length.
    """
    y, p = check_inputs(y, p)
    labels = _group_labels(groups, len(y), min_rows)
    rows = []
    for name, index in labels.groupby(labels, sort=False).groups.items():
        y_g, p_g = y[np.asarray(index)], p[np.asarray(index)]
        auc = float(roc_auc_score(y_g, p_g)) if has_both_classes(y_g) else float("nan")
        rows.append(
            {
                "group": str(name),
                "n": len(y_g),
                "late": int(y_g.sum()),
                "late_rate": float(y_g.mean()),
                "p_mean": float(p_g.mean()),
                "auc": auc,
            }
        )
    table = pd.DataFrame(rows, columns=["group", "n", "late", "late_rate", "p_mean", "auc"])
    is_other = table["group"] == OTHER_GROUP
    table = table.assign(_other=is_other).sort_values(["_other", "n"], ascending=[True, False])
    return table.drop(columns="_other").reset_index(drop=True)
