"""Probability calibration fitted on the validation window, stored as JSON (no pickle).

Two methods: ``sigmoid`` (Platt scaling of the raw score) and ``isotonic`` (monotone step
function). ``choose_calibrator`` fits both on the first part of the validation window (in time
order), keeps the one with the lower log loss on the rest, and refits it on the whole window.
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
MIN_POSITIVES_FOR_ISOTONIC = 50
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


def choose_calibrator(
    raw_score: np.ndarray, y: np.ndarray, fit_share: float = 0.6
) -> tuple[Calibrator, dict[str, float], str]:
    """Pick sigmoid or isotonic on held-out validation rows (given in time order).

    Returns:
        The calibrator refitted on all rows, the held-out log loss of each method, and a
        sentence saying why the method was chosen.
    """
    target = np.asarray(y, dtype="int64")
    if target.sum() < MIN_POSITIVES_FOR_ISOTONIC:
        reason = (
            f"sigmoid: only {int(target.sum())} late rows in the validation window "
            f"(isotonic needs >= {MIN_POSITIVES_FOR_ISOTONIC})"
        )
        return fit_calibrator(raw_score, target, "sigmoid"), {}, reason
    cut = int(len(target) * fit_share)
    losses: dict[str, float] = {}
    for method in ("sigmoid", "isotonic"):
        try:
            fitted = fit_calibrator(raw_score[:cut], target[:cut], method)  # type: ignore[arg-type]
            losses[method] = float(
                log_loss(target[cut:], fitted.predict(raw_score[cut:]), labels=[0, 1])
            )
        except ConfigError:
            losses[method] = float("inf")
    best: Method = "isotonic" if losses["isotonic"] < losses["sigmoid"] else "sigmoid"
    reason = (
        f"{best}: held-out log loss sigmoid {losses['sigmoid']:.4f} vs isotonic "
        f"{losses['isotonic']:.4f} on the last {1 - fit_share:.0%} of the validation window"
    )
    return fit_calibrator(raw_score, target, best), losses, reason
