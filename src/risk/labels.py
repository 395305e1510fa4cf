"""Labels: what happens after the as-of date, as known at the data cut-off.

Definitions (``L`` = ``late_after_days``, ``H`` = ``horizon_days``, ``cutoff`` = the first day
*not* in the data: facts dated before ``cutoff`` are known, facts on or after it are not):

* ``days_late = paid_on - due_on`` in days (negative when paid early).
* **invoice late**: paid with ``days_late > L`` (exactly ``L`` days late is on time), or still
  unpaid ``L`` days after the due date.
* the outcome of an invoice is **known** at ``cutoff`` when it was paid before ``cutoff``
  (``paid_on < cutoff``), or when it is unpaid and ``cutoff > due_on + L`` (the whole day
  ``due_on + L`` passed without payment, so any later payment has ``days_late > L``).
  Invoices whose outcome is not known are excluded from training, never labelled on time;
  so are invoices issued on or after ``cutoff``.
* an invoice **becomes late** on day ``due_on + L + 1`` (the first day it is more than ``L``
  days past due without having been paid).
* **customer label** at snapshot ``t``: 1 when one of its invoices becomes late in
  ``[t, t + H)`` or a collective proceeding (safeguard, receivership, liquidation) is published
  in ``[t, t + H)``; known when the whole window is before the cut-off (``t + H <= cutoff``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.contracts import COLLECTIVE_PROCEEDING_KINDS
from risk.errors import RiskError
from risk.features.config import FeatureConfig
from risk.features.context import positions_in
from risk.features.timeline import EventIndex, to_days
from risk.ledger import Ledger

INVOICE_LABEL = "label_late"
CUSTOMER_LABEL = "label_event"


class LabelError(RiskError):
    """The ledger cannot give labels (e.g. the invoices have no ``paid_on`` column)."""


def _paid_before(invoices: pd.DataFrame, cutoff: pd.Timestamp) -> pd.Series:
    """``paid_on`` as known at ``cutoff``: NaT when paid on or after it."""
    if "paid_on" not in invoices.columns:
        raise LabelError("table 'invoices', column 'paid_on': needed for labels, absent")
    paid = invoices["paid_on"]
    return paid.where(paid < cutoff)


def invoice_labels(
    invoices: pd.DataFrame, cutoff: pd.Timestamp, late_after_days: int = 30
) -> pd.DataFrame:
    """Late label of each invoice as known at ``cutoff`` (see the module docstring).

    Args:
        invoices: the ledger's invoices (not modified).
        cutoff: first day not in the data.
        late_after_days: L.

    Returns:
        Indexed like ``invoices``: ``label_days_late`` (float, NaN while unpaid),
        ``label_late`` (0/1, ``<NA>`` when unknown) and ``label_known`` (bool).

    Raises:
        LabelError: no ``paid_on`` column.
    """
    cutoff = pd.Timestamp(cutoff)
    paid = _paid_before(invoices, cutoff)
    days_late = (paid - invoices["due_on"]).dt.days.astype(np.float64)
    overdue_unpaid = paid.isna() & (
        cutoff > invoices["due_on"] + pd.Timedelta(days=late_after_days)
    )
    known = (paid.notna() | overdue_unpaid) & (invoices["issued_on"] < cutoff)
    late = (days_late > late_after_days) | overdue_unpaid
    return pd.DataFrame(
        {
            "label_days_late": days_late,
            INVOICE_LABEL: late.astype("Int64").mask(~known),
            "label_known": known.astype(bool),
        },
        index=invoices.index,
    )


def late_event_dates(
    invoices: pd.DataFrame, cutoff: pd.Timestamp, late_after_days: int = 30
) -> pd.Series:
    """Day each invoice becomes more than L days late (``due_on + L + 1``); NaT if never.

    Payments on or after ``cutoff`` are unknown, so such invoices count as unpaid.
    """
    paid = _paid_before(invoices, pd.Timestamp(cutoff))
    becomes_late = invoices["due_on"] + pd.Timedelta(days=late_after_days + 1)
    late = paid.isna() | (paid >= becomes_late)
    return becomes_late.where(late)


def _count_in(
    index: EventIndex, codes: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """Events of each code dated in ``[start, end)``."""
    return index.before(codes, end) - index.before(codes, start)


def customer_labels(
    ledger: Ledger, queries: pd.DataFrame, cutoff: pd.Timestamp, config: FeatureConfig
) -> pd.DataFrame:
    """Customer label of each (customer_id, as_of) row as known at ``cutoff``.

    Args:
        ledger: the ledger (not modified).
        queries: columns ``customer_id`` and ``as_of``.
        cutoff: first day not in the data.
        config: gives L (``late_after_days``) and H (``horizon_days``).

    Returns:
        Indexed like ``queries``: ``label_late_invoice``, ``label_proceeding``, ``label_event``
        (0/1, ``<NA>`` when unknown) and ``label_known``.

    Raises:
        LabelError: no ``paid_on`` column.
    """
    cutoff = pd.Timestamp(cutoff)
    ids = ledger.customers["customer_id"]
    codes = positions_in(ids, queries["customer_id"])
    start = to_days(queries["as_of"])
    end = start + config.horizon_days
    inv = ledger.invoices
    late_on = late_event_dates(inv, cutoff, config.late_after_days)
    has_date = late_on.notna().to_numpy()
    late_index = EventIndex(
        positions_in(ids, inv["customer_id"])[has_date], to_days(late_on)[has_date]
    )
    late = _count_in(late_index, codes, start, end) > 0
    proceeding = np.zeros(len(queries), dtype=bool)
    events = ledger.legal_events
    if events is not None and {"kind", "published_on"} <= set(events.columns):
        chosen = events["kind"].isin(COLLECTIVE_PROCEEDING_KINDS).to_numpy()
        index = EventIndex(
            positions_in(ids, events["customer_id"])[chosen],
            to_days(events["published_on"])[chosen],
        )
        proceeding = _count_in(index, codes, start, end) > 0
    known = end <= to_days(pd.Series([cutoff]))[0]
    out = pd.DataFrame(
        {
            "label_late_invoice": late,
            "label_proceeding": proceeding,
            CUSTOMER_LABEL: late | proceeding,
        },
        index=queries.index,
    ).astype("Int64")
    out = out.mask(~pd.Series(known, index=queries.index), axis=0)
    out["label_known"] = known
    return out
