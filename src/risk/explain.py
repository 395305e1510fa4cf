"""Reason codes: which features pushed a score up or down, as sentences a credit manager reads.

Contributions come from LightGBM's native TreeSHAP (``pred_contrib``), identical to shap's
TreeExplainer and far cheaper; they are in log-odds and add up, with the base value, to the raw
score. Each contribution is mapped through the calibration to probability points: the impact of
a feature is ``p(raw score) - p(raw score without that feature's contribution)``. SHAP costs
about 500 plain predictions, so it runs on demand (one prediction, the worklist), never by
default over a whole portfolio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk.features.registry import feature_specs
from risk.features.spec import FeatureSpec
from risk.model.bundle import RiskModel

DEFAULT_TOP = 3


@dataclass(frozen=True)
class Reason:
    """One driver of one prediction.

    Attributes:
        feature: feature name (registry).
        value: the client's value of the feature (None when missing).
        contribution: SHAP value in log-odds.
        impact: effect on the calibrated probability, in probability points (signed).
        text_en: the sentence in English.
        text_fr: the sentence in French.
    """

    feature: str
    value: object
    contribution: float
    impact: float
    text_en: str
    text_fr: str

    @property
    def direction(self) -> str:
        return "up" if self.contribution > 0 else "down"

    def text(self, lang: str = "en") -> str:
        return self.text_fr if lang == "fr" else self.text_en


def contributions(model: RiskModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Full SHAP contributions (log-odds) of every model input plus ``base_value``, one row per
    row of ``frame`` (same index). Rows add up to the raw score."""
    return model.contributions(model.prepare(frame))


def probability_impacts(model: RiskModel, contrib: pd.DataFrame) -> pd.DataFrame:
    """Each contribution as probability points through the calibrator (signed)."""
    raw = contrib.sum(axis=1).to_numpy()
    p_full = model.calibrator.predict(raw)
    features = contrib.drop(columns="base_value")
    without = raw[:, None] - features.to_numpy()
    p_without = model.calibrator.predict(without.ravel()).reshape(without.shape)
    return pd.DataFrame(p_full[:, None] - p_without, columns=features.columns, index=contrib.index)


def _specs() -> dict[str, FeatureSpec]:
    return {spec.name: spec for spec in feature_specs()}


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def sentence(spec: FeatureSpec | None, name: str, value: object, lang: str) -> str:
    """The registry sentence with the value, or a plain fallback for unregistered features."""
    if spec is None:
        return f"{name} = {value}"
    try:
        return spec.reason(value, lang)
    except (ValueError, TypeError):  # e.g. a numeric format applied to a category
        return f"{spec.description_fr if lang == 'fr' else spec.description_en} ({value})"


def top_reasons(
    model: RiskModel,
    frame: pd.DataFrame,
    top: int = DEFAULT_TOP,
    direction: str = "both",
    inputs: pd.DataFrame | None = None,
) -> list[list[Reason]]:
    """The ``top`` drivers of each row's score: up (raising the risk), down, or both.

    Features whose value is missing are not turned into sentences (they stay in the full
    contributions); ``both`` returns the ``top`` strongest upward then the ``top`` strongest
    downward drivers. ``inputs``: ``model.prepare(frame)`` when the caller already has it.
    """
    if frame.empty:
        return []
    if inputs is None:
        inputs = model.prepare(frame)
    contrib = model.contributions(inputs)
    impacts = probability_impacts(model, contrib).to_numpy()
    values = contrib.drop(columns="base_value").to_numpy()
    missing = inputs.isna().to_numpy()
    cells = inputs.to_numpy(dtype=object)  # one conversion, not a pandas lookup per reason
    specs = _specs()
    names = list(inputs.columns)
    out: list[list[Reason]] = []
    for row in range(len(inputs)):
        chosen: list[int] = []
        signs = {"up": (1,), "down": (-1,), "both": (1, -1)}[direction]
        for sign in signs:
            scores = np.where(
                missing[row] | (np.sign(values[row]) != sign), -np.inf, sign * values[row]
            )
            order = np.argsort(-scores, kind="stable")[:top]
            chosen.extend(int(i) for i in order if np.isfinite(scores[i]) and scores[i] > 0)
        reasons = []
        for col in chosen:
            name = names[col]
            value = cells[row, col]
            value = (
                None if _is_missing(value) else (value.item() if hasattr(value, "item") else value)
            )
            reasons.append(
                Reason(
                    name,
                    value,
                    float(values[row, col]),
                    float(impacts[row, col]),
                    sentence(specs.get(name), name, value, "en"),
                    sentence(specs.get(name), name, value, "fr"),
                )
            )
        out.append(reasons)
    return out


def reasons_text(reasons: list[Reason], lang: str = "en", sep: str = "; ") -> str:
    """Upward drivers as one line, e.g. for a worklist column."""
    return sep.join(r.text(lang) for r in reasons if r.direction == "up")
