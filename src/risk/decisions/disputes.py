"""Open disputes (litiges) at a date, and what they pause.

A dispute row (``disputes`` table: ``invoice_id``, ``opened_on``, ``resolved_on``, optional
``reason``, ``owner``, ``amount``) is open at ``as_of`` when it was opened before ``as_of`` and is
not resolved before it (the one clock of ``risk.portfolio``). It pauses the dunning of **its
invoice only**: the customer's other invoices keep their actions. A dispute with an ``amount``
smaller than the invoice's net open amount pauses that amount only: the rest is chased as
before. The reason and owner are carried into the worklist; a dispute with no owner says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.ledger import Ledger

COLUMNS = ("opened_on", "amount", "reason", "owner")


def _text(values: pd.Series) -> str:
    """Distinct non-empty texts joined with ", " (never "; ", the reasons' separator)."""
    kept = [str(v).replace(";", ",").strip() for v in values if isinstance(v, str) and v.strip()]
    return ", ".join(dict.fromkeys(kept))


def open_disputes(ledger: Ledger, as_of: pd.Timestamp) -> pd.DataFrame:
    """Disputes open at ``as_of``, one row per invoice.

    Returns:
        Indexed by ``invoice_id``: ``opened_on`` (the earliest open one), ``amount`` (sum of the
        disputed amounts; NaN when one of them disputes the whole invoice), ``reason`` and
        ``owner`` (texts, "" when none recorded).
    """
    disputes = ledger.disputes
    empty = pd.DataFrame(columns=list(COLUMNS), index=pd.Index([], name="invoice_id"))
    if disputes is None or disputes.empty:
        return empty
    as_of = pd.Timestamp(as_of)
    resolved = (
        disputes["resolved_on"]
        if "resolved_on" in disputes.columns
        else pd.Series(pd.NaT, index=disputes.index)
    )
    is_open = (disputes["opened_on"] < as_of) & ~(resolved < as_of)
    rows = disputes[is_open.to_numpy()]
    if rows.empty:
        return empty
    amount = rows["amount"] if "amount" in rows.columns else pd.Series(np.nan, index=rows.index)
    frame = pd.DataFrame(
        {
            "invoice_id": rows["invoice_id"].to_numpy(),
            "opened_on": rows["opened_on"].to_numpy(),
            "amount": amount.astype("float64").to_numpy(),
            "whole": amount.isna().to_numpy(),
            "reason": rows["reason"].to_numpy() if "reason" in rows else None,
            "owner": rows["owner"].to_numpy() if "owner" in rows else None,
        }
    )
    grouped = frame.groupby("invoice_id", sort=True)
    out = pd.DataFrame(
        {
            "opened_on": grouped["opened_on"].min(),
            "amount": grouped["amount"].sum().where(~grouped["whole"].any()),
            "reason": grouped["reason"].agg(_text),
            "owner": grouped["owner"].agg(_text),
        }
    )
    return out


def dispute_notes(found: pd.DataFrame, invoice_ids: pd.Series) -> pd.Series:
    """The "; "-separated reason parts of each invoice's open dispute ("" without one)."""
    out = pd.Series("", index=invoice_ids.index, dtype=object)
    has = invoice_ids.isin(found.index).to_numpy()
    if not has.any():
        return out
    ids = invoice_ids[has]
    reason = ids.map(found["reason"]).fillna("")
    owner = ids.map(found["owner"]).fillna("")
    out[has] = [
        (f"dispute reason: {r}" if r else "no dispute reason recorded")
        + "; "
        + (f"dispute owner: {o}" if o else "no dispute owner recorded: assign one")
        for r, o in zip(reason, owner, strict=True)
    ]
    return out


def disputed_amounts(
    found: pd.DataFrame, invoice_ids: pd.Series, open_amount: pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    """Per invoice: whether the whole open amount is disputed, and the disputed amount
    (the open amount when whole, the dispute's amount when partial, 0 without a dispute)."""
    has = invoice_ids.isin(found.index).to_numpy()
    amount = invoice_ids.map(found["amount"]).to_numpy(dtype=float)
    open_ = open_amount.to_numpy(dtype=float)
    whole = has & (np.isnan(amount) | (amount >= open_ - 0.005))
    partial = has & ~whole
    disputed = np.where(whole, open_, np.where(partial, np.clip(amount, 0.0, None), 0.0))
    return whole, disputed
