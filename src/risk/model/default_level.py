"""The customer default level: the credit PD behind grades and credit limits.

The late-payment customer model answers "will an invoice be late soon?" and drives dunning.
The default model answers the credit question: P(a default-like event within 12 months of the
snapshot): a collective proceeding, an invoice more than 90 days past due, or a write-off
(:func:`risk.labels.default_labels`). It is trained on the customer snapshot frame (the same
features, the same code as every other level) with two differences:

* the horizon is 12 months (the label's definition), whatever the late-payment horizon is;
* features read from the customers table's **current** ``credit_limit`` are left out
  (``credit_limit_utilisation`` today). The customers table is a snapshot taken at export time:
  a customer that failed has its limit cut to 0 by the end, so the limit seen at an earlier
  snapshot tells the model who will fail (a leak measured in the real-data issue: AUC 0.939 ->
  0.886 once the pre-failure limit is used). A PD that learned it would be useless on customers
  whose limit was not yet cut. Dated limits (a ``credit_limits`` history) may come back later.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from risk import labels as label_rules
from risk.decisions.credit import CreditPolicy
from risk.errors import ConfigError
from risk.features import FeatureConfig
from risk.features.frames import Progress, _noop, build_customer_frame, default_cutoff
from risk.features.frames import snapshot_dates as monthly_snapshots
from risk.features.registry import feature_specs
from risk.ledger import Ledger
from risk.materiality import DefaultDefinition
from risk.model.split import SplitMasks, TimeWindows

if TYPE_CHECKING:
    from risk.model.dataset import TrainingData

LEVEL = "default"
#: Customers-table columns that describe the customer at export time, not at the snapshot.
END_OF_EXPORT_COLUMNS: tuple[str, ...] = ("customers.credit_limit", "customers.insured_limit")


def default_feature_config(config: FeatureConfig | None = None) -> FeatureConfig:
    """``config`` with the default label's 12-month horizon (features do not depend on it)."""
    return replace(config or FeatureConfig(), horizon_days=label_rules.DEFAULT_HORIZON_DAYS)


def excluded_features(config: FeatureConfig | None = None) -> set[str]:
    """Features built from an end-of-export attribute (the current credit limit)."""
    return {
        spec.name
        for spec in feature_specs(config)
        if any(need in END_OF_EXPORT_COLUMNS for need in spec.needs)
    }


def default_model_features(
    names: list[str], categorical: list[str], config: FeatureConfig | None = None
) -> tuple[list[str], list[str]]:
    """The frame features the default model may learn from (end-of-export ones removed)."""
    left_out = excluded_features(config)
    return [n for n in names if n not in left_out], [n for n in categorical if n not in left_out]


def default_training_frame(
    ledger: Ledger,
    config: FeatureConfig | None = None,
    cutoff: pd.Timestamp | None = None,
    dates: pd.DatetimeIndex | None = None,
    progress: Progress = _noop,
    definition: DefaultDefinition | None = None,
) -> pd.DataFrame:
    """Customer snapshots with the default label; rows whose 12 months are not over dropped.

    Args:
        ledger: the ledger (not modified).
        config: feature parameters (the horizon is forced to 12 months).
        cutoff: first day not in the data (default: the day after the ledger's last date).
        dates: snapshot dates (default: monthly, up to ``cutoff`` - 12 months).
        progress: called with the name of each stage.
        definition: the past-due trigger and its materiality thresholds (default: the
            packaged credit policy's, ``risk.materiality``).

    Returns:
        ``customer_id, as_of``, the customer features and the ``label_default*`` columns
        (int 0/1). Snapshots whose customer is not performing at the snapshot (in default, in
        probation or in a recent proceeding: ``risk.labels.default_labels``) are left out; how
        many is in ``attrs["label_not_performing"]``.
    """
    config = default_feature_config(config)
    cutoff = pd.Timestamp(cutoff) if cutoff is not None else default_cutoff(ledger)
    if dates is None:
        dates = monthly_snapshots(ledger, config, cutoff - pd.Timedelta(days=config.horizon_days))
    frame = build_customer_frame(ledger, dates, config, progress)
    progress("labels")
    if definition is None:
        definition = CreditPolicy.load().default_definition()
    found = label_rules.default_labels(
        ledger, frame, cutoff, horizon_days=config.horizon_days, materiality=definition
    )
    known = found["label_known"].to_numpy()
    at_start = found["label_default_at_start"].to_numpy(dtype=bool)
    kept = known & ~at_start
    flags = ["label_known", "label_default_at_start"]
    out = pd.concat([frame, found.drop(columns=flags)], axis=1)[kept]
    out = out.astype({name: np.int64 for name in found.columns if name not in flags})
    out = out.reset_index(drop=True)
    out.attrs.update(frame.attrs)
    out.attrs["cutoff"] = str(cutoff.date())
    out.attrs["label_not_performing"] = int((known & at_start).sum())
    return out


def observation_windows(
    data: TrainingData,
    train_end: pd.Timestamp | None = None,
    valid_end: pd.Timestamp | None = None,
    train_share: float = 0.6,
    valid_share: float = 0.2,
) -> tuple[TimeWindows, SplitMasks]:
    """Train / validation / out-of-time test windows on the snapshot date, as in credit scoring.

    The late-payment levels only take rows whose label matured before the next window starts.
    With a 12-month label that rule needs four years of history (three disjoint 12-month
    outcome windows plus snapshots), so the default level splits by **observation date**, as
    out-of-time samples of PD models are: every row whose 12 months are over by the cut-off,
    train before ``train_end``, validation before ``valid_end``, test after; outcome windows of
    neighbouring windows overlap in calendar time, rows never cross windows. Default ends: the
    60 % and 80 % quantiles of the snapshot dates.

    Raises:
        ConfigError: fewer than 3 snapshot dates with a known outcome.
    """
    known = (data.matured_on <= data.cutoff).to_numpy()
    eligible = data.as_of[known]
    if eligible.nunique() < 3:
        raise ConfigError(
            f"only {eligible.nunique()} snapshot dates have their 12-month default outcome known "
            f"by {data.cutoff.date()}: the default model needs at least 3 (about 15 months of "
            "history)"
        )
    windows = TimeWindows(
        pd.Timestamp(eligible.min()),
        pd.Timestamp(train_end or eligible.quantile(train_share)).normalize(),
        pd.Timestamp(valid_end or eligible.quantile(train_share + valid_share)).normalize(),
        data.cutoff,
    )
    a = data.as_of.to_numpy()
    train = known & (a < np.datetime64(windows.train_end))
    valid = known & (a >= np.datetime64(windows.train_end)) & (a < np.datetime64(windows.valid_end))
    test = known & (a >= np.datetime64(windows.valid_end))
    return windows, SplitMasks(train=train, valid=valid, test=test)
