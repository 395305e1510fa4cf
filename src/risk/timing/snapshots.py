"""Open-invoice snapshot rows: each invoice at its issue date and every N days while open.

A row ``(invoice, t)`` holds the customer features as of ``t`` and the invoice features
(``risk.features.invoice_features_as_of``, the one feature path) plus the invoice's own state at
``t`` (``risk.features.invoice_state``; its e-invoicing status, ``risk.features.statuses``). An
invoice is *open at t* when it was issued on or before ``t`` and not settled before ``t`` (a
settlement dated ``t`` is not known at ``t``: the one clock of every feature). Nothing dated on or after ``t`` changes the row (property-tested).

Row weights make sure long-open invoices do not dominate training: the ``j``-th snapshot of an
invoice (``j = 0`` at issue) weighs ``1 / (1 + j)``, so an invoice open for ``n`` snapshots
weighs about ``ln n`` in total instead of ``n``. The weight depends only on the snapshot's age,
known at ``t``: a weight that used the payment date (e.g. ``1 / number of snapshots``) would
re-weight late payers down and bias every conditional probability.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk.errors import ConfigError
from risk.features import FeatureConfig, invoice_features_as_of, peer_dues, statuses
from risk.features import invoice_state as state
from risk.features.context import LedgerTimeline, Queries
from risk.features.frames import Progress, _noop
from risk.features.timeline import NEVER, to_days
from risk.ledger import Ledger

logger = logging.getLogger(__name__)

WEIGHT = "snapshot_weight"


@dataclass(frozen=True)
class SnapshotConfig:
    """How snapshot rows are taken.

    Attributes:
        every_days: days between two snapshots of an open invoice (7 = weekly, 30 = monthly).
        max_age_days: no snapshot later than this many days after the issue date.
    """

    every_days: int = 7
    max_age_days: int = 730

    def __post_init__(self) -> None:
        if self.every_days <= 0 or self.max_age_days < 0:
            raise ConfigError(
                f"SnapshotConfig.every_days must be > 0 and max_age_days >= 0, got "
                f"{self.every_days} / {self.max_age_days}"
            )


def snapshot_queries(
    ledger: Ledger, end: pd.Timestamp, config: SnapshotConfig | None = None
) -> pd.DataFrame:
    """(invoice_id, as_of, snapshot_index) of every open invoice at each of its snapshot dates
    before ``end`` (exclusive).

    The dates of an invoice are ``issued_on + j * every_days`` while the invoice is open at
    them (``paid_on`` missing or on or after the date); ``paid_on`` dated on or after ``end`` is
    not known and counts as open.
    """
    config = config or SnapshotConfig()
    inv = ledger.invoices
    issued = to_days(inv["issued_on"])
    paid = to_days(inv["paid_on"]) if "paid_on" in inv.columns else np.full(len(inv), NEVER)
    last = np.minimum(
        np.minimum(paid, to_days(pd.Series([end]))[0] - 1), issued + config.max_age_days
    )
    count = np.where(last >= issued, (last - issued) // config.every_days + 1, 0)
    rows = np.repeat(np.arange(len(inv)), count)
    starts = np.repeat(np.cumsum(count) - count, count)
    index = np.arange(len(rows)) - starts
    days = issued[rows] + index * config.every_days
    return pd.DataFrame(
        {
            "invoice_id": inv["invoice_id"].to_numpy()[rows],
            "as_of": days.astype("datetime64[D]").astype("datetime64[ns]"),
            "snapshot_index": index.astype(np.int64),
        }
    )


def snapshot_features(
    ledger: Ledger,
    queries: pd.DataFrame,
    config: FeatureConfig | None = None,
    progress: Progress = _noop,
) -> pd.DataFrame:
    """Features of (invoice_id, as_of) pairs: invoice and customer features plus the state.

    Args:
        ledger: the ledger (not modified).
        queries: ``invoice_id``, ``as_of`` and optionally ``snapshot_index`` (kept, with the
            row weight derived from it).
        config: feature parameters.
        progress: called with the name of each stage.

    Returns:
        ``invoice_id, customer_id, issued_on, as_of``, the features of
        ``invoice_features_as_of`` and the invoice-state features, indexed like ``queries``.
    """
    config = config or FeatureConfig()
    frame = invoice_features_as_of(ledger, queries, config, progress)
    progress("invoice state")
    timeline = LedgerTimeline(ledger, config)
    positions = timeline.invoice_positions(queries["invoice_id"])
    codes = timeline.invoices["code"].to_numpy()[positions]
    snapshot_queries = Queries(codes, to_days(frame["as_of"]))
    values = state.compute(timeline, positions, snapshot_queries)
    values.update(statuses.compute_snapshot(timeline, positions, snapshot_queries))
    values.update(peer_dues.compute(timeline, positions, snapshot_queries))
    for name, column in values.items():
        frame[name] = np.asarray(column)
    if "snapshot_index" in queries:
        index = queries["snapshot_index"].to_numpy()
        frame["snapshot_index"] = index
        frame[WEIGHT] = 1.0 / (1.0 + index)
    return frame


def snapshot_frame(
    ledger: Ledger,
    end: pd.Timestamp,
    features: FeatureConfig | None = None,
    config: SnapshotConfig | None = None,
    progress: Progress = _noop,
) -> pd.DataFrame:
    """Every snapshot row before ``end`` with its features and weight (see module docstring)."""
    queries = snapshot_queries(ledger, pd.Timestamp(end), config)
    logger.info("%d snapshot rows of %d invoices", len(queries), queries["invoice_id"].nunique())
    return snapshot_features(ledger, queries, features, progress)


def open_invoice_queries(ledger: Ledger, as_of: pd.Timestamp) -> pd.DataFrame:
    """(invoice_id, as_of) of every invoice open at ``as_of``: issued before it, not settled
    before it (the scoring rows; an invoice issued on ``as_of`` is scored at age 0)."""
    inv = ledger.invoices
    as_of = pd.Timestamp(as_of)
    is_open = (inv["issued_on"] <= as_of).to_numpy().copy()
    if "paid_on" in inv.columns:
        is_open &= ~(inv["paid_on"] < as_of).to_numpy()
    ids = inv.loc[is_open, "invoice_id"].reset_index(drop=True)
    age = (as_of - inv.loc[is_open, "issued_on"]).dt.days.to_numpy()
    return pd.DataFrame({"invoice_id": ids, "as_of": as_of, "snapshot_index": age // 7})
