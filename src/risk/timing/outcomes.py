"""How each invoice left the "open" state: paid, or lost (written off, or its customer entered a
collective proceeding), the competing outcomes of the payment-timing model.

* **Written off**: closed (``paid_on``) although what was received plus the credit notes fall
  short of its amount (``risk.labels.write_off_dates``, the rule of the default label): lost on
  its closing day, never paid.
* **Collective proceeding** (safeguard, receivership, liquidation, ``COLLECTIVE_PROCEEDING_KINDS``)
  of its customer published on or after the issue date and **before** the settlement day (a
  settlement on the publication day counts as paid): the claim is frozen by the proceeding (Code
  de commerce L622-7: no payment of claims born before the opening judgment) and must be
  declared (L622-24); lost on the publication day. A proceeding published before the issue
  date does not make the invoice lost (claims born after the opening are paid at their due date,
  L622-17).

An invoice open at ``t`` whose lost date is before ``t`` (its customer entered a proceeding
earlier) leaves the risk set as lost in the first week after ``t``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.contracts import COLLECTIVE_PROCEEDING_KINDS
from risk.labels import write_off_dates
from risk.ledger import Ledger


def exit_dates(ledger: Ledger, cutoff: pd.Timestamp | None = None) -> pd.DataFrame:
    """``invoice_id, paid_on, lost_on`` of every invoice: one of the two dates at most (NaT
    while open), as known at ``cutoff`` (default: the day after the ledger's last event).

    ``paid_on`` is the settlement day of an invoice paid (not written off, not frozen by a
    proceeding); ``lost_on`` the day it was written off or its customer's proceeding published.
    """
    inv = ledger.invoices
    cutoff = pd.Timestamp(cutoff) if cutoff is not None else ledger.cutoff + pd.Timedelta(days=1)
    settled = inv["paid_on"] if "paid_on" in inv.columns else pd.Series(pd.NaT, index=inv.index)
    settled = settled.where(settled < cutoff).astype("datetime64[ns]")
    written = write_off_dates(inv, ledger.credit_notes, cutoff)
    proceeding = _first_proceeding_after_issue(ledger, cutoff)
    frozen = proceeding.notna() & (settled.isna() | (proceeding < settled))
    lost = pd.concat([written, proceeding.where(frozen)], axis=1).min(axis=1)
    paid = settled.where(lost.isna())
    return pd.DataFrame(
        {
            "invoice_id": inv["invoice_id"].to_numpy(),
            "paid_on": paid.to_numpy(dtype="datetime64[ns]"),
            "lost_on": lost.to_numpy(dtype="datetime64[ns]"),
        }
    )


def _first_proceeding_after_issue(ledger: Ledger, cutoff: pd.Timestamp) -> pd.Series:
    """Per invoice: the first collective proceeding of its customer published on or after its
    issue date and before ``cutoff`` (NaT if none)."""
    inv = ledger.invoices
    none = pd.Series(pd.NaT, index=inv.index, dtype="datetime64[ns]")
    events = ledger.legal_events
    if events is None or events.empty or not {"kind", "published_on"} <= set(events.columns):
        return none
    chosen = events[
        events["kind"].isin(COLLECTIVE_PROCEEDING_KINDS) & (events["published_on"] < cutoff)
    ][["customer_id", "published_on"]]
    if chosen.empty:
        return none
    rows = inv[["customer_id", "issued_on"]].assign(row=np.arange(len(inv)))
    pairs = rows.merge(chosen, on="customer_id")
    pairs = pairs[pairs["published_on"] >= pairs["issued_on"]]
    first = pairs.groupby("row")["published_on"].min().reindex(np.arange(len(inv)))
    return pd.Series(first.to_numpy(dtype="datetime64[ns]"), index=inv.index)


def frozen_at_snapshot(frame: pd.DataFrame) -> np.ndarray:
    """Per snapshot row: its customer's collective proceeding was published on or after the
    invoice's issue date and before the row's date, so the invoice is already lost at ``t``
    (L622-7, the rule of :func:`exit_dates`), known from the row's own features
    (``days_since_collective_proceeding`` counts from the last proceeding published before
    ``t``; ``days_since_issue``)."""
    if "days_since_collective_proceeding" not in frame or "days_since_issue" not in frame:
        return np.zeros(len(frame), dtype=bool)
    since_proceeding = frame["days_since_collective_proceeding"].to_numpy(dtype="float64")
    since_issue = frame["days_since_issue"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        return np.asarray(since_proceeding <= since_issue, dtype=bool)


def with_known_losses(
    q: np.ndarray, lost: np.ndarray, frozen: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(q, lost)`` with the rows already lost at ``t`` (``frozen``) certain: they leave the
    open state as lost in the first week (the convention of the training rows,
    ``risk.timing.hazard.exit_counts``), so P(lost) = P(unpaid at any horizon) = 1 and they
    bring no cash. The other rows are unchanged."""
    if not frozen.any():
        return q, lost
    q, lost = q.copy(), lost.copy()
    q[frozen, 0] = 0.0
    lost[frozen, 0] = 1.0
    return q, lost
