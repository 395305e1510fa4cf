"""Cash-in by week for the dashboard.

Until the payment-timing model provides a forecast, the cash-in is the open amount by due date:
what would come in if every client paid on its due date. The page labels it as such. Swap
``cash_in_by_week`` for the forecast (same frame, plus a band) when it lands.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WEEKS = 13


def cash_in_by_week(
    open_items: pd.DataFrame, as_of: pd.Timestamp, weeks: int = WEEKS
) -> pd.DataFrame:
    """Open amount by due week over ``weeks`` weeks after ``as_of``, by due date.

    Args:
        open_items: ``open_amounts`` rows (``due_on``, ``open_amount``).
        as_of: the view date; week 1 is the 7 days after it.
        weeks: number of weeks.

    Returns:
        One row per week: ``week`` (1..weeks), ``starts_on`` (first day), ``amount``; amounts
        already overdue at ``as_of`` and due after the last week are left out (see
        ``overdue_amount``).
    """
    as_of = pd.Timestamp(as_of)
    days = (pd.to_datetime(open_items["due_on"]) - as_of).dt.days.to_numpy()
    week = np.where(days > 0, (days - 1) // 7 + 1, 0)
    amounts = pd.Series(open_items["open_amount"].to_numpy(), index=week)
    inside = amounts[(amounts.index >= 1) & (amounts.index <= weeks)]
    totals = inside.groupby(level=0).sum().reindex(range(1, weeks + 1), fill_value=0.0)
    return pd.DataFrame(
        {
            "week": np.arange(1, weeks + 1),
            "starts_on": [as_of + pd.Timedelta(days=7 * (w - 1) + 1) for w in range(1, weeks + 1)],
            "amount": totals.to_numpy(dtype=float),
        }
    )


def overdue_amount(open_items: pd.DataFrame, as_of: pd.Timestamp) -> float:
    """Open amount already due on or before ``as_of`` (no due date left to place it on)."""
    due = pd.to_datetime(open_items["due_on"]) <= pd.Timestamp(as_of)
    return float(open_items.loc[due, "open_amount"].sum())
