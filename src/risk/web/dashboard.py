"""Figures of the dashboard (tableau de bord), from ``risk.portfolio`` and the current scores."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import pandas as pd

from risk.grades import GradeScale
from risk.ledger import Ledger
from risk.portfolio import PortfolioOverview, days_sales_outstanding, open_amounts
from risk.web.cashin import DUE_DATE, CashIn, cash_in, cash_in_by_week, overdue_amount

if TYPE_CHECKING:
    from risk.model.bundle import RiskModel

MONTHS = 24
TOP_N = 10


@dataclass(frozen=True)
class Dashboard:
    """What the dashboard shows (amounts in the ledger currency)."""

    overview: PortfolioOverview
    dso_by_month: pd.DataFrame  # month_end, dso_days
    grades: pd.DataFrame  # grade, n_now, n_before
    previous_as_of: pd.Timestamp | None
    cash_in: CashIn  # forecast with its band, or by due date (``cash_in.basis``)
    top10_share: float


def dso_by_month(ledger: Ledger, as_of: pd.Timestamp, months: int = MONTHS) -> pd.DataFrame:
    """DSO at each of the last ``months`` month ends up to ``as_of`` (the last point is
    ``as_of`` itself when it is not a month end), as ``risk overview`` computes it."""
    as_of = pd.Timestamp(as_of)
    month_ends = [e for e in pd.date_range(end=as_of, periods=months, freq="ME") if e < as_of]
    ends = [*month_ends[-(months - 1) :], as_of]
    first = ledger.date_range[0]
    rows = []
    for end in ends:
        if end < first:
            continue
        total = float(open_amounts(ledger, end)["open_amount"].sum())
        rows.append({"month_end": end, "dso_days": days_sales_outstanding(ledger, total, end)})
    return pd.DataFrame(rows, columns=["month_end", "dso_days"])


def grade_counts(
    grades_now: pd.Series, grades_before: pd.Series | None, scale: GradeScale
) -> pd.DataFrame:
    """Customers per grade now and at the previous rescoring (0 when absent)."""
    letters = list(scale.letters)
    now = grades_now.value_counts().reindex(letters, fill_value=0)
    before = (
        grades_before.value_counts().reindex(letters, fill_value=0)
        if grades_before is not None
        else pd.Series(0, index=letters)
    )
    return pd.DataFrame({"grade": letters, "n_now": now.to_numpy(), "n_before": before.to_numpy()})


def top_share(open_items: pd.DataFrame, n: int = TOP_N) -> float:
    """Share of the ``n`` customers with the largest open amount in the open receivables."""
    by_customer = open_items.groupby("customer_id")["open_amount"].sum()
    total = float(by_customer.sum())
    return float(by_customer.nlargest(n).sum()) / total if total > 0 else 0.0


def build_dashboard(
    ledger: Ledger,
    overview: PortfolioOverview,
    grades_now: pd.Series,
    grades_before: pd.Series | None,
    previous_as_of: pd.Timestamp | None,
    scale: GradeScale,
    timing_model: RiskModel | None = None,
) -> Dashboard:
    """The dashboard at ``overview.as_of``; the cash-in is the payment-timing forecast when
    ``timing_model`` is given, else by due date."""
    as_of = overview.as_of
    items = open_amounts(ledger, as_of)
    return Dashboard(
        overview=overview,
        dso_by_month=dso_by_month(ledger, as_of),
        grades=grade_counts(grades_now, grades_before, scale),
        previous_as_of=previous_as_of,
        cash_in=cash_in(ledger, as_of, timing_model),
        top10_share=top_share(items),
    )


def refreshed(
    board: Dashboard, overview: PortfolioOverview, items: pd.DataFrame, grades: pd.DataFrame
) -> Dashboard:
    """``board`` after an event batch: the overview (open, overdue, aged balance, DSO, top
    overdue), the concentration, today's DSO point, the grades and the cash-in by due date from
    the refreshed open items ``items``; a payment-timing forecast is kept until the next
    rebuild (it scores every open invoice)."""
    dso = board.dso_by_month
    if len(dso) and dso["month_end"].iloc[-1] == overview.as_of:
        dso = dso.copy()
        dso.loc[dso.index[-1], "dso_days"] = overview.dso_days
    cash = board.cash_in
    if cash.basis == DUE_DATE:
        weeks = cash_in_by_week(items, overview.as_of, len(cash.weeks))
        cash = CashIn(
            DUE_DATE,
            weeks.assign(low=weeks["amount"], high=weeks["amount"]),
            overdue_amount(items, overview.as_of),
            overview.open_receivables,
        )
    return replace(
        board,
        overview=overview,
        dso_by_month=dso,
        grades=grades,
        cash_in=cash,
        top10_share=top_share(items),
    )
