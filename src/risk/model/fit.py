"""Fit one level's models on time windows: LightGBM (+ tuning), calibration, baseline.

Pure with respect to MLflow: ``fit_models`` returns everything ``risk.train`` logs. Nothing
here looks at the out-of-time test window except ``score_test``.

Early stopping on the first half of the validation window, calibration on the second half,
then a refit on every row matured by the end of validation with the rounds early stopping
chose (see ``risk.model.split``).

The calibrator maps the refitted booster's scores, so the calibration rows must be scored by
models fitted like it on data that never held them. Two ways (``FitConfig.calibration_scores``):

* ``"customer folds"`` (default): the refit window's customers are split into
  ``calibration_folds`` groups; each group's calibration rows are scored by a booster fitted,
  like the refit one (same rounds), on the refit rows of the other customers. Each scoring
  model has (k-1)/k of the refit rows, so its scores spread like the refitted model's; a
  customer's own rows never score it. Other customers' outcomes of the same months are seen.
* ``"time"``: one booster fitted on the refit rows matured before the calibration half starts
  (out of time, but on fewer rows: its scores spread less than the refitted model's, which
  made the calibrated customer model worse, issue 19).

The rows of a fit are prepared once (``_Inputs``: categories, floats, column order); each of
its boosters (early stopping, calibration folds, refit) and the baselines take their rows from
there and only the sector rate, whose encoder each booster learns on its own rows, is computed
per booster. The fold boosters themselves cannot be spared: each must be fitted, like the
refitted one, with its rounds on its own rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline

from risk.features import SectorLatenessEncoder
from risk.features.registry import monotone_constraints
from risk.features.sector import OUTPUT_NAME as SECTOR_RATE
from risk.model.baseline import fit_scorecard
from risk.model.bundle import SECTOR_INPUTS, RiskModel, encoder_state, sector_inputs
from risk.model.calibration import choose_calibrator
from risk.model.dataset import TrainingData
from risk.model.distributed import Trainer
from risk.model.lgbm import LightGBMConfig, train_lightgbm
from risk.model.scorecard import WoEScorecard
from risk.model.split import SplitMasks, TimeWindows, expanding_folds, validation_halves
from risk.model.tune import TrialCallback, tune

logger = logging.getLogger(__name__)

SCORECARD = "WoE scorecard"
VOLUME_BASELINE = "volume-only baseline"
#: How much the customer trades: counts and amounts, no payment behaviour. A customer model
#: that does not beat a LightGBM on these alone measures volume, not behaviour (issue 19).
VOLUME_FEATURES: tuple[str, ...] = (
    "n_invoices_settled_12m",
    "n_invoices_settled_total",
    "n_invoices_issued_total",
    "n_open_invoices",
    "open_amount_total",
    "open_invoice_amount_max",
)


@dataclass(frozen=True)
class VolumeBaseline:
    """A LightGBM on the volume features only (customer level): the baseline to beat."""

    features: list[str]
    booster: Any

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Probability of the event from the volume features of ``frame`` (uncalibrated)."""
        raw = self.booster.predict(frame[self.features].astype("float64"), raw_score=True)
        return 1.0 / (1.0 + np.exp(-np.asarray(raw, dtype=np.float64)))


@dataclass(frozen=True)
class FitConfig:
    """Controls of the model fit.

    Attributes:
        seed: the one seed of LightGBM, Optuna and the baseline.
        n_trials: Optuna trials (0: default parameters).
        cv_folds: time-ordered folds inside the training window for tuning.
        sector_smoothing: pseudo-observations of the sector encoder.
        lightgbm: LightGBM parameters and controls.
        refit: refit the booster and the baseline on train + validation with the rounds
            chosen by early stopping (False: keep the train-only booster).
        calibration_scores: how the calibration rows are scored for a refitted booster
            (module docstring): by customer folds of the refit window, or out of time.
        calibration_folds: customer folds of ``"customer folds"``.
    """

    seed: int = 42
    n_trials: int = 0
    cv_folds: int = 3
    sector_smoothing: float = 20.0
    lightgbm: LightGBMConfig = field(default_factory=LightGBMConfig)
    refit: bool = True
    calibration_scores: Literal["customer folds", "time"] = "customer folds"
    calibration_folds: int = 5


@dataclass(frozen=True)
class FittedModels:
    """The calibrated LightGBM model, the baseline and how they were obtained.

    ``rounds`` is the number of trees early stopping chose; ``rows`` counts the rows of each
    step (train, early stopping, calibration, refit).
    """

    model: RiskModel
    baseline: Pipeline
    baseline_features: list[str]
    params: dict[str, Any]
    calibration_reason: str
    calibration_losses: dict[str, float]
    tuning_loss: float | None
    rounds: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    scorecard: WoEScorecard | None = None
    volume: VolumeBaseline | None = None


def _sector_state(data: TrainingData, train: np.ndarray, smoothing: float) -> dict[str, Any] | None:
    if not all(name in data.frame.columns for name in SECTOR_INPUTS):
        return None
    encoder = SectorLatenessEncoder(smoothing=smoothing)
    encoder.fit(sector_inputs(data.frame.loc[train, SECTOR_INPUTS]), data.y[train])
    return encoder_state(encoder)


def _categories(data: TrainingData, train: np.ndarray) -> dict[str, list[str]]:
    """Categories of each categorical feature, as declared by the training frame's dtype."""
    out: dict[str, list[str]] = {}
    for name in data.categorical:
        column = data.frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            out[name] = [str(c) for c in column.cat.categories]
        else:
            out[name] = sorted(str(v) for v in column[train].dropna().unique())
    return out


def _shell(
    data: TrainingData, rows: np.ndarray, smoothing: float, categories: dict[str, list[str]]
) -> RiskModel:
    """A model without booster nor calibrator whose sector encoder is fitted on ``rows``."""
    sector = _sector_state(data, rows, smoothing)
    features = [*data.features, SECTOR_RATE] if sector is not None else list(data.features)
    return RiskModel(
        level=data.level,
        features=features,
        categories=categories,
        booster=None,  # type: ignore[arg-type]
        calibrator=None,  # type: ignore[arg-type]
        sector=sector,
    )


def fit_models(
    data: TrainingData,
    masks: SplitMasks,
    windows: TimeWindows,
    config: FitConfig,
    on_trial: TrialCallback | None = None,
    progress: Callable[[str], None] = lambda stage: None,
    trainer: Trainer = train_lightgbm,
) -> FittedModels:
    """Fit encoder and LightGBM on train, early-stop on the first half of valid, calibrate on
    its second half, then refit booster, encoder and baseline on every row matured by the end
    of valid with the chosen rounds (``config.refit``).

    ``trainer`` fits the booster: in this process by default, or on a Dask cluster
    (:func:`risk.model.distributed.training_engine`). Tuning trials always run here.
    """
    refit_rows = masks.refit if masks.refit is not None else masks.train | masks.valid
    categories = _categories(data, refit_rows if config.refit else masks.train)
    shell = _shell(data, masks.train, config.sector_smoothing, categories)
    features = shell.features
    stop, calibrate = validation_halves(data.as_of, masks.valid)
    inputs = _Inputs.prepare(data, masks.train | masks.valid | refit_rows, categories)
    X_train = inputs.of(shell, masks.train)  # noqa: N806
    y = data.y
    monotone = monotone_constraints(features)
    params, tuning_loss = dict(config.lightgbm.params), None
    if config.n_trials > 0:
        progress("tuning")
        folds = expanding_folds(
            data.as_of[masks.train].reset_index(drop=True),
            data.matured_on[masks.train].reset_index(drop=True),
            config.cv_folds,
        )
        params, tuning_loss = tune(
            X_train.reset_index(drop=True),
            y[masks.train],
            folds,
            monotone=monotone,
            seed=config.seed,
            n_trials=config.n_trials,
            on_trial=on_trial,
        )
    progress("lightgbm")
    lgb_config = replace(config.lightgbm, params=params)
    booster = trainer(
        X_train,
        y[masks.train],
        inputs.of(shell, stop),
        y[stop],
        monotone=monotone,
        seed=config.seed,
        config=lgb_config,
        groups=data.frame.loc[masks.train, "customer_id"].to_numpy(),
    )
    rounds = int(booster.best_iteration or booster.num_trees())
    progress("calibration")
    shell.booster = booster
    if config.refit and calibrate.any():
        lgb_refit = replace(lgb_config, num_boost_round=rounds)
        fold_fit = _FoldFit(data, inputs, categories, monotone, config, lgb_refit, trainer)
        raw = (
            _customer_fold_scores(fold_fit, refit_rows, calibrate, config.calibration_folds)
            if config.calibration_scores == "customer folds"
            else _out_of_time_scores(fold_fit, refit_rows, calibrate)
        )
    else:
        raw = shell.raw_score(inputs.of(shell, calibrate))
    calibrator, losses, reason = choose_calibrator(raw, y[calibrate])
    if config.refit and calibrate.any():
        reason += (
            f"; calibration rows scored by {config.calibration_folds} customer-fold boosters "
            "of the refit window"
            if config.calibration_scores == "customer folds"
            else "; calibration rows scored by a booster fitted on the rows matured before them"
        )
    fit_rows, fit_inputs = masks.train, X_train
    if config.refit:
        progress("refit")
        fit_rows = refit_rows
        shell = _shell(data, refit_rows, config.sector_smoothing, categories)
        fit_inputs = inputs.of(shell, refit_rows)
        booster = trainer(
            fit_inputs,
            y[refit_rows],
            None,
            None,
            monotone=monotone,
            seed=config.seed,
            config=replace(lgb_config, num_boost_round=rounds),
            groups=data.frame.loc[refit_rows, "customer_id"].to_numpy(),
        )
    model = RiskModel(
        shell.level,
        features,
        categories,
        booster,
        calibrator,
        shell.sector,
        metadata={"windows": windows.as_dict(), "params": params, "rounds": rounds},
    )
    progress("baseline")
    numeric = [name for name in features if name not in categories]
    baseline = fit_scorecard(fit_inputs, y[fit_rows], numeric, list(categories), config.seed)
    scorecard = WoEScorecard(random_state=config.seed).fit(fit_inputs, y[fit_rows])
    volume = (
        fit_volume_baseline(data, masks.train, stop, fit_rows if config.refit else None, config)
        if data.level == "customer"
        else None
    )
    rows = {
        "train": int(masks.train.sum()),
        "early stopping": int(stop.sum()),
        "calibration": int(calibrate.sum()),
        "refit": int(fit_rows.sum()) if config.refit else 0,
    }
    return FittedModels(
        model,
        baseline,
        features,
        params,
        reason,
        losses,
        tuning_loss,
        rounds,
        rows,
        scorecard,
        volume,
    )


@dataclass(frozen=True)
class _Inputs:
    """Model inputs of the rows ``rows`` of the training frame, prepared once.

    Categorical columns over the training categories and numbers as floats, in LightGBM's
    column order: what ``RiskModel.prepare`` gives every model of one fit. Only the sector
    rate depends on the model (each fit learns its encoder on its own rows): :meth:`of` adds
    it. Each booster of a fit (early stopping, calibration folds, refit, baselines) reads its
    rows from here instead of copying and preparing the frame again.
    """

    rows: np.ndarray
    base: pd.DataFrame
    sector: list[np.ndarray] | None

    @classmethod
    def prepare(
        cls, data: TrainingData, rows: np.ndarray, categories: dict[str, list[str]]
    ) -> _Inputs:
        """Prepare the ``rows`` (boolean mask over ``data.frame``) once."""
        has_sector = all(name in data.frame.columns for name in SECTOR_INPUTS)
        needed = [*data.features, *(name for name in SECTOR_INPUTS if name not in data.features)]
        frame = data.frame.loc[rows, needed if has_sector else list(data.features)]
        plain = RiskModel(data.level, list(data.features), categories, None, None)  # type: ignore[arg-type]
        sector = sector_inputs(frame) if has_sector else None
        return cls(
            rows,
            plain.prepare(frame),
            [sector[name].to_numpy() for name in SECTOR_INPUTS] if sector is not None else None,
        )

    def of(self, model: RiskModel, rows: np.ndarray) -> pd.DataFrame:
        """``model.prepare(data.frame[rows])``, ``rows`` a mask within the prepared rows."""
        if (rows & ~self.rows).any():
            raise ValueError("rows outside the prepared rows of the fit")
        inside = rows[self.rows]
        inputs = self.base[inside]
        if model.sector is None or self.sector is None:
            return inputs
        rate = model._encoder().rates_of([values[inside] for values in self.sector])
        return inputs.assign(**{SECTOR_RATE: rate.ravel()})  # last, as in ``_shell``


@dataclass(frozen=True)
class _FoldFit:
    """Fits a booster like the refitted one (encoder, rounds, constraints) on some rows."""

    data: TrainingData
    inputs: _Inputs
    categories: dict[str, list[str]]
    monotone: list[int]
    config: FitConfig
    lightgbm: LightGBMConfig
    trainer: Trainer

    def raw_scores(self, fit: np.ndarray, score: np.ndarray) -> np.ndarray:
        """Raw scores of the ``score`` rows by a booster fitted on the ``fit`` rows."""
        data = self.data
        model = _shell(data, fit, self.config.sector_smoothing, self.categories)
        model.booster = self.trainer(
            self.inputs.of(model, fit),
            data.y[fit],
            None,
            None,
            monotone=self.monotone,
            seed=self.config.seed,
            config=self.lightgbm,
            groups=data.frame.loc[fit, "customer_id"].to_numpy(),
        )
        return model.raw_score(self.inputs.of(model, score))


def _customer_fold_scores(
    fold_fit: _FoldFit, refit: np.ndarray, calibrate: np.ndarray, n_folds: int
) -> np.ndarray:
    """Raw scores of the calibration rows (in row order), each by a booster fitted on the
    refit rows of the customers outside its fold."""
    customers = fold_fit.data.frame["customer_id"].astype(str).to_numpy()
    rows = np.flatnonzero(refit | calibrate)
    n_folds = min(n_folds, len(np.unique(customers[rows])))
    scores = np.full(len(customers), np.nan)
    for _, held in GroupKFold(n_folds).split(rows, groups=customers[rows]):
        out = np.zeros(len(customers), dtype=bool)
        out[rows[held]] = True
        fit, score = refit & ~out, calibrate & out
        if score.any():
            scores[score] = fold_fit.raw_scores(fit, score)
    return scores[calibrate]


def _out_of_time_scores(fold_fit: _FoldFit, refit: np.ndarray, calibrate: np.ndarray) -> np.ndarray:
    """Raw scores of the calibration rows by a booster fitted on the refit rows matured
    before the first of them."""
    data = fold_fit.data
    first = np.datetime64(data.as_of[calibrate].min())
    before = refit & (data.matured_on.to_numpy() <= first)
    return fold_fit.raw_scores(before, calibrate)


def fit_volume_baseline(
    data: TrainingData,
    train: np.ndarray,
    stop: np.ndarray,
    refit: np.ndarray | None,
    config: FitConfig,
) -> VolumeBaseline | None:
    """LightGBM on :data:`VOLUME_FEATURES` (those in the frame), fitted like the champion:
    early-stopped on ``stop``, then refitted on ``refit`` with the chosen rounds (when given).
    None when the frame has none of them."""
    names = [name for name in VOLUME_FEATURES if name in data.frame.columns]
    if not names:
        return None
    frame = data.frame[names].astype("float64")
    y = data.y
    monotone = [0] * len(names)
    booster = train_lightgbm(
        frame[train],
        y[train],
        frame[stop],
        y[stop],
        monotone=monotone,
        seed=config.seed,
        config=config.lightgbm,
    )
    if refit is not None:
        rounds = int(booster.best_iteration or booster.num_trees())
        booster = train_lightgbm(
            frame[refit],
            y[refit],
            None,
            None,
            monotone=monotone,
            seed=config.seed,
            config=replace(config.lightgbm, num_boost_round=rounds),
        )
    return VolumeBaseline(names, booster)


def score_test(fitted: FittedModels, data: TrainingData, test: np.ndarray) -> dict[str, np.ndarray]:
    """Probabilities of the out-of-time test rows: calibrated and raw LightGBM, baseline."""
    inputs = fitted.model.prepare(data.frame[test])
    raw = fitted.model.raw_score(inputs)
    return {
        "LightGBM (calibrated)": fitted.model.calibrator.predict(raw),
        "LightGBM (uncalibrated)": 1.0 / (1.0 + np.exp(-raw)),
        "logistic baseline": fitted.baseline.predict_proba(inputs)[:, 1],
        **(
            {SCORECARD: fitted.scorecard.predict_proba(inputs)[:, 1]}
            if fitted.scorecard is not None
            else {}
        ),
        **(
            {VOLUME_BASELINE: fitted.volume.predict_proba(data.frame[test])}
            if fitted.volume is not None
            else {}
        ),
    }
