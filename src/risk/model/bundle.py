"""The fitted model as one object: input preparation, LightGBM, calibration, metadata.

``RiskModel`` is what the registry stores and what every scoring path (service, batch,
notebooks) calls. It is serialised without pickle: LightGBM's own text format for the trees and
JSON for everything else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from risk.errors import RiskError
from risk.features.sector import FEW_ROWS, SectorLatenessEncoder, is_missing
from risk.features.sector import OUTPUT_NAME as SECTOR_RATE
from risk.model.calibration import Calibrator

SECTOR_INPUTS = ["naf_section", "naf_division"]
BUNDLE_FILE = "risk_model.json"
#: below this many rows LightGBM predicts on one thread: waking its OpenMP pool costs more
#: than the trees (one customer: 18 ms with the pool on a busy machine, 0.1 ms without)
SINGLE_THREAD_ROWS = 2_000


class ModelInputError(RiskError):
    """A features frame lacks what the model needs."""


def encoder_state(encoder: SectorLatenessEncoder) -> dict[str, Any]:
    """JSON-able learned state of a fitted sector encoder."""
    return {
        "smoothing": float(encoder.smoothing),
        "overall_rate": float(encoder.overall_rate_),
        "rates": [{str(k): float(v) for k, v in rates.items()} for rates in encoder.rates_],
    }


def encoder_from_state(state: dict[str, Any]) -> SectorLatenessEncoder:
    """Rebuild a fitted encoder from ``encoder_state`` output."""
    encoder = SectorLatenessEncoder(smoothing=state["smoothing"])
    encoder.overall_rate_ = state["overall_rate"]
    encoder.rates_ = [dict(rates) for rates in state["rates"]]
    encoder.n_features_in_ = len(SECTOR_INPUTS)
    encoder.feature_names_in_ = np.array(SECTOR_INPUTS, dtype=object)
    return encoder


def sector_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """The encoder's input columns as plain text (missing stays missing)."""
    return pd.DataFrame(
        {
            name: frame[name].astype("object").where(frame[name].notna(), None)
            for name in SECTOR_INPUTS
        }
    )


def sector_columns(frame: pd.DataFrame) -> list[np.ndarray]:
    """``sector_inputs(frame)``'s columns as object arrays; a few rows (one customer's score)
    value by value, without building a frame."""
    if len(frame) > FEW_ROWS:
        inputs = sector_inputs(frame)
        return [inputs[name].to_numpy() for name in SECTOR_INPUTS]
    return [
        np.array(
            [None if is_missing(v) else v for v in frame[name].astype("object").tolist()],
            dtype=object,
        )
        for name in SECTOR_INPUTS
    ]


def as_known_categories(column: pd.Series, known: list[str]) -> pd.Series:
    """``column`` as a categorical over the training categories ``known`` (kept as text).

    Values compare by their text, so a feature computed as the integer 3 matches the training
    category "3"; a value not seen in training becomes missing, as LightGBM expects.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        text = [str(c) for c in column.cat.categories]
        if len(set(text)) == len(text):
            renamed = column.cat.rename_categories(text)
            return renamed.cat.set_categories(known)
    if pd.api.types.is_float_dtype(column.dtype):
        whole = column.dropna()
        if (whole == np.round(whole)).all():
            column = column.astype("Int64")  # 3.0 (an integer with missing values) is "3"
    values = column.astype("object")
    present = values.notna()
    values = values.where(~present, values[present].map(str)).where(present, None)
    return pd.Series(pd.Categorical(values).set_categories(known), index=column.index)


@dataclass
class RiskModel:
    """A calibrated late-payment model for one level (invoice or customer).

    Attributes:
        level: ``invoice`` or ``customer``.
        features: model input columns, in LightGBM's order.
        categories: the categories of each categorical input, as seen in training.
        booster: the LightGBM model.
        calibrator: raw score -> calibrated probability.
        sector: learned state of the sector encoder, or None when the ledger had no sector.
        metadata: training window, late-after days, metrics, fingerprint (JSON-able).
    """

    level: str
    features: list[str]
    categories: dict[str, list[str]]
    booster: lgb.Booster
    calibrator: Calibrator
    sector: dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def prepare(
        self, frame: pd.DataFrame, like: tuple[RiskModel, pd.DataFrame] | None = None
    ) -> pd.DataFrame:
        """Model inputs from a features frame: sector rate added, dtypes and order fixed.

        ``like``: another model and its ``prepare`` of the same ``frame``; its inputs are
        reused where this model would compute the very same column (a number that is not the
        sector rate, a categorical over the same training categories).

        Raises:
            ModelInputError: a needed column is missing from ``frame``.
        """
        reusable = self._reusable(like)
        sector: dict[str, np.ndarray] = {}
        if self.sector is not None:
            self._require(frame, SECTOR_INPUTS)
            rate = self._encoder().rates_of(sector_columns(frame))
            sector[SECTOR_RATE] = rate.ravel()
        self._require(frame, [name for name in self.features if name not in sector])
        columns: dict[str, object] = {}
        for name in self.features:
            if name in sector:
                columns[name] = sector[name]
            elif name in reusable:
                columns[name] = reusable[name]
            elif name in self.categories:
                columns[name] = as_known_categories(frame[name], self.categories[name]).array
            else:
                columns[name] = frame[name].to_numpy(dtype="float64", na_value=np.nan)
        return pd.DataFrame(columns, index=frame.index, copy=False)

    def _reusable(self, like: tuple[RiskModel, pd.DataFrame] | None) -> dict[str, object]:
        """The columns of ``like``'s inputs this model would prepare the same way."""
        if like is None:
            return {}
        other, inputs = like
        out: dict[str, object] = {}
        for name in set(self.features) & set(other.features) & set(inputs.columns):
            if name == SECTOR_RATE:
                continue  # each model's own encoder
            if (name in self.categories) != (name in other.categories):
                continue
            if name in self.categories and self.categories[name] != other.categories[name]:
                continue
            out[name] = inputs[name].array if name in self.categories else inputs[name].to_numpy()
        return out

    def _encoder(self) -> SectorLatenessEncoder:
        """The fitted sector encoder, rebuilt from ``sector`` once per model."""
        encoder = self.__dict__.get("_sector_encoder")
        if encoder is None:
            encoder = encoder_from_state(self.sector or {})
            self.__dict__["_sector_encoder"] = encoder
        return encoder

    def _require(self, frame: pd.DataFrame, names: list[str]) -> None:
        missing = [name for name in names if name not in frame.columns]
        if missing:
            raise ModelInputError(
                f"the {self.level} model needs column(s) {', '.join(missing)} that the features "
                "frame does not have (was the ledger missing a table or column?)"
            )

    def _predict(self, inputs: pd.DataFrame, **kwargs: Any) -> np.ndarray:
        """``booster.predict`` of prepared inputs; small inputs as a matrix, on one thread."""
        iteration = self.booster.best_iteration or None
        if len(inputs) >= SINGLE_THREAD_ROWS:
            return self.booster.predict(inputs, num_iteration=iteration, **kwargs)
        matrix = self._matrix(inputs)
        return self.booster.predict(
            inputs if matrix is None else matrix, num_iteration=iteration, num_threads=1, **kwargs
        )

    def _matrix(self, inputs: pd.DataFrame) -> np.ndarray | None:
        """Prepared inputs as LightGBM's float matrix (a categorical as its code in the
        training categories, missing as NaN), what ``booster.predict`` makes of a frame; None
        when a categorical column's categories are not the booster's (let LightGBM map them).
        """
        known = iter(self.booster.pandas_categorical or [])
        columns: list[np.ndarray] = []
        for name in inputs.columns:
            column = inputs[name]
            if isinstance(column.dtype, pd.CategoricalDtype):
                if list(column.cat.categories) != list(next(known, [])):
                    return None
                codes = column.cat.codes.to_numpy().astype("float64")
                codes[codes < 0] = np.nan
                columns.append(codes)
            else:
                columns.append(column.to_numpy(dtype="float64", na_value=np.nan))
        if next(known, None) is not None:
            return None
        return np.column_stack(columns) if columns else None

    def raw_score(self, inputs: pd.DataFrame) -> np.ndarray:
        """Log-odds of prepared inputs (see ``prepare``)."""
        return np.asarray(self._predict(inputs, raw_score=True), dtype="float64")

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of late payment for each row of a features frame."""
        if frame.empty:
            return np.zeros(0, dtype="float64")
        return self.predict_prepared(self.prepare(frame))

    def predict_prepared(self, inputs: pd.DataFrame) -> np.ndarray:
        """``predict_proba`` of inputs already prepared (see ``prepare``), e.g. shared with the
        explanation of the same rows."""
        if inputs.empty:
            return np.zeros(0, dtype="float64")
        return self.calibrator.predict(self.raw_score(inputs))

    def same_inputs(self, other: RiskModel) -> bool:
        """Whether ``prepare`` gives ``other`` the very inputs it gives this model."""
        return (
            self.features == other.features
            and self.categories == other.categories
            and self.sector == other.sector
        )

    def contributions(self, inputs: pd.DataFrame) -> pd.DataFrame:
        """TreeSHAP contributions (log-odds) per input, plus ``base_value``; they add up to the
        raw score."""
        values = self._predict(inputs, pred_contrib=True)
        return pd.DataFrame(values, columns=[*self.features, "base_value"], index=inputs.index)

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "features": self.features,
            "categories": self.categories,
            "calibrator": self.calibrator.to_dict(),
            "sector": self.sector,
            "metadata": self.metadata,
        }

    def save(self, directory: Path) -> None:
        """Write ``model.txt`` (LightGBM text format) and ``risk_model.json``."""
        directory.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(directory / "model.txt"))
        (directory / BUNDLE_FILE).write_text(json.dumps(self.to_json(), indent=2, sort_keys=True))

    @classmethod
    def from_parts(cls, booster: lgb.Booster, bundle: dict[str, Any]) -> RiskModel:
        """Rebuild from a booster and the JSON written by ``to_json``."""
        return cls(
            level=bundle["level"],
            features=list(bundle["features"]),
            categories={k: list(v) for k, v in bundle["categories"].items()},
            booster=booster,
            calibrator=Calibrator.from_dict(bundle["calibrator"]),
            sector=bundle.get("sector"),
            metadata=dict(bundle.get("metadata", {})),
        )

    @classmethod
    def load(cls, directory: Path) -> RiskModel:
        """Read what ``save`` wrote."""
        booster = lgb.Booster(model_file=str(directory / "model.txt"))
        bundle = json.loads((directory / BUNDLE_FILE).read_text())
        return cls.from_parts(booster, bundle)
