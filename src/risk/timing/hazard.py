"""A discrete-time model of the payment week, fitted with LightGBM on (row, week) pairs.

For a snapshot row at ``t`` and a week ``k`` (days ``[t + 7k, t + 7k + 7)``), the model gives
``q_k``, the probability that the invoice is *still unpaid at the end of week k* given that it
was unpaid at its start (one minus the weekly hazard of payment). The survival to week ``k`` is
the product of the ``q`` before it; every quantity of ``risk.timing.predict`` follows.

Right-censoring: a row contributes the weeks it was observed in full, up to and including the
week it was paid; a still-open invoice contributes every week that ended before the censoring
day (the training window's end) and nothing after: it is never dropped, never counted as paid.
A payment (or loss) in the week the censoring day cuts short is censored by default, like the
open invoices of that week, which are not observed in full: counting it
(``HazardConfig(partial_week="counted")``, the former rule) gives that week payers-only pairs
and a fitted hazard too fast (exact, ``tests/timing/test_hazard.py``; docs/benchmarks.md).
The model is a ``RiskModel`` (level ``timing``) saved in the project's bundle format (LightGBM
text + JSON, no pickle): its inputs are the snapshot features plus the pair features
``weeks_ahead`` and ``days_past_due_at_week``; positive SHAP contributions push towards "still
unpaid", i.e. towards the risk, like every other model of the project.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import pandas as pd

from risk.errors import ConfigError
from risk.features import FeatureConfig
from risk.features.registry import monotone_constraints
from risk.features.timeline import NEVER, to_days
from risk.model.bundle import RiskModel
from risk.model.calibration import Calibrator, fit_calibrator
from risk.model.dataset import frame_feature_names
from risk.model.lgbm import LightGBMConfig, lgb_params

logger = logging.getLogger(__name__)

LEVEL = "timing"
#: pairs handed to LightGBM at a time while its Dataset is built or it predicts
PAIR_BATCH = 65_536
PAIR_FEATURES = ["weeks_ahead", "days_past_due_at_week"]
IDENTITY = Calibrator("sigmoid", {"a": 1.0, "b": 0.0})
TIMING_PARAMS: dict[str, Any] = {
    "learning_rate": 0.1,
    "num_leaves": 31,
    "min_data_in_leaf": 200,
    "feature_fraction": 0.7,
    "bagging_fraction": 0.5,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_cat_to_onehot": 8,
    "cat_smooth": 20.0,
    "max_bin": 63,
}


#: metadata keys of the lost outcome: LightGBM text of P(lost | left the risk set in week k),
#: and the training share of lost exits (used alone when too few exits were lost to fit on)
LOST_MODEL = "lost_model"
LOST_RATE = "lost_rate"
MIN_LOST_EXITS = 10
#: most trees of the lost-share model (early stopping on the validation exits picks fewer)
LOST_ROUNDS = 200
LOST_PARAMS: dict[str, Any] = {
    "learning_rate": 0.05,
    "num_leaves": 7,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.8,
    "lambda_l2": 1.0,
    "max_bin": 63,
    "max_cat_to_onehot": 8,
}


@dataclass(frozen=True)
class HazardConfig:
    """Controls of the hazard model.

    Attributes:
        weeks: weeks modelled after each snapshot (beyond them a constant tail hazard).
        seed: LightGBM's seed.
        lightgbm: parameters, rounds and early stopping.
        refit: refit both boosters on the training and validation rows (censored at the
            validation window's end) with the rounds early stopping chose on validation
            (``refit_timing``), as the invoice and customer models are refitted. Off by
            default: measured on the 20,000-customer benchmark it made the model worse (1-30
            days past due 0.348 predicted vs 0.382 realised against 0.357 without it; 4-week
            forecast error 5.5 % against 2.0 %; docs/benchmarks.md).
        refit_calibration: the refitted hazard's calibration: ``"out_of_time"`` (the sigmoid
            fitted on the validation pairs to the training-only booster's scores: the
            correction one window out of time, carried over to the refitted booster, which
            scores one window further on) or ``"identity"`` (LightGBM's own probability; on
            the 300-customer benchmark it under-predicted every days-past-due bucket, largest
            gap 0.026 against 0.018, docs/benchmarks.md).
        row_weights: ``"none"`` (the default: every row 1, the weighting of the scoring dates,
            where every open invoice counts once) or ``"snapshot"`` (each row weighs
            ``1 / (1 + j)``, the snapshot rows' ``snapshot_weight``; the former default;
            ``bench_timing.py --row-weights``).
        partial_week: an exit (payment, loss) dated in the week the censoring day cuts short:
            ``"counted"`` (the week's pair with the exit; that week's open invoices give no
            pair) or ``"censored"`` (no pair, like the open invoices: the unbiased rule, exact
            in ``tests/timing/test_hazard.py``; ``bench_timing.py --partial-week``).
            ``"censored"`` with unit row weights is the default since the 20,000-customer
            benchmark: largest days-past-due bucket gap 0.025 -> 0.017, 4-week forecast error
            2.0 % -> 0.5 %, AUC 0.935 -> 0.937 (docs/benchmarks.md); ``"counted"`` with
            ``"snapshot"`` weights is the former model.
    """

    weeks: int = 26
    seed: int = 42
    refit: bool = False
    row_weights: Literal["snapshot", "none"] = "none"
    partial_week: Literal["counted", "censored"] = "censored"
    refit_calibration: Literal["identity", "out_of_time"] = "out_of_time"
    lightgbm: LightGBMConfig = field(
        default_factory=lambda: LightGBMConfig(
            params=dict(TIMING_PARAMS), num_boost_round=600, early_stopping_rounds=30
        )
    )

    def __post_init__(self) -> None:
        if not 14 <= self.weeks <= 104:
            raise ConfigError(f"HazardConfig.weeks must be in [14, 104], got {self.weeks}")
        if self.refit_calibration not in ("identity", "out_of_time"):
            raise ConfigError(
                "HazardConfig.refit_calibration must be 'identity' or 'out_of_time', got "
                f"{self.refit_calibration!r}"
            )
        if self.partial_week not in ("counted", "censored"):
            raise ConfigError(
                "HazardConfig.partial_week must be 'counted' or 'censored', got "
                f"{self.partial_week!r}"
            )
        if self.row_weights not in ("snapshot", "none"):
            raise ConfigError(
                f"HazardConfig.row_weights must be 'snapshot' or 'none', got {self.row_weights!r}"
            )


def exit_counts(
    as_of: pd.Series,
    paid_on: pd.Series,
    end: pd.Timestamp,
    weeks: int,
    lost_on: pd.Series | None = None,
    censor_partial_week: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed weeks of each row, the week it left the risk set (-1 when not in them) and
    whether it left as lost (written off, proceeding: ``risk.timing.outcomes``), not paid.

    Args:
        as_of: snapshot date of each row.
        paid_on: payment date (NaT while open or lost).
        end: censoring day: facts dated on or after it are unknown.
        weeks: most weeks per row.
        lost_on: day the invoice was lost (NaT if not); before ``as_of`` it leaves in week 0.
        censor_partial_week: an exit in the week ``end`` cuts short is censored (no pair),
            the default as in ``HazardConfig.partial_week``; False counts it (the former rule).

    Returns:
        (number of (row, week) pairs, index of the exit week or -1, lost), per row.
    """
    t = to_days(as_of)
    stop = to_days(pd.Series([pd.Timestamp(end)]))[0]
    paid = to_days(paid_on)
    lost = to_days(lost_on) if lost_on is not None else np.full(len(t), NEVER)
    paid_known = (paid < stop) & (paid < NEVER)
    lost_known = (lost < stop) & (lost < NEVER)
    is_lost = lost_known & (~paid_known | (lost <= paid))
    known = paid_known | lost_known
    exit_day = np.where(is_lost, lost, paid)
    exit_week = np.where(known, np.maximum((exit_day - t) // 7, 0), -1)
    full_weeks = np.maximum((stop - t) // 7, 0)
    if censor_partial_week:
        # only weeks observed in full: an exit in the week the censoring day cuts short is
        # censored like the week's open invoices (counting it alone overstates that week's
        # hazard); a loss dated before ``t`` is known at ``t`` and leaves in week 0 all the same
        known &= (exit_week < full_weeks) | (exit_day < t)
        exit_week = np.where(known, exit_week, -1)
    count = np.where(known, np.minimum(exit_week + 1, weeks), np.minimum(full_weeks, weeks))
    exit_week = np.where(known & (exit_week < weeks), exit_week, -1)
    return count.astype(np.int64), exit_week.astype(np.int64), is_lost & (exit_week >= 0)


def pair_counts(
    as_of: pd.Series,
    paid_on: pd.Series,
    end: pd.Timestamp,
    weeks: int,
    censor_partial_week: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Observed weeks of each row and the week it was paid in (-1 when not paid in them).

    Args:
        as_of: snapshot date of each row.
        paid_on: settlement date (NaT while open).
        end: censoring day: facts dated on or after it are unknown.
        weeks: most weeks per row.

    Returns:
        (number of (row, week) pairs, index of the payment week or -1), per row.
    """
    count, week, _ = exit_counts(
        as_of, paid_on, end, weeks, censor_partial_week=censor_partial_week
    )
    return count, week


def expand(
    model: RiskModel, frame: pd.DataFrame, rows: np.ndarray, weeks: np.ndarray
) -> pd.DataFrame:
    """Model inputs of the pairs (``frame`` row ``rows[i]``, week ``weeks[i]``)."""
    row_features = [name for name in model.features if name not in PAIR_FEATURES]
    base = replace(model, features=row_features).prepare(frame.reset_index(drop=True))
    inputs = base.iloc[rows].reset_index(drop=True)
    inputs["weeks_ahead"] = weeks.astype("float64")
    dpd = frame["days_past_due"].to_numpy(dtype="float64")[rows]
    inputs["days_past_due_at_week"] = dpd + 7.0 * weeks
    return inputs[model.features]


def _pairs(count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows = np.repeat(np.arange(len(count)), count)
    weeks = np.arange(len(rows)) - np.repeat(np.cumsum(count) - count, count)
    return rows, weeks


def row_matrix(model: RiskModel, frame: pd.DataFrame) -> np.ndarray:
    """The inputs of ``frame``'s rows as the float64 matrix LightGBM makes of the prepared
    frame (``RiskModel.prepare``): a categorical as its code among the training categories,
    missing as NaN. Shape (rows, inputs); the pair features (last) are left at 0, for
    ``PairInputs`` to fill pair by pair."""
    names = [name for name in model.features if name not in PAIR_FEATURES]
    prepared = replace(model, features=names).prepare(frame)
    out = np.zeros((len(frame), len(model.features)), dtype=np.float64)
    for j, name in enumerate(names):
        column = prepared.pop(name)  # freed column by column: one copy of the inputs at a time
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy()
            out[:, j] = np.where(codes < 0, np.nan, codes)
        else:
            out[:, j] = column.to_numpy(dtype="float64", na_value=np.nan)
    return out


class PairInputs(lgb.Sequence):
    """The (row, week) pairs' input matrix, made a batch at a time from the rows' inputs.

    Pair ``i`` is row ``rows[i]`` of ``base`` (``row_matrix``) with ``weeks_ahead`` =
    ``weeks[i]`` and ``days_past_due_at_week`` = ``days_past_due + 7 weeks[i]``: the values of
    ``expand``, which builds the whole pair frame (about 5.7 pairs per snapshot row, 78 float64
    inputs: 3.6 GB per 1M snapshot rows, twice over once LightGBM copies it). LightGBM builds its
    Dataset from this sequence (``lgb.Sequence``: a sample of rows for the bins, then the rows
    pushed batch by batch), so only the rows' matrix and one batch are ever in memory.
    """

    batch_size = PAIR_BATCH

    def __init__(
        self, base: np.ndarray, days_past_due: np.ndarray, rows: np.ndarray, weeks: np.ndarray
    ) -> None:
        self.base = base
        self.days_past_due = days_past_due
        self.rows = rows
        self.weeks = weeks

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int | slice | list[int] | np.ndarray) -> np.ndarray:
        if isinstance(index, int | np.integer):
            row, week = self.rows[index], self.weeks[index]
            out = self.base[row].copy()
            out[-2:] = (week, self.days_past_due[row] + 7.0 * week)
            return out
        return self.block(self.rows[index], self.weeks[index])

    def block(self, rows: np.ndarray, weeks: np.ndarray) -> np.ndarray:
        """Inputs of the pairs (``rows[i]``, ``weeks[i]``), shape (pairs, inputs)."""
        out = np.take(self.base, rows, axis=0)
        out[:, -2] = weeks
        out[:, -1] = self.days_past_due[rows] + 7.0 * weeks
        return out

    def batches(self) -> Iterator[np.ndarray]:
        """The whole matrix, ``batch_size`` pairs at a time."""
        for start in range(0, len(self), self.batch_size):
            yield self[start : start + self.batch_size]


def _pair_inputs(
    model: RiskModel, frame: pd.DataFrame, rows: np.ndarray, weeks: np.ndarray
) -> PairInputs:
    days_past_due = frame["days_past_due"].to_numpy(dtype="float64")
    return PairInputs(row_matrix(model, frame), days_past_due, rows, weeks)


def training_pairs(
    model: RiskModel,
    frame: pd.DataFrame,
    end: pd.Timestamp,
    weeks: int,
    censor_partial_week: bool = True,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Inputs, target (1 = still open at the end of the week: neither paid nor lost) and
    weights of the pairs of ``frame``'s rows censored at ``end`` (the inputs as a frame, see
    ``training_sequence`` for the fit's)."""
    rows, week, y, weight = _training_targets(frame, end, weeks, censor_partial_week)
    return expand(model, frame, rows, week), y, weight


def training_sequence(
    model: RiskModel,
    frame: pd.DataFrame,
    end: pd.Timestamp,
    weeks: int,
    censor_partial_week: bool = True,
) -> tuple[PairInputs, np.ndarray, np.ndarray]:
    """``training_pairs`` with the inputs as a ``PairInputs`` sequence (what the fit uses)."""
    rows, week, y, weight = _training_targets(frame, end, weeks, censor_partial_week)
    return _pair_inputs(model, frame, rows, week), y, weight


def _training_targets(
    frame: pd.DataFrame, end: pd.Timestamp, weeks: int, censor_partial_week: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(row, week) of every pair, its target and weight (see ``training_pairs``)."""
    count, exit_week, _ = exit_counts(
        frame["as_of"], frame["paid_on"], end, weeks, frame.get("lost_on"), censor_partial_week
    )
    rows, week = _pairs(count)
    y = (week != exit_week[rows]).astype(np.int64)
    weight = frame["snapshot_weight"].to_numpy(dtype="float64")[rows]
    return rows, week, y, weight


class _SequenceDataset(lgb.Dataset):
    """A Dataset of a ``lgb.Sequence`` built with every parameter, as one of a matrix is.

    LightGBM's sequence path hands the C library only ``get_params()``, the Dataset
    parameters: without ``min_data_in_leaf`` (its pre-filter of inputs no leaf could split)
    and ``seed`` (the rows sampled for the bins), it made other bins than the matrix path
    (tested: ``tests/timing/test_hazard_fit.py``).
    """

    def get_params(self) -> dict[str, Any]:
        return dict(self.params) if self.params is not None else {}


def _pairs_dataset(
    model: RiskModel,
    inputs: PairInputs,
    y: np.ndarray,
    weight: np.ndarray,
    params: dict[str, Any],
    reference: lgb.Dataset | None = None,
) -> lgb.Dataset:
    """The constructed LightGBM Dataset of the pairs: the one LightGBM builds from the pair
    frame of ``training_pairs`` (same bins, categorical inputs and their categories)."""
    categorical = [name for name in model.features if name in model.categories]
    data = _SequenceDataset(
        inputs, label=y, weight=weight, reference=reference, feature_name=list(model.features),
        categorical_feature=categorical, params=params, free_raw_data=True,
    )  # fmt: skip
    if reference is None:  # what a pandas frame of the prepared inputs would have set
        data.pandas_categorical = [list(model.categories[name]) for name in categorical]
    return data.construct()


def _raw_scores(booster: lgb.Booster, inputs: PairInputs) -> np.ndarray:
    """``RiskModel.raw_score`` of the pairs, a batch at a time."""
    iteration = booster.best_iteration or None
    parts = [
        booster.predict(batch, num_iteration=iteration, raw_score=True)
        for batch in inputs.batches()
    ]
    return np.concatenate(parts) if parts else np.zeros(0)


def _categories(frame: pd.DataFrame, categorical: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name in categorical:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            out[name] = [str(c) for c in column.cat.categories]
        else:
            out[name] = sorted(column.dropna().astype("str").unique().tolist())
    return out


def blank_model(frame: pd.DataFrame, features: FeatureConfig) -> RiskModel:
    """The timing model's input description from a snapshot frame (booster fitted later)."""
    names, categorical = frame_feature_names(frame, features)
    return RiskModel(
        level=LEVEL,
        features=[*names, *PAIR_FEATURES],
        categories=_categories(frame, categorical),
        booster=None,  # type: ignore[arg-type]
        calibrator=IDENTITY,
        sector=None,
    )


def _monotone(model: RiskModel, features: FeatureConfig) -> list[int]:
    """Registry directions (more past lateness never raises the chance of being paid)."""
    registered = [n for n in model.features if n not in PAIR_FEATURES]
    return [*monotone_constraints(registered, features), 0, 0]


def fit_params(
    model: RiskModel, features: FeatureConfig, settings: LightGBMConfig, seed: int
) -> dict[str, Any]:
    """LightGBM parameters of the hazard and the lost-share fits (monotone, "basic" method)."""
    params = lgb_params(settings, _monotone(model, features), seed)
    params["monotone_constraints_method"] = "basic"  # 2x faster than "intermediate" here
    return params


def fit_hazard(
    train: pd.DataFrame,
    train_end: pd.Timestamp,
    valid: pd.DataFrame,
    valid_end: pd.Timestamp,
    features: FeatureConfig,
    config: HazardConfig,
) -> RiskModel:
    """Fit the weekly model: training rows censored at ``train_end``, early stopping and a
    sigmoid calibration on the validation rows censored at ``valid_end``.

    Raises:
        ConfigError: no training or validation pair.
    """
    model = blank_model(train, features)
    censor = config.partial_week == "censored"
    X, y, w = training_sequence(model, train, train_end, config.weeks, censor)  # noqa: N806
    Xv, yv, wv = training_sequence(model, valid, valid_end, config.weeks, censor)  # noqa: N806
    if len(X) == 0 or len(Xv) == 0 or np.unique(y).size < 2:
        raise ConfigError(
            f"the payment-timing model needs paid and unpaid weeks in both windows (got "
            f"{len(X)} training and {len(Xv)} validation pairs): the ledger is too short"
        )
    logger.info("timing model: %d training pairs, %d validation pairs", len(X), len(Xv))
    pairs_train, pairs_valid = len(X), len(Xv)
    params = fit_params(model, features, config.lightgbm, config.seed)
    train_set = _pairs_dataset(model, X, y, w, params)
    del X  # binned in train_set: the rows' matrix is not needed any more
    valid_set = _pairs_dataset(model, Xv, yv, wv, params, reference=train_set)
    logger.info("timing model: LightGBM datasets built")
    booster = lgb.train(
        params,
        train_set,
        num_boost_round=config.lightgbm.num_boost_round,
        valid_sets=[valid_set],
        callbacks=[
            lgb.log_evaluation(period=0),
            lgb.early_stopping(config.lightgbm.early_stopping_rounds, verbose=False),
        ],
    )
    booster.free_dataset()  # the binned pairs, kept alive by the booster otherwise
    del train_set, valid_set
    logger.info("timing model: %d trees", booster.num_trees())
    model.booster = booster
    model.calibrator = fit_calibrator(_raw_scores(booster, Xv), yv, "sigmoid")
    model.metadata.update(
        {
            "weeks": config.weeks,
            "pairs_train": pairs_train,
            "pairs_valid": pairs_valid,
            "best_iteration": int(booster.best_iteration),
        }
    )
    return model


def continuation(model: RiskModel, frame: pd.DataFrame, weeks: int | None = None) -> np.ndarray:
    """``q[r, k]``: P(still open at the end of week k | open at its start) of each row (open:
    neither paid nor lost).

    Returns:
        Array of shape (rows, weeks).
    """
    return outcomes(model, frame, weeks)[0]


def outcomes(
    model: RiskModel, frame: pd.DataFrame, weeks: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(q, lost)``: ``q`` as :func:`continuation` and ``lost[r, k]`` = P(lost | the invoice
    leaves the risk set in week k), each of shape (rows, weeks). A model without a lost part
    (trained before it existed) gives ``lost`` = 0."""
    weeks = int(weeks or model.metadata.get("weeks", 26))
    if frame.empty:
        return np.zeros((0, weeks)), np.zeros((0, weeks))
    rows, week = _pairs(np.full(len(frame), weeks))
    inputs = expand(model, frame, rows, week)
    q = model.calibrator.predict(model.raw_score(inputs)).reshape(len(frame), weeks)
    text = model.metadata.get(LOST_MODEL)
    if text:
        lost = _lost_booster(str(text)).predict(inputs).reshape(len(frame), weeks)
    else:
        lost = np.full((len(frame), weeks), float(model.metadata.get(LOST_RATE, 0.0)))
    return q, np.clip(lost, 0.0, 1.0)


@functools.lru_cache(maxsize=4)
def _lost_booster(text: str) -> lgb.Booster:
    return lgb.Booster(model_str=text)


def exit_pairs(
    model: RiskModel,
    frame: pd.DataFrame,
    end: pd.Timestamp,
    weeks: int,
    censor_partial_week: bool = True,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Inputs, target (1 = lost, 0 = paid) and weights of the (row, exit week) pairs of the
    rows that left the risk set before ``end`` within ``weeks`` (the inputs as a frame, see
    ``exit_sequence`` for the fit's)."""
    rows, week, y, weight = _exit_targets(frame, end, weeks, censor_partial_week)
    return expand(model, frame, rows, week), y, weight


def exit_sequence(
    model: RiskModel,
    frame: pd.DataFrame,
    end: pd.Timestamp,
    weeks: int,
    censor_partial_week: bool = True,
) -> tuple[PairInputs, np.ndarray, np.ndarray]:
    """``exit_pairs`` with the inputs as a ``PairInputs`` sequence (what the fit uses)."""
    rows, week, y, weight = _exit_targets(frame, end, weeks, censor_partial_week)
    return _pair_inputs(model, frame, rows, week), y, weight


def _exit_targets(
    frame: pd.DataFrame, end: pd.Timestamp, weeks: int, censor_partial_week: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    _, exit_week, lost = exit_counts(
        frame["as_of"], frame["paid_on"], end, weeks, frame.get("lost_on"), censor_partial_week
    )
    rows = np.flatnonzero(exit_week >= 0)
    weight = frame["snapshot_weight"].to_numpy(dtype="float64")[rows]
    return rows, exit_week[rows], lost[rows].astype(np.int64), weight


def _lost_share(
    model: RiskModel, rows: pd.DataFrame, end: pd.Timestamp, config: HazardConfig, window: str
) -> int | None:
    """Record the lost exits of ``rows`` censored at ``end`` with their weighted share in
    ``model.metadata`` (``lost_exits_<window>``, ``exits_<window>``, ``LOST_RATE``), dropping any
    previous share model; returns the lost exits when a share model is worth fitting, None when
    the constant share is kept (fewer than ``MIN_LOST_EXITS`` lost exits, or every exit lost)."""
    censor = config.partial_week == "censored"
    _, _, y, w = _exit_targets(rows, end, config.weeks, censor)
    lost = int(y.sum())
    rate = float(np.average(y, weights=w)) if len(y) and w.sum() > 0 else 0.0
    model.metadata.update(
        {LOST_RATE: rate, f"lost_exits_{window}": lost, f"exits_{window}": len(y)}
    )
    model.metadata.pop(LOST_MODEL, None)
    if lost < MIN_LOST_EXITS or lost == len(y):
        logger.info(
            "lost outcome (%s): %d of %d exits, constant share %.4f", window, lost, len(y), rate
        )
        return None
    return lost


def fit_lost_share(
    model: RiskModel,
    train: pd.DataFrame,
    train_end: pd.Timestamp,
    valid: pd.DataFrame,
    valid_end: pd.Timestamp,
    features: FeatureConfig,
    config: HazardConfig,
) -> None:
    """Fit P(lost | left the risk set in week k) on the exits of the training rows (early
    stopping on the validation exits when both outcomes occur there) into ``model.metadata``;
    with fewer than ``MIN_LOST_EXITS`` lost exits, only their weighted share is kept."""
    censor = config.partial_week == "censored"
    lost = _lost_share(model, train, train_end, config, "train")
    if lost is None:
        return
    X, y, w = exit_sequence(model, train, train_end, config.weeks, censor)  # noqa: N806
    Xv, yv, wv = exit_sequence(model, valid, valid_end, config.weeks, censor)  # noqa: N806
    settings = LightGBMConfig(params=dict(LOST_PARAMS), num_threads=config.lightgbm.num_threads)
    params = fit_params(model, features, settings, config.seed)
    train_set = _pairs_dataset(model, X, y, w, params)
    del X
    callbacks: list[Any] = [lgb.log_evaluation(period=0)]
    valid_sets = []
    if np.unique(yv).size == 2:
        valid_sets = [_pairs_dataset(model, Xv, yv, wv, params, reference=train_set)]
        callbacks.append(lgb.early_stopping(20, verbose=False))
    del Xv
    booster = lgb.train(
        params, train_set, num_boost_round=LOST_ROUNDS, valid_sets=valid_sets, callbacks=callbacks
    )
    booster.free_dataset()
    model.metadata[LOST_MODEL] = booster.model_to_string(
        num_iteration=booster.best_iteration or None
    )
    model.metadata["lost_rounds"] = int(booster.best_iteration or booster.num_trees())
    logger.info("lost outcome: %d of %d exits, LightGBM share model", lost, len(y))


def refit_timing(
    selected: RiskModel,
    rows: pd.DataFrame,
    end: pd.Timestamp,
    features: FeatureConfig,
    config: HazardConfig,
) -> RiskModel:
    """The hazard and lost-share boosters of ``selected`` (``fit_hazard``, ``fit_lost_share``:
    fitted on the training rows, rounds chosen on the validation rows) fitted again on
    ``rows``, the training **and** validation rows, their outcomes censored at ``end`` (the
    validation window's end: a training row's payment between the two window ends is known
    now), with those rounds and no early stopping. The newest half-year of payments then
    shapes the trees that score the dates after it; the rows after ``end`` (the out-of-time
    assessment) are never read. The calibration is ``config.refit_calibration``; the
    out-of-time sigmoid of ``selected`` is kept in the metadata either way.

    Raises:
        ConfigError: no pair, or only one outcome, in ``rows``.
    """
    model = blank_model(rows, features)  # categories of every row the boosters see
    rounds = int(selected.metadata.get("best_iteration") or selected.booster.num_trees())
    censor = config.partial_week == "censored"
    X, y, w = training_sequence(model, rows, end, config.weeks, censor)  # noqa: N806
    if len(X) == 0 or np.unique(y).size < 2:
        raise ConfigError(
            f"the payment-timing refit needs paid and unpaid weeks (got {len(X)} pairs)"
        )
    pairs = len(X)
    params = fit_params(model, features, config.lightgbm, config.seed)
    data = _pairs_dataset(model, X, y, w, params)
    del X
    booster = lgb.train(
        params, data, num_boost_round=rounds, callbacks=[lgb.log_evaluation(period=0)]
    )
    booster.free_dataset()
    del data
    logger.info("timing model refitted: %d pairs, %d trees", pairs, booster.num_trees())
    model.booster = booster
    out_of_time = selected.calibrator
    model.calibrator = out_of_time if config.refit_calibration == "out_of_time" else IDENTITY
    model.metadata.update(
        {
            **{k: v for k, v in selected.metadata.items() if k not in (LOST_MODEL, LOST_RATE)},
            "refit": True,
            "refit_rounds": rounds,
            "pairs_refit": pairs,
            "refit_calibration": config.refit_calibration,
            "calibration_out_of_time": out_of_time.to_dict(),
        }
    )
    _refit_lost_share(model, selected, rows, end, features, config)
    return model


def _refit_lost_share(
    model: RiskModel,
    selected: RiskModel,
    rows: pd.DataFrame,
    end: pd.Timestamp,
    features: FeatureConfig,
    config: HazardConfig,
) -> None:
    """``fit_lost_share`` on ``rows`` censored at ``end`` with ``selected``'s rounds (all
    ``LOST_ROUNDS`` when its validation window had no lost exit to stop on)."""
    censor = config.partial_week == "censored"
    lost = _lost_share(model, rows, end, config, "refit")
    if lost is None:
        return
    rounds = int(selected.metadata.get("lost_rounds", LOST_ROUNDS))
    X, y, w = exit_sequence(model, rows, end, config.weeks, censor)  # noqa: N806
    settings = LightGBMConfig(params=dict(LOST_PARAMS), num_threads=config.lightgbm.num_threads)
    params = fit_params(model, features, settings, config.seed)
    data = _pairs_dataset(model, X, y, w, params)
    del X
    booster = lgb.train(
        params, data, num_boost_round=rounds, callbacks=[lgb.log_evaluation(period=0)]
    )
    booster.free_dataset()
    model.metadata[LOST_MODEL] = booster.model_to_string()
    logger.info("lost outcome refitted: %d of %d exits, %d trees", lost, len(y), rounds)
