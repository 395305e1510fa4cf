"""Training data for one level: the labelled frame, its as-of and maturity dates, the inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from risk import labels as label_rules
from risk.features import FeatureConfig, customer_training_frame, invoice_training_frame
from risk.features.frames import Progress, _noop
from risk.features.registry import feature_specs
from risk.ledger import Ledger
from risk.lookup import positions_in
from risk.materiality import DefaultDefinition
from risk.model.default_level import (
    default_feature_config,
    default_model_features,
    default_training_frame,
)

Level = Literal["invoice", "customer", "default"]
LABELS: dict[str, str] = {
    "invoice": "label_late",
    "customer": "label_event",
    "default": "label_default",
}
KEYS: dict[str, list[str]] = {
    "invoice": ["invoice_id", "customer_id", "issued_on"],
    "customer": ["customer_id", "as_of"],
    "default": ["customer_id", "as_of"],
}


@dataclass(frozen=True)
class TrainingData:
    """A labelled frame with what the splitter and the models need.

    Attributes:
        level: invoice or customer.
        frame: keys, features and labels, one row per training example, sorted by as-of date.
        as_of: the date each row's features are computed at.
        matured_on: the day each row's label is known whatever the outcome.
        amounts: amount at stake per row (invoice amount; open exposure for customers).
        features: the model's frame features (before the sector rate is added).
        categorical: which of them are categorical.
        cutoff: first day not in the data.
    """

    level: Level
    frame: pd.DataFrame
    as_of: pd.Series
    matured_on: pd.Series
    amounts: np.ndarray
    features: list[str]
    categorical: list[str]
    cutoff: pd.Timestamp

    @property
    def y(self) -> np.ndarray:
        return self.frame[LABELS[self.level]].to_numpy(dtype="int64")


def frame_feature_names(frame: pd.DataFrame, config: FeatureConfig) -> tuple[list[str], list[str]]:
    """Registered features present in ``frame``, and the categorical ones among them."""
    specs = {spec.name: spec for spec in feature_specs(config) if spec.source == "frame"}
    names = [name for name in frame.columns if name in specs]
    categorical = [name for name in names if specs[name].kind == "categorical"]
    return names, categorical


def labelled_frame(
    ledger: Ledger,
    level: Level,
    config: FeatureConfig,
    cutoff: pd.Timestamp | None = None,
    dates: pd.DatetimeIndex | None = None,
    progress: Progress = _noop,
    definition: DefaultDefinition | None = None,
) -> pd.DataFrame:
    """The labelled frame of ``level`` (rows in the feature builder's order).

    ``cutoff`` and, for customers, the snapshot ``dates`` default to the ledger's own; a
    customer chunk of a larger ledger passes the whole ledger's so that its rows are the ones the
    whole ledger would give. ``definition``: the default event's past-due trigger (default
    level only; None: the packaged credit policy's).
    """
    if level == "invoice":
        return invoice_training_frame(ledger, config, cutoff, progress)
    if level == "default":
        return default_training_frame(
            ledger, config, cutoff, dates=dates, progress=progress, definition=definition
        )
    return customer_training_frame(ledger, config, cutoff, dates=dates, progress=progress)


def _date_then_text_order(dates: pd.Series, keys: pd.Series) -> np.ndarray:
    """Positions that sort rows by date, then key (Arrow's stable sort: 4x numpy's lexsort on
    millions of text keys)."""
    table = pa.table({"date": pa.array(dates.to_numpy()), "key": pa.array(keys.astype("str"))})
    order = pc.sort_indices(table, sort_keys=[("date", "ascending"), ("key", "ascending")])
    return order.to_numpy()


def assemble(
    frame: pd.DataFrame,
    level: Level,
    config: FeatureConfig,
    cutoff: pd.Timestamp,
    ledger: Ledger,
) -> TrainingData:
    """Training data from a labelled frame of ``ledger``: rows sorted by as-of date, then key.

    The order depends only on the rows, so frames built chunk by chunk and concatenated give
    the same training data as one frame of the whole ledger.
    """
    if level == "default":  # its label's 12-month horizon, whatever ``config`` says
        config = default_feature_config(config)
    if level == "invoice":
        as_of = frame["issued_on"]
        invoices = ledger.invoices
        due = invoices["due_on"].to_numpy()[
            positions_in(frame["invoice_id"], invoices["invoice_id"])
        ]
        matured = pd.Series(due, index=frame.index) + pd.Timedelta(days=config.late_after_days + 1)
        amounts = (
            frame["invoice_amount"]
            if "invoice_amount" in frame
            else pd.Series(1.0, index=frame.index)
        )
        key = frame["invoice_id"]
    else:
        as_of = frame["as_of"]
        days = config.horizon_days  # default: the 12-month window of proceedings and arrears
        if level == "customer":  # every invoice due in the horizon has a known outcome
            days = label_rules.customer_label_maturity_days(config)
        matured = as_of + pd.Timedelta(days=days)
        amounts = frame.get("open_amount_total", pd.Series(1.0, index=frame.index))
        key = frame["customer_id"]
    order = _date_then_text_order(as_of, key)
    frame = frame.iloc[order].reset_index(drop=True)
    names, categorical = frame_feature_names(frame, config)
    if level == "default":  # no end-of-export attribute (today's credit limit)
        names, categorical = default_model_features(names, categorical, config)
    return TrainingData(
        level=level,
        frame=frame,
        as_of=as_of.iloc[order].reset_index(drop=True),
        matured_on=matured.iloc[order].reset_index(drop=True),
        amounts=amounts.iloc[order].fillna(0.0).to_numpy(dtype="float64"),
        features=names,
        categorical=categorical,
        cutoff=pd.Timestamp(cutoff),
    )


def training_data(
    ledger: Ledger,
    level: Level,
    config: FeatureConfig,
    cutoff: pd.Timestamp | None = None,
    progress: Progress = _noop,
    definition: DefaultDefinition | None = None,
) -> TrainingData:
    """Build the labelled frame of ``level`` and its dates, sorted by as-of date then key."""
    frame = labelled_frame(ledger, level, config, cutoff, progress=progress, definition=definition)
    return assemble(frame, level, config, pd.Timestamp(frame.attrs["cutoff"]), ledger)
