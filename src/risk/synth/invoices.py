"""Invoices: how many, when, how much, on which terms and channel (vectorised)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from risk.synth.customers import CustomerDraw, Window
from risk.synth.dates import end_of_month, month_of_year
from risk.synth.ids import make_ids
from risk.synth.latent import FailureTimeline

logger = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]

#: Share of August invoices that are not issued (summer slowdown of activity).
AUGUST_DROP: float = 0.35
#: Share of invoices not issued once the client is in a proceeding (reduced business).
PROCEEDING_DROP: float = 0.5
#: Standard deviation of log amounts around the customer's mean.
AMOUNT_LOG_SD: float = 0.85
#: Smallest invoice amount.
MIN_AMOUNT: float = 5.0
#: Yearly growth of the electronic invoicing share (e-invoicing reform).
ELECTRONIC_TREND_PER_YEAR: float = 0.05


@dataclass(frozen=True)
class InvoiceDraw:
    """Invoices sorted by issue day then customer; one array element per invoice."""

    customer: IntArray
    issued_day: IntArray
    due_day: IntArray
    amount: npt.NDArray[np.float64]
    electronic: npt.NDArray[np.bool_]

    @property
    def size(self) -> int:
        """Number of invoices."""
        return int(self.customer.size)


def _issue_days(
    rng: np.random.Generator, draw: CustomerDraw, timeline: FailureTimeline, window: Window
) -> tuple[IntArray, IntArray]:
    """Draw Poisson invoice counts per customer and uniform issue days, then thin them."""
    first = np.maximum(draw.relationship_day, window.start_day)
    last = np.minimum(window.end_day, timeline.liquidation_day - 1)
    span = np.maximum(last - first + 1, 0)
    keep_share = 1.0 - AUGUST_DROP / 12.0
    counts = rng.poisson(draw.invoice_rate * span / 30.4375 / keep_share)
    customer = np.repeat(np.arange(draw.size, dtype=np.int64), counts)
    issued = first[customer] + np.floor(rng.random(customer.size) * span[customer]).astype(np.int64)
    drop = rng.random(customer.size)
    august = month_of_year(issued) == 8
    in_proceeding = issued >= timeline.first_day[customer]
    keep = ~(august & (drop < AUGUST_DROP)) & ~(in_proceeding & (drop > 1.0 - PROCEEDING_DROP))
    customer, issued = customer[keep], issued[keep]
    order = np.lexsort((customer, issued))
    return customer[order], issued[order]


def due_days(
    issued: IntArray, terms_days: IntArray, end_of_month_terms: npt.NDArray[np.bool_]
) -> IntArray:
    """Compute due days: ``issued + terms``, moved to the month end for end-of-month terms.

    "45 jours fin de mois" is read as 45 days after the invoice date, then the end of that
    month (the usual French reading).

    Example:
        >>> from risk.synth.dates import to_day
        >>> import datetime as dt
        >>> d = due_days(np.array([to_day(dt.date(2024, 1, 20))]), np.array([45]), np.array([True]))
        >>> str(np.datetime64(int(d[0]), "D"))
        '2024-03-31'
    """
    plain = issued + terms_days
    return np.where(end_of_month_terms, end_of_month(plain), plain)


def draw_invoices(
    rng: np.random.Generator, draw: CustomerDraw, timeline: FailureTimeline, window: Window
) -> InvoiceDraw:
    """Draw every invoice of the window.

    Args:
        rng: the invoices' random generator.
        draw: customers.
        timeline: customers' proceedings (no invoice after a liquidation, fewer during a
            proceeding).
        window: ledger window.

    Returns:
        The invoices, sorted by issue day then customer.
    """
    customer, issued = _issue_days(rng, draw, timeline, window)
    n = customer.size
    log_amount = draw.amount_log_mean[customer] + rng.normal(0.0, AMOUNT_LOG_SD, n)
    amount = np.maximum(np.round(np.exp(log_amount), 2), MIN_AMOUNT)
    years_in = (issued - window.start_day) / 365.25
    p_electronic = draw.electronic_propensity[customer] + ELECTRONIC_TREND_PER_YEAR * years_in
    electronic = rng.random(n) < p_electronic
    due = due_days(issued, draw.terms_days[customer], draw.end_of_month[customer])
    logger.debug("drew %d invoices for %d customers", n, draw.size)
    return InvoiceDraw(customer, issued, due.astype(np.int64), amount, electronic)


def invoice_ids(n: int) -> pd.Series:
    """Return invoice identifiers ``INV00000001``, ... in issue order."""
    return make_ids("INV", np.arange(1, n + 1), max(8, len(str(n))))
