"""Settlement: payments (incl. partial ones), credit notes and the ledger-end cut-off.

Rules:

* a credit note (avoir) of 5-50 % of the invoice, dated between issue and payment, reduces the
  cash the client owes: a settled invoice has ``amount_paid = amount - credited``;
* a partial payment of 20-80 % of the cash owed may come before the final payment, or before
  the proceeding that freezes the invoice;
* nothing dated after the ledger end is kept: an invoice paid after the end is open
  (``paid_on`` empty) with ``amount_paid`` = what was paid up to the end.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from risk.synth.behaviour import Behaviour
from risk.synth.config import SampleConfig
from risk.synth.customers import Window
from risk.synth.invoices import InvoiceDraw

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Probability that a disputed invoice gets a credit note.
DISPUTE_CREDIT_NOTE_RATE: float = 0.3
#: Probability that an invoice frozen by a proceeding had received a partial payment.
FROZEN_PARTIAL_RATE: float = 0.15


@dataclass(frozen=True)
class Settlement:
    """Invoice settlement state at the ledger end and the rows of the side tables."""

    paid: BoolArray  # fully settled on or before the ledger end
    amount_paid: FloatArray
    payment_invoice: IntArray
    payment_day: IntArray
    payment_amount: FloatArray
    credit_invoice: IntArray
    credit_day: IntArray
    credit_amount: FloatArray


def _uniform_day(rng: np.random.Generator, low: IntArray, high: IntArray) -> IntArray:
    """Draw one integer day uniformly in ``[low, high]`` per row (``high >= low``)."""
    width = np.maximum(high - low + 1, 1)
    return low + np.floor(rng.random(low.size) * width).astype(np.int64)


def _credit_notes(
    rng: np.random.Generator, inv: InvoiceDraw, beh: Behaviour, config: SampleConfig
) -> tuple[BoolArray, IntArray, FloatArray]:
    """Return which invoices get a credit note, its day and amount."""
    n = inv.size
    rate = np.where(beh.disputed, DISPUTE_CREDIT_NOTE_RATE, config.credit_note_rate)
    credited = rng.random(n) < rate
    settles = ~beh.frozen
    last = np.where(settles, beh.pay_day, inv.issued_day + 60)
    day = _uniform_day(rng, inv.issued_day, last)
    amount = np.maximum(np.round(inv.amount * rng.uniform(0.05, 0.5, n), 2), 0.01)
    return credited, day, amount


def settle(
    rng: np.random.Generator,
    inv: InvoiceDraw,
    beh: Behaviour,
    window: Window,
    config: SampleConfig,
) -> Settlement:
    """Cut the payment process at the ledger end and build payments and credit notes.

    Returns:
        The invoices' state at the end and the payment / credit-note rows (unsorted).
    """
    n, end = inv.size, window.end_day
    credited, credit_day, credit_amount = _credit_notes(rng, inv, beh, config)
    cash_due = np.round(inv.amount - np.where(credited, credit_amount, 0.0), 2)
    partial_rate = np.where(beh.frozen, FROZEN_PARTIAL_RATE, config.partial_payment_rate)
    stop = np.where(beh.frozen, beh.next_opening - 1, beh.pay_day - 1)
    partial = (rng.random(n) < partial_rate) & (stop >= inv.issued_day)
    partial_day = _uniform_day(rng, inv.issued_day, stop)
    partial_amount = np.round(cash_due * rng.uniform(0.2, 0.8, n), 2)
    partial_in = partial & (partial_day <= end) & (partial_amount > 0)
    final_amount = np.round(cash_due - np.where(partial, partial_amount, 0.0), 2)
    final_in = ~beh.frozen & (beh.pay_day <= end) & (final_amount > 0)
    paid = ~beh.frozen & (beh.pay_day <= end)
    amount_paid = np.where(partial_in, partial_amount, 0.0) + np.where(final_in, final_amount, 0.0)
    index = np.arange(n, dtype=np.int64)
    credit_in = credited & (credit_day <= end)
    return Settlement(
        paid=paid,
        amount_paid=np.round(amount_paid, 2),
        payment_invoice=np.concatenate([index[partial_in], index[final_in]]),
        payment_day=np.concatenate([partial_day[partial_in], beh.pay_day[final_in]]),
        payment_amount=np.concatenate([partial_amount[partial_in], final_amount[final_in]]),
        credit_invoice=index[credit_in],
        credit_day=credit_day[credit_in],
        credit_amount=credit_amount[credit_in],
    )
