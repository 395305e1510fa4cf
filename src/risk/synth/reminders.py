"""Dunning reminders (relances): escalating steps after the due date of late invoices.

Step *k* is sent ``REMINDER_OFFSETS_DAYS[k-1]`` days after the due date (plus a 0-3 day
jitter per invoice) while the invoice is still open, before the ledger end and before a
collective proceeding (the claim is then declared instead). A disputed invoice stops after
the first step (outcome ``dispute``). The last reminder before a payment often carries a
kept promise to pay; some earlier ones carry broken promises.
"""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt
import pandas as pd

from risk.synth.behaviour import Behaviour
from risk.synth.customers import Window
from risk.synth.dates import NEVER, to_datetime
from risk.synth.ids import strings_from_codes
from risk.synth.invoices import InvoiceDraw

logger = logging.getLogger(__name__)

#: Days after the due date of each dunning step.
REMINDER_OFFSETS_DAYS: npt.NDArray[np.int64] = np.array([7, 20, 35, 50, 70], dtype=np.int64)
#: Channel names, indexed by the codes below.
CHANNELS: tuple[str, ...] = ("email", "phone", "letter", "registered_letter", "sms")
#: Usual channel of each step (e-mail, e-mail, phone call, letter, formal notice).
STEP_CHANNEL_CODES: npt.NDArray[np.int64] = np.array([0, 0, 1, 2, 3], dtype=np.int64)
#: Probability that a reminder followed by payment within 15 days got a promise to pay.
KEPT_PROMISE_RATE: float = 0.5
#: Probability that another reminder got a promise that was not kept.
BROKEN_PROMISE_RATE: float = 0.08


def _steps(
    inv: InvoiceDraw, beh: Behaviour, window: Window, jitter: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Return the number of reminders sent for each invoice."""
    settled = np.where(beh.frozen, NEVER, beh.pay_day)
    stop = np.minimum(np.minimum(settled, beh.next_opening), window.end_day + 1)
    count = np.searchsorted(REMINDER_OFFSETS_DAYS, stop - inv.due_day - jitter, side="left")
    return np.where(beh.disputed, np.minimum(count, 1), count).astype(np.int64)


def _outcomes(
    rng: np.random.Generator,
    sent: npt.NDArray[np.int64],
    settled: npt.NDArray[np.int64],
    last: npt.NDArray[np.bool_],
    dispute: npt.NDArray[np.bool_],
    end_day: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Return outcome codes (0 none, 1 promise, 2 dispute, 3 paid) and promised days."""
    rows = sent.size
    soon = last & (settled - sent <= 15) & (settled <= end_day)
    draw = rng.random(rows)
    kept = soon & (draw < KEPT_PROMISE_RATE)
    paid = soon & ~kept & (settled - sent <= 3)
    broken_day = sent + rng.integers(5, 21, rows)
    broken = ~soon & (draw < BROKEN_PROMISE_RATE) & (broken_day <= end_day)
    outcome = np.zeros(rows, dtype=np.int64)
    outcome[kept | broken] = 1
    outcome[paid] = 3
    outcome[dispute] = 2
    promised = np.where(kept, settled, np.where(broken, broken_day, NEVER))
    return outcome, np.where(outcome == 1, promised, NEVER)


def reminders_frame(
    rng: np.random.Generator,
    inv: InvoiceDraw,
    beh: Behaviour,
    window: Window,
    invoice_id: pd.Series,
) -> pd.DataFrame:
    """Build the ``reminders`` table, sorted by ``sent_on``, ``invoice_id``, ``step``.

    Args:
        rng: the reminders' random generator.
        inv: invoices.
        beh: their payment behaviour.
        window: ledger window.
        invoice_id: invoice identifiers aligned with ``inv``.

    Returns:
        The reminders table with the contract's dtypes.
    """
    jitter = rng.integers(0, 4, inv.size)
    count = _steps(inv, beh, window, jitter)
    row_invoice = np.repeat(np.arange(inv.size, dtype=np.int64), count)
    first_row = np.repeat(np.cumsum(count) - count, count)
    step = np.arange(row_invoice.size, dtype=np.int64) - first_row + 1
    sent = inv.due_day[row_invoice] + REMINDER_OFFSETS_DAYS[step - 1] + jitter[row_invoice]
    settled = np.where(beh.frozen, NEVER, beh.pay_day)[row_invoice]
    dispute = beh.disputed[row_invoice] & (step == 1)
    outcome, promised = _outcomes(
        rng, sent, settled, step == count[row_invoice], dispute, window.end_day
    )
    channel = STEP_CHANNEL_CODES[step - 1]
    channel = np.where((step == 1) & ~inv.electronic[row_invoice], 2, channel)
    channel = np.where((step <= 2) & (rng.random(step.size) < 0.05), 4, channel)
    order = np.lexsort((step, row_invoice, sent))
    outcomes = ("none", "promise_to_pay", "dispute", "paid")
    return pd.DataFrame(
        {
            "invoice_id": invoice_id.take(row_invoice[order]).reset_index(drop=True),
            "sent_on": to_datetime(sent[order]),
            "step": step[order],
            "channel": strings_from_codes(channel[order], CHANNELS),
            "outcome": strings_from_codes(outcome[order], outcomes),
            "promised_on": to_datetime(promised[order], missing=promised[order] >= NEVER),
        }
    )
