"""Payment behaviour: when each invoice would be paid, and its true probability of being late.

Given the latent lateness ``z`` of the invoice (its customer's latent in the month the invoice
falls due, plus seasonal, paper and dispute shifts), the number of days between due date and
payment ``D`` is drawn from a two-part mixture:

* with probability ``q = 1 - sigmoid(a + gamma_q z)`` the client pays on time:
  ``D = -E`` with ``E = floor(Exp(EARLY_SCALE_DAYS))`` days early (never before the issue date);
* otherwise it pays late: ``D = 1 + floor(X)`` with ``X ~ Exp(s)``, ``s = s0 exp(gamma_s z)``.

An invoice still open when a collective proceeding opens (first opening after its issue date,
``F``) is frozen: never paid. The outcome "late" (paid more than ``L`` days after due, or still
unpaid ``L`` days after due) then has the closed form, with ``c = F - due``::

    P(late) = q * P(E <= -c) + (1 - q) * P(D >= min(L + 1, c))
            = q * [c <= 0] (1 - exp(-(1 - c) / EARLY_SCALE_DAYS))
              + (1 - q) * (1 if k <= 1 else exp(-(k - 1) / s)),   k = min(L + 1, c)

which is what ``invoice_truth.p_late`` stores.

``p_late`` uses facts no model can know when the invoice is issued: whether the invoice will be
disputed, the customer's latent in the month the invoice falls due (its drift since issue) and
the date of a proceeding that opens after issue. ``invoice_truth.p_late_at_issue`` is the fair
ceiling: the same formula from what is knowable at issue only, namely the customer's latent in
the issue month, the due month's seasonal shift and the billing channel, the dispute averaged
over its probability, and no future proceeding (``late_probability_at_issue``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from risk.synth import calibration as cal
from risk.synth.config import SampleConfig
from risk.synth.customers import Window
from risk.synth.dates import month_number, month_of_year
from risk.synth.invoices import InvoiceDraw
from risk.synth.latent import FailureTimeline

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Elasticity of the late-payment scale to the latent lateness.
GAMMA_SCALE: float = 0.7
#: Log-odds slope of "pays late" in the latent lateness.
GAMMA_LATE: float = 1.0
#: Mean days early of on-time payers (geometric-like, floor of an exponential).
EARLY_SCALE_DAYS: float = 3.0
#: Latent shift of a disputed invoice (disputes delay payment).
DISPUTE_SHIFT: float = 1.0
#: Latent shift of a paper invoice (slower processing).
PAPER_SHIFT: float = 0.1
#: Empirical corrections so that the heterogeneous population hits the published averages
#: (fitted once on a 20,000-customer run, see docs/synthetic-data.md).
SCALE_CORRECTION: float = 0.8
LATE_LOGIT_CORRECTION: float = -0.1


@dataclass(frozen=True)
class Behaviour:
    """Per-invoice payment behaviour under the generating process."""

    latent: npt.NDArray[np.float32]
    disputed: BoolArray
    pay_day: IntArray  # the day it would be paid, ignoring proceedings and the ledger end
    days_late: IntArray  # pay_day - due_day as drawn
    next_opening: IntArray  # first proceeding opening after issue (NEVER if none)
    frozen: BoolArray  # open when a proceeding opened: never paid
    p_late: FloatArray
    late_branch: FloatArray | None = None  # P(pays after the due date) given the latent
    late_scale: FloatArray | None = None  # exponential scale of the days late, in days


def _mixture(config: SampleConfig, z: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return (probability of paying late, exponential scale in days) for latent ``z``."""
    late0 = 1.0 - config.on_time_share
    intercept = np.log(late0 / (1.0 - late0)) + LATE_LOGIT_CORRECTION
    p_late_branch = 1.0 / (1.0 + np.exp(-(intercept + GAMMA_LATE * z)))
    scale0 = (config.mean_days_late / late0 - 0.5) * SCALE_CORRECTION
    return p_late_branch, scale0 * np.exp(GAMMA_SCALE * z)


def late_probability(
    p_late_branch: FloatArray, scale: FloatArray, days_to_opening: IntArray, threshold: int
) -> FloatArray:
    """Closed-form probability that an invoice ends more than ``threshold`` days late.

    Args:
        p_late_branch: probability the client pays after the due date (``1 - q``).
        scale: exponential scale of the days late, in days.
        days_to_opening: days from due date to the next proceeding opening (``c``).
        threshold: L, in days.

    Returns:
        P(paid more than L days after due, or never paid because frozen).
    """
    c = days_to_opening.astype(np.float64)
    k = np.minimum(threshold + 1.0, c)
    tail = np.where(k <= 1.0, 1.0, np.exp(-(np.maximum(k, 1.0) - 1.0) / scale))
    early_frozen = np.where(
        c <= 0.0, -np.expm1(-(1.0 - np.minimum(c, 0.0)) / EARLY_SCALE_DAYS), 0.0
    )
    return (1.0 - p_late_branch) * early_frozen + p_late_branch * tail


def _seasonal_and_channel(invoices: InvoiceDraw) -> FloatArray:
    """Latent shifts known at issue: the due month's season and paper billing."""
    seasonal = np.zeros(13)
    for calendar_month, shift in cal.SEASONAL_SHIFT.items():
        seasonal[calendar_month] = shift
    return seasonal[month_of_year(invoices.due_day)] + np.where(
        invoices.electronic, 0.0, PAPER_SHIFT
    )


def _dispute_probability(invoices: InvoiceDraw, config: SampleConfig) -> FloatArray:
    big = invoices.amount > 5000.0
    return config.dispute_rate * np.where(invoices.electronic, 1.0, 1.5) * np.where(big, 1.4, 1.0)


def knowable_at_issue(invoices: InvoiceDraw, config: SampleConfig) -> tuple[FloatArray, FloatArray]:
    """Return (latent shift known at issue: due month's season and paper billing, probability
    the invoice will be disputed) of each invoice: the fair ceilings' inputs."""
    return _seasonal_and_channel(invoices), _dispute_probability(invoices, config)


def late_probability_at_issue(
    invoices: InvoiceDraw,
    latent: npt.NDArray[np.float32],
    window: Window,
    config: SampleConfig,
) -> FloatArray:
    """P(late) from what is knowable when each invoice is issued (see the module docstring).

    No random draw: adding it changes no generated table.
    """
    month = np.clip(month_number(invoices.issued_day) - window.start_month, 0, window.n_months - 1)
    z = latent[invoices.customer, month].astype(np.float64) + _seasonal_and_channel(invoices)
    never = np.full(invoices.size, 10**6, dtype=np.int64)
    p_dispute = _dispute_probability(invoices, config)
    out = np.zeros(invoices.size)
    for shift, weight in ((0.0, 1.0 - p_dispute), (DISPUTE_SHIFT, p_dispute)):
        p_branch, scale = _mixture(config, z + shift)
        out += weight * late_probability(p_branch, scale, never, config.late_threshold_days)
    return out


def draw_behaviour(
    rng: np.random.Generator,
    invoices: InvoiceDraw,
    latent: npt.NDArray[np.float32],
    timeline: FailureTimeline,
    window: Window,
    config: SampleConfig,
) -> Behaviour:
    """Draw disputes and payment days of every invoice and compute its true ``p_late``."""
    n = invoices.size
    due = invoices.due_day
    month = np.clip(month_number(due) - window.start_month, 0, window.n_months - 1)
    z = latent[invoices.customer, month].astype(np.float64)
    seasonal = np.zeros(13)
    for calendar_month, shift in cal.SEASONAL_SHIFT.items():
        seasonal[calendar_month] = shift
    z += seasonal[month_of_year(due)] + np.where(invoices.electronic, 0.0, PAPER_SHIFT)
    big = invoices.amount > 5000.0
    p_dispute = (
        config.dispute_rate * np.where(invoices.electronic, 1.0, 1.5) * np.where(big, 1.4, 1.0)
    )
    disputed = rng.random(n) < p_dispute
    z += np.where(disputed, DISPUTE_SHIFT, 0.0)
    p_branch, scale = _mixture(config, z)
    late_branch = rng.random(n) < p_branch
    late_days = 1 + np.floor(rng.exponential(1.0, n) * scale).astype(np.int64)
    early_days = np.floor(rng.exponential(EARLY_SCALE_DAYS, n)).astype(np.int64)
    days_late = np.where(late_branch, late_days, -early_days)
    pay_day = np.maximum(invoices.issued_day, due + days_late)
    opening = timeline.next_opening(invoices.customer, invoices.issued_day)
    frozen = pay_day >= opening
    p_late = late_probability(p_branch, scale, opening - due, config.late_threshold_days)
    return Behaviour(
        latent=z.astype(np.float32),
        disputed=disputed,
        pay_day=pay_day,
        days_late=pay_day - due,
        next_opening=opening,
        frozen=frozen,
        p_late=p_late,
        late_branch=p_branch,
        late_scale=scale,
    )


def _days_late_at_least(p_late_branch: FloatArray, scale: FloatArray, m: FloatArray) -> FloatArray:
    """P(D >= m) for the drawn days late ``D`` (the two-part mixture of the module docstring)."""
    on_time = np.where(m <= 0.0, -np.expm1(-(1.0 - np.minimum(m, 0.0)) / EARLY_SCALE_DAYS), 0.0)
    late = np.where(m <= 1.0, 1.0, np.exp(-(np.maximum(m, 1.0) - 1.0) / scale))
    return (1.0 - p_late_branch) * on_time + p_late_branch * late


def late_probability_open(
    p_late_branch: FloatArray,
    scale: FloatArray,
    issued_day: FloatArray,
    due_day: FloatArray,
    opening_day: FloatArray,
    as_of_day: FloatArray,
    threshold: int,
) -> FloatArray:
    """The generator's P(late) of an invoice **still open at** ``as_of_day`` (not settled
    before it), given its latent state: the truth of the payment-timing model.

    The payment day is ``max(issued, due + D)``; the invoice is late when that day is at least
    ``due + k``, ``k = min(L + 1, c)``, ``c = opening - due`` (frozen by a proceeding counts as
    late). Open at ``t`` means not paid before ``t``: a payment day on or after ``t``, or on or
    after the opening (frozen, never paid), i.e. on or after ``b = min(t, opening)``, so::

        P(late | open at t) = P(pay day >= max(due + k, b)) / P(pay day >= b)

    1 once ``t`` is past ``due + k`` (late for certain) and where the conditioning event has
    probability 0. All days are day numbers (floats; ``opening_day`` = inf when none).
    """

    def pay_at_least(x: FloatArray) -> FloatArray:
        return np.where(
            x <= issued_day, 1.0, _days_late_at_least(p_late_branch, scale, x - due_day)
        )

    k = np.minimum(threshold + 1.0, opening_day - due_day)
    open_from = np.minimum(as_of_day, opening_day)
    numerator = pay_at_least(np.maximum(due_day + k, open_from))
    denominator = pay_at_least(open_from)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(denominator > 0, numerator / denominator, 1.0)
    return np.clip(ratio, 0.0, 1.0)


def pay_day_at_least(
    p_late_branch: FloatArray,
    scale: FloatArray,
    issued_day: FloatArray,
    due_day: FloatArray,
    day: FloatArray,
) -> FloatArray:
    """P(pay day >= ``day``) under the two-part mixture, the pay day being
    ``max(issued, due + D)`` (day numbers as floats): the numerator and denominator of
    :func:`late_probability_open`, public for the fair ceiling that mixes them over the dispute
    (``risk.synth.open_truth.fair_open_late_truth``)."""
    return np.where(
        day <= issued_day, 1.0, _days_late_at_least(p_late_branch, scale, day - due_day)
    )
