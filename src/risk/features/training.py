"""Training frames: the feature frames joined with their labels, unknown outcomes dropped.

The labels (``risk.labels``) look at what happens after each row's as-of date, as known at the
data cut-off; rows whose outcome is not known yet are left out, never labelled on time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk import labels as label_rules  # module import: risk.labels itself imports risk.features
from risk.features.config import FeatureConfig
from risk.features.frames import (
    Progress,
    _noop,
    build_customer_frame,
    build_invoice_frame,
    default_cutoff,
    snapshot_dates,
)
from risk.ledger import Ledger


def invoice_training_frame(
    ledger: Ledger,
    config: FeatureConfig | None = None,
    cutoff: pd.Timestamp | None = None,
    progress: Progress = _noop,
) -> pd.DataFrame:
    """The invoice frame with labels, invoices of unknown outcome at ``cutoff`` dropped.

    Args:
        ledger: the ledger (not modified).
        config: feature and label parameters.
        cutoff: first day not in the data (default: the day after the ledger's last date).
        progress: called with the name of each stage.

    Returns:
        ``build_invoice_frame`` plus ``label_days_late`` and ``label_late`` (int 0/1).
    """
    config = config or FeatureConfig()
    cutoff = pd.Timestamp(cutoff) if cutoff is not None else default_cutoff(ledger)
    frame = build_invoice_frame(ledger, config, progress)
    progress("labels")
    found = label_rules.invoice_labels(
        ledger.invoices.reset_index(drop=True), cutoff, config.late_after_days
    )
    known = found["label_known"].to_numpy()
    out = pd.concat([frame, found.drop(columns="label_known")], axis=1)[known]
    out[label_rules.INVOICE_LABEL] = out[label_rules.INVOICE_LABEL].astype(np.int64)
    out = out.reset_index(drop=True)
    out.attrs.update(frame.attrs)
    out.attrs["cutoff"] = str(cutoff.date())
    return out


def customer_training_frame(
    ledger: Ledger,
    config: FeatureConfig | None = None,
    cutoff: pd.Timestamp | None = None,
    dates: pd.DatetimeIndex | None = None,
    progress: Progress = _noop,
) -> pd.DataFrame:
    """The customer frame with labels; rows whose label is not known at ``cutoff`` dropped, and
    rows of customers with no invoice due in the horizon dropped (out of scope, never good).

    Snapshot dates default to every ``snapshot_freq`` up to ``cutoff - (H + L)``, the last date
    whose label is known.

    Returns:
        ``build_customer_frame`` plus ``label_n_due``, ``label_late_share``,
        ``label_late_invoice``, ``label_proceeding`` and ``label_event`` (int 0/1).
        ``attrs["label_out_of_scope"]`` counts the known rows dropped for having no invoice due.
    """
    config = config or FeatureConfig()
    cutoff = pd.Timestamp(cutoff) if cutoff is not None else default_cutoff(ledger)
    if dates is None:
        maturity = label_rules.customer_label_maturity_days(config)
        dates = snapshot_dates(ledger, config, cutoff - pd.Timedelta(days=maturity))
    frame = build_customer_frame(ledger, dates, config, progress)
    progress("labels")
    found = label_rules.customer_labels(ledger, frame, cutoff, config)
    known = found["label_known"].to_numpy()
    in_scope = found["label_in_scope"].to_numpy()
    kept = known & in_scope
    out = pd.concat([frame, found.drop(columns=["label_known", "label_in_scope"])], axis=1)[kept]
    integer = ["label_late_invoice", "label_proceeding", "label_n_due", label_rules.CUSTOMER_LABEL]
    out = out.astype(dict.fromkeys(integer, np.int64))
    out = out.reset_index(drop=True)
    out.attrs.update(frame.attrs)
    out.attrs["cutoff"] = str(cutoff.date())
    out.attrs["label_out_of_scope"] = int((known & ~in_scope).sum())
    return out
