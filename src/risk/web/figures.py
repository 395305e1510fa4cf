"""The dashboard's amounts kept per customer, so that an event batch refreshes them for the
customers it touched instead of reading the whole ledger again.

``ledger_figures(ledger, as_of)`` computes, for any ledger (the whole one or the rows of a few
customers, ``risk.ledger.subset_ledger``), the open items (``risk.portfolio.open_amounts``) and
per-customer sums: invoices known, sales over the DSO window, invoices settled, settled late and
their days late. Each of these depends only on the customer's own rows, so ``with_customers``
swaps the touched customers' rows and ``overview`` adds them up into the figures of
``risk.portfolio.portfolio_overview`` (same rules, same clock).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk.ledger import Ledger
from risk.portfolio import (
    DSO_WINDOW_DAYS,
    PortfolioOverview,
    aged_balance,
    known_at,
    open_amounts,
    top_overdue,
)

SUMS = ("n_invoices", "sales", "n_settled", "n_late", "days_late")


@dataclass(frozen=True)
class LedgerFigures:
    """Open items and per-customer sums of a ledger at ``as_of``."""

    as_of: pd.Timestamp
    items: pd.DataFrame  # open_amounts rows
    sums: pd.DataFrame  # index customer_id; columns SUMS


def ledger_figures(ledger: Ledger, as_of: pd.Timestamp) -> LedgerFigures:
    """Open items and per-customer sums at ``as_of`` (see the module docstring)."""
    as_of = pd.Timestamp(as_of)
    inv = ledger.invoices
    issued = known_at(inv["issued_on"], as_of)
    recent = issued & (inv["issued_on"] >= as_of - pd.Timedelta(days=DSO_WINDOW_DAYS))
    settled = known_at(inv["paid_on"], as_of)
    days_late = (inv["paid_on"] - inv["due_on"]).dt.days.clip(lower=0).where(settled, 0)
    frame = pd.DataFrame(
        {
            "customer_id": inv["customer_id"].to_numpy(),
            "n_invoices": issued.to_numpy(dtype="int64"),
            "sales": np.where(recent, inv["amount"].to_numpy(dtype=float), 0.0),
            "n_settled": settled.to_numpy(dtype="int64"),
            "n_late": (settled & (days_late > 0)).to_numpy(dtype="int64"),
            "days_late": days_late.fillna(0).to_numpy(dtype=float),
        }
    )
    sums = frame.groupby("customer_id", sort=False)[list(SUMS)].sum()
    return LedgerFigures(as_of, open_amounts(ledger, as_of), sums)


def with_customers(
    figures: LedgerFigures, fresh: LedgerFigures, ids: Collection[str]
) -> LedgerFigures:
    """``figures`` with the rows of ``ids`` replaced by ``fresh`` (computed on their rows)."""
    wanted = list(ids)
    items = figures.items[~figures.items["customer_id"].isin(wanted)]
    sums = figures.sums[~figures.sums.index.isin(wanted)]
    return LedgerFigures(
        figures.as_of,
        pd.concat([items, fresh.items], ignore_index=True) if len(fresh.items) else items,
        pd.concat([sums, fresh.sums]) if len(fresh.sums) else sums,
    )


def overview(figures: LedgerFigures, n_customers: int, names: pd.Series) -> PortfolioOverview:
    """``portfolio_overview`` of the ledger the figures were computed on.

    Args:
        figures: open items and per-customer sums.
        n_customers: rows of the ledger's customers table.
        names: customer name by customer id (empty: no name column).
    """
    items, sums = figures.items, figures.sums
    open_total = float(items["open_amount"].sum())
    sales = float(sums["sales"].sum())
    n_settled = int(sums["n_settled"].sum())
    share_late = float(sums["n_late"].sum()) / n_settled if n_settled else float("nan")
    mean_late = float(sums["days_late"].sum()) / n_settled if n_settled else float("nan")
    return PortfolioOverview(
        as_of=figures.as_of,
        n_customers=n_customers,
        n_invoices=int(sums["n_invoices"].sum()),
        n_open_invoices=len(items),
        open_receivables=open_total,
        overdue_receivables=float(items.loc[items["days_past_due"] > 0, "open_amount"].sum()),
        aged_balance=aged_balance(items),
        dso_days=open_total / sales * DSO_WINDOW_DAYS if sales > 0 else float("nan"),
        share_paid_late=share_late,
        mean_days_late=mean_late,
        top_overdue=top_overdue(items, names),
    )
