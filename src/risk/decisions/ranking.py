"""The worklist's order (one function) and its one-action-per-customer view.

Order (``rank_worklist``, the only place it is decided):

1. legal deadlines: a claim to declare, or a relevé de forclusion to ask, before its deadline,
   the nearest deadline first;
2. actions due today on overdue invoices (and reviews), by expected amount at risk (from the
   invoice model: the payment-timing model when it lands), then days past due;
3. courtesy actions on invoices not yet due, once their date has come;
4. everything whose date has not come yet (upcoming steps, promises awaited), by date.

Credit managers work one customer at a time: ``customer_actions`` groups the ranked invoice
rows into one action per customer, the most urgent step (the customer's best-ranked row), the
total owed and the invoices listed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LEGAL_DEADLINE_CODES = ("declare_claim", "request_relief")
TIER_LABELS = {1: "legal deadline", 2: "due now", 3: "courtesy (not yet due)", 4: "upcoming"}


def priority_tier(worklist: pd.DataFrame) -> np.ndarray:
    """Tier 1-4 of each row (see the module docstring)."""
    as_of = pd.to_datetime(worklist["as_of"])
    dated = pd.to_datetime(worklist["action_date"])
    legal = worklist["action"].isin(LEGAL_DEADLINE_CODES) & worklist["deadline"].notna()
    today = dated.isna() | (dated <= as_of)
    overdue = worklist["days_past_due"] > 0
    return np.select([legal, today & overdue, today & ~overdue], [1, 2, 3], default=4)


def rank_worklist(worklist: pd.DataFrame) -> pd.DataFrame:
    """The worklist sorted by priority, ``rank`` from 1 and ``priority`` (tier label) set.

    Args:
        worklist: decided rows with ``action``, ``action_date``, ``deadline``, ``as_of``,
            ``days_past_due``, ``expected_at_risk`` and ``invoice_id``.

    Returns:
        A new frame in priority order (ties keep invoice-id order).
    """
    tier = priority_tier(worklist)
    keys = pd.DataFrame(
        {
            "tier": tier,
            "deadline": pd.to_datetime(worklist["deadline"]).where(tier == 1),
            "at_risk": -worklist["expected_at_risk"].to_numpy(dtype=float),
            "late": -worklist["days_past_due"].to_numpy(dtype=float),
            "when": pd.to_datetime(worklist["action_date"]).where(tier == 4),
            "invoice_id": worklist["invoice_id"].to_numpy(),
        },
        index=worklist.index,
    )
    order = keys.sort_values(
        ["tier", "deadline", "at_risk", "when", "late", "invoice_id"],
        kind="stable",
        na_position="last",
    ).index
    ranked = worklist.loc[order].reset_index(drop=True)
    ranked["rank"] = np.arange(1, len(ranked) + 1)
    ranked["priority"] = [TIER_LABELS[t] for t in tier[worklist.index.get_indexer(order)]]
    return ranked


def top_rows(ranked: pd.DataFrame, top: int | None, per_customer: bool) -> pd.DataFrame:
    """The first ``top`` invoice rows, or every row of the first ``top`` customers."""
    if not top:
        return ranked
    if not per_customer:
        return ranked.head(top)
    customers = ranked["customer_id"].drop_duplicates().head(top)
    return ranked[ranked["customer_id"].isin(customers)]


def _join(values: pd.Series) -> str:
    return ", ".join(str(v) for v in values)


def customer_actions(worklist: pd.DataFrame) -> pd.DataFrame:
    """One row per customer: its most urgent action, the total owed, the invoices listed.

    Args:
        worklist: ranked invoice rows (``rank_worklist`` order).

    Returns:
        Customers in the order of their most urgent row, with that row's action fields and
        ``n_invoices``, ``invoices``, ``total_open`` (net open amount), ``total_overdue``,
        ``total_interest``, ``total_indemnity``, ``total_expected_at_risk``,
        ``total_expected_loss`` (payment-timing model; NaN without it),
        ``total_disputed`` (amounts in dispute, paused),
        ``max_days_past_due`` and ``rank`` from 1.
    """
    if worklist.empty:
        return worklist.assign(n_invoices=pd.Series(dtype="int64"))
    ordered = worklist.sort_values("rank", kind="stable")
    first = ordered.drop_duplicates("customer_id").set_index("customer_id")
    grouped = ordered.groupby("customer_id", sort=False)
    overdue = ordered["open_amount"].where(ordered["days_past_due"] > 0, 0.0)
    totals = pd.DataFrame(
        {
            "n_invoices": grouped.size(),
            "invoices": grouped["invoice_id"].agg(_join),
            "total_open": grouped["open_amount"].sum(),
            "total_overdue": overdue.groupby(ordered["customer_id"], sort=False).sum(),
            "total_interest": grouped["interest"].sum(min_count=1),
            "total_indemnity": grouped["indemnity"].sum(min_count=1),
            "total_expected_at_risk": grouped["expected_at_risk"].sum(),
            "total_expected_loss": (
                grouped["expected_loss"].sum(min_count=1)
                if "expected_loss" in ordered
                else pd.Series(np.nan, index=grouped.size().index)
            ),
            "total_disputed": (
                grouped["disputed_amount"].sum()
                if "disputed_amount" in ordered
                else pd.Series(0.0, index=grouped.size().index)
            ),
            "max_days_past_due": grouped["days_past_due"].max(),
        }
    )
    keep = [c for c in first.columns if c not in ("invoice_id", "rank") and c not in totals]
    out = first[keep].join(totals).reset_index()
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out
