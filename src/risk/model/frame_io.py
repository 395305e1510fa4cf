"""Exported training frames that round-trip: Parquet out, the identical model back.

``risk features`` writes the labelled frame a model trains on. Two traps make a naive export
train a different model:

* **censored labels**: an invoice paid on time before the cut-off has a known label, but the
  invoices issued with it that will be late are not known yet; keeping the early payers and
  losing the late ones biases the late rate down. Training only takes rows whose label has
  *matured* (``label_matured_on <= cutoff``, see ``risk.model.split``); the export drops the
  others (default) or keeps them marked ``label_matured = False``.
* **categorical dtypes**: a categorical column with integer categories (``issue_month``) is
  read back from Parquet as plain integers, and the model's categories (text, sorted) change
  order. The export writes every categorical with text categories in their original order,
  which Parquet keeps.

Example:
    >>> frame = pd.DataFrame({"m": pd.Categorical([3, 1], categories=[1, 2, 3])})
    >>> list(text_categories(frame)["m"].cat.categories)
    ['1', '2', '3']
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd

from risk.errors import RiskError
from risk.features import FeatureConfig
from risk.ledger import Ledger
from risk.model.dataset import LABELS, Level, TrainingData, frame_feature_names, training_data

MATURED_ON = "label_matured_on"
MATURED = "label_matured"
Unmatured = Literal["drop", "mark"]


class FrameExportError(RiskError):
    """A frame read back lacks what training needs."""


def text_categories(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every categorical's categories turned to text, order kept."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            text = [str(c) for c in column.cat.categories]
            out[name] = column.cat.rename_categories(text)
    return out


def export_frame(data: TrainingData, unmatured: Unmatured = "drop") -> pd.DataFrame:
    """The training frame to write: maturity date and flag added, unmatured rows dropped or
    marked, categorical categories as text.

    Args:
        data: the training data of one level (rows sorted by as-of date, then key).
        unmatured: ``drop`` the rows whose label had not matured at the cut-off (what training
            does), or ``mark`` them with ``label_matured = False``.
    """
    frame = data.frame.assign(
        **{MATURED_ON: data.matured_on.to_numpy(), MATURED: (data.matured_on <= data.cutoff)}
    )
    if unmatured == "drop":
        frame = frame[frame[MATURED].to_numpy()].reset_index(drop=True)
    frame = text_categories(frame)
    frame.attrs = {"cutoff": str(data.cutoff.date()), "level": data.level}
    return frame


def exported_training_data(
    ledger: Ledger, level: Level, config: FeatureConfig, unmatured: Unmatured = "drop"
) -> pd.DataFrame:
    """Build and export the training frame of ``level`` (see ``export_frame``)."""
    return export_frame(training_data(ledger, level, config), unmatured)


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    """Write an exported frame to Parquet, the cut-off and level kept in its metadata."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)


def read_training_data(path: Path, level: Level, config: FeatureConfig) -> TrainingData:
    """Training data from a frame written by ``write_frame``: the same rows, dates and
    categories as the data it was exported from (unmatured rows included when marked: the
    windows leave them out).

    Raises:
        FrameExportError: a key, label or maturity column is missing.
    """
    frame = pd.read_parquet(path)
    cutoff = frame.attrs.get("cutoff")
    as_of_name = "issued_on" if level == "invoice" else "as_of"
    missing = [n for n in (as_of_name, LABELS[level], MATURED_ON) if n not in frame.columns]
    if missing or cutoff is None:
        raise FrameExportError(
            f"{path}: not a {level} frame written by `risk features` (missing "
            f"{', '.join(missing) or 'the cut-off in the Parquet metadata'})"
        )
    amounts = "invoice_amount" if level == "invoice" else "open_amount_total"
    names, categorical = frame_feature_names(frame, config)
    return TrainingData(
        level=level,
        frame=frame.drop(columns=[MATURED_ON, MATURED]),
        as_of=frame[as_of_name],
        matured_on=frame[MATURED_ON],
        amounts=(
            frame[amounts].fillna(0.0).to_numpy(dtype="float64")
            if amounts in frame
            else pd.Series(1.0, index=frame.index).to_numpy()
        ),
        features=names,
        categorical=categorical,
        cutoff=pd.Timestamp(cutoff),
    )
