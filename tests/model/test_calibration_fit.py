"""Calibration: JSON round trip, and it actually fixes miscalibrated scores."""

from __future__ import annotations

import numpy as np
import pytest

from risk.errors import ConfigError
from risk.evaluate.metrics import expected_calibration_error
from risk.model.calibration import Calibrator, choose_calibrator, fit_calibrator


def miscalibrated(n: int = 20_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    true_logit = rng.normal(-2.0, 1.2, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-true_logit))).astype(int)
    score = 2.5 * true_logit + 3.0  # overconfident and shifted
    return score, y, 1 / (1 + np.exp(-score))


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibration_reduces_error_and_round_trips(method: str) -> None:
    score, y, naive = miscalibrated()
    calibrator = fit_calibrator(score[:10_000], y[:10_000], method)  # type: ignore[arg-type]
    fixed = calibrator.predict(score[10_000:])
    assert expected_calibration_error(y[10_000:], naive[10_000:]) > 0.1
    assert expected_calibration_error(y[10_000:], fixed) < 0.02
    again = Calibrator.from_dict(calibrator.to_dict())
    np.testing.assert_array_equal(again.predict(score), calibrator.predict(score))


def test_choice_is_reported_and_small_samples_get_sigmoid() -> None:
    score, y, _ = miscalibrated()
    chosen, losses, reason = choose_calibrator(score, y)
    assert set(losses) == {"sigmoid", "isotonic"}
    assert chosen.method in reason and "log loss" in reason
    few, _, why = choose_calibrator(score[:200], y[:200])
    assert few.method == "sigmoid" and "isotonic needs" in why


def test_one_class_and_bad_description_are_refused() -> None:
    with pytest.raises(ConfigError, match="both late and on-time"):
        fit_calibrator(np.array([0.1, 0.2]), np.array([1, 1]), "sigmoid")
    with pytest.raises(ConfigError, match="invalid calibrator"):
        Calibrator.from_dict({"method": "magic", "params": {}})
