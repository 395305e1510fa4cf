"""Probability calibration fitted on the validation window, stored as JSON (no pickle).

Two methods: ``sigmoid`` (Platt scaling of the raw score) and ``isotonic`` (monotone step
function). ``choose_calibrator`` takes the calibration rows in time order: below
``MIN_EVENTS_FOR_ISOTONIC`` late rows it keeps Platt scaling (an isotonic fit on a few dozen
events is a staircase of a few steps, some of them at 0); above, it compares both by
time-ordered cross-validation (each fold fits on the rows before it and is scored on its own)
and refits the one with the lower mean log loss on all rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from risk.errors import ConfigError

Method = Literal["sigmoid", "isotonic"]
MIN_EVENTS_FOR_ISOTONIC = 300
CV_FOLDS = 3
EPS = 1e-6


@dataclass(frozen=True)
class Calibrator:
    """A fitted map from raw model score to calibrated probability."""

    method: Method
    params: dict[str, Any]

    def predict(self, raw_score: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for raw scores (LightGBM margins or baseline logits)."""
        score = np.asarray(raw_score, dtype="float64")
        if self.method == "sigmoid":
            z = self.params["a"] * score + self.params["b"]
            out = 1.0 / (1.0 + np.exp(-z))
        else:
            out = np.interp(score, self.params["x"], self.params["y"])
        return np.clip(out, EPS, 1 - EPS)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "params": self.params}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibrator:
        """Rebuild from ``to_dict`` output.

        Raises:
            ConfigError: unknown method or missing parameters.
        """
        method = data.get("method")
        params = data.get("params", {})
        needed = {"sigmoid": {"a", "b"}, "isotonic": {"x", "y"}}.get(str(method))
        if needed is None or not needed <= set(params):
            raise ConfigError(f"invalid calibrator description: {data!r}")
        return cls(method=method, params=params)  # type: ignore[arg-type]


def fit_calibrator(raw_score: np.ndarray, y: np.ndarray, method: Method) -> Calibrator:
    """Fit one calibration method.

    Raises:
        ConfigError: fewer than two classes in ``y``.
    """
    score = np.asarray(raw_score, dtype="float64")
    target = np.asarray(y, dtype="int64")
    if np.unique(target).size < 2:
        raise ConfigError("calibration needs both late and on-time rows in the validation window")
    if method == "sigmoid":
        model = LogisticRegression(C=1e6, max_iter=1000).fit(score.reshape(-1, 1), target)
        return Calibrator(
            "sigmoid", {"a": float(model.coef_[0, 0]), "b": float(model.intercept_[0])}
        )
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(score, target)
    return Calibrator(
        "isotonic",
        {"x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist()},
    )


def _time_ordered_folds(n: int, n_folds: int) -> list[tuple[slice, slice]]:
    """Expanding folds over rows in time order: fold k fits on the first k parts."""
    bounds = np.linspace(0, n, n_folds + 2).astype(int)
    return [(slice(0, bounds[k]), slice(bounds[k], bounds[k + 1])) for k in range(1, n_folds + 1)]


def _cv_log_loss(score: np.ndarray, target: np.ndarray, method: Method, n_folds: int) -> float:
    losses = []
    for fit, check in _time_ordered_folds(len(target), n_folds):
        try:
            fitted = fit_calibrator(score[fit], target[fit], method)
        except ConfigError:
            return float("inf")
        losses.append(log_loss(target[check], fitted.predict(score[check]), labels=[0, 1]))
    return float(np.mean(losses))


def choose_calibrator(
    raw_score: np.ndarray,
    y: np.ndarray,
    min_events_for_isotonic: int = MIN_EVENTS_FOR_ISOTONIC,
    n_folds: int = CV_FOLDS,
) -> tuple[Calibrator, dict[str, float], str]:
    """Pick sigmoid or isotonic for calibration rows given in time order (see module docs).

    Returns:
        The calibrator refitted on all rows, the cross-validated log loss of each method
        compared (empty when the size rule decided), and a sentence saying why.

    Raises:
        ConfigError: fewer than two classes in ``y``.
    """
    score = np.asarray(raw_score, dtype="float64")
    target = np.asarray(y, dtype="int64")
    events = int(target.sum())
    if events < min_events_for_isotonic:
        reason = (
            f"sigmoid (Platt): {events} late rows in {len(target)} calibration rows "
            f"(isotonic needs >= {min_events_for_isotonic})"
        )
        return fit_calibrator(score, target, "sigmoid"), {}, reason
    losses = {m: _cv_log_loss(score, target, m, n_folds) for m in ("sigmoid", "isotonic")}
    best: Method = "isotonic" if losses["isotonic"] < losses["sigmoid"] else "sigmoid"
    reason = (
        f"{best}: time-ordered {n_folds}-fold log loss sigmoid {losses['sigmoid']:.4f} vs "
        f"isotonic {losses['isotonic']:.4f} on {len(target)} calibration rows ({events} late)"
    )
    return fit_calibrator(score, target, best), losses, reason
