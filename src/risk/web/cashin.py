"""Cash-in by week for the dashboard.

With a payment-timing model loaded (``payment-timing`` in the registry, ``Scorer.timing_model``)
the cash-in is its forecast (``risk.timing.forecast.cash_forecast``): the expected cash of the
invoices open at the view date in each of the 13 weeks after it, with the 80 % band. Without
one, it is the open amount by due date (what would come in if every client paid on its due
date), the overdue amount apart; the page labels which one it shows (``CashIn.basis``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from risk.errors import RiskError
from risk.ledger import Ledger
from risk.portfolio import open_amounts

if TYPE_CHECKING:
    from risk.model.bundle import RiskModel

logger = logging.getLogger(__name__)

WEEKS = 13
FORECAST = "forecast"
DUE_DATE = "due_date"


@dataclass(frozen=True)
class CashIn:
    """The dashboard's cash-in by week.

    Attributes:
        basis: ``"forecast"`` (payment-timing model, with its 80 % band) or ``"due_date"``.
        weeks: ``week`` (1..13), ``starts_on``, ``amount`` (expected cash), ``low``, ``high``
            (the 80 % band; equal to ``amount`` by due date).
        overdue: by due date, the open amount already due at the view date (no week to place
            it on); 0 for the forecast, which spreads overdue invoices over the weeks too.
        open_total: open receivables at the view date.
    """

    basis: str
    weeks: pd.DataFrame
    overdue: float
    open_total: float

    @property
    def beyond(self) -> float:
        """Open amount not expected within the weeks shown (nor shown as overdue)."""
        return max(self.open_total - float(self.weeks["amount"].sum()) - self.overdue, 0.0)


def cash_in(
    ledger: Ledger,
    as_of: pd.Timestamp,
    timing_model: RiskModel | None = None,
    weeks: int = WEEKS,
) -> CashIn:
    """The payment-timing forecast when a model is given, else the open amount by due date
    (also when the forecast fails: logged, and labelled by due date on the page)."""
    as_of = pd.Timestamp(as_of)
    items = open_amounts(ledger, as_of)
    total = float(items["open_amount"].sum())
    if timing_model is not None:
        from risk.timing.forecast import cash_forecast, model_band
        from risk.timing.score import score_open_invoices

        try:
            scored = score_open_invoices(timing_model, ledger, as_of)
            frame = cash_forecast(scored, weeks, band=model_band(timing_model)[0])
        except (RiskError, ValueError, KeyError) as exc:
            logger.warning("cash-in forecast failed, showing it by due date: %s", exc)
        else:
            if len(frame):
                out = pd.DataFrame(
                    {
                        "week": frame["week"].to_numpy(),
                        "starts_on": pd.to_datetime(frame["week_start"]).to_numpy(),
                        "amount": frame["expected"].to_numpy(dtype=float),
                        "low": frame["low"].to_numpy(dtype=float),
                        "high": frame["high"].to_numpy(dtype=float),
                    }
                )
            else:  # nothing open: a flat zero forecast
                out = cash_in_by_week(items, as_of, weeks).assign(low=0.0, high=0.0)
            return CashIn(FORECAST, out, 0.0, total)
    by_due = cash_in_by_week(items, as_of, weeks)
    by_due = by_due.assign(low=by_due["amount"], high=by_due["amount"])
    return CashIn(DUE_DATE, by_due, overdue_amount(items, as_of), total)


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
