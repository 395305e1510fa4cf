"""Payment behaviour: when each invoice would be paid, and its true probability of being late.

Given the latent lateness ``z`` of the invoice (its customer's latent in the month the invoice
falls due, plus seasonal, paper and dispute shifts), the number of days between due date and
payment ``D`` is drawn from a two-part mixture:

* with probability ``q = 1 - sigmoid(a + gamma_q z)`` the client pays on time:
  ``D = -E`` with ``E = floor(Exp(EARLY_SCALE_DAYS))`` days early (never before the issue date);
* otherwise it pays late: ``D = 1 + floor(X)`` with ``X ~ Gamma(k, s / k)`` (mean ``s``,
  shape ``k = LATE_SHAPE``), ``s = s0 exp(gamma_s (z - d) + gamma_d d)``.

``d`` is the customer's **distress**: its latent minus its segment's level (its own habit
``b_i``, its drift, the deterioration before a proceeding) plus a dispute's shift. The shape
``k > 1`` keeps the mean and thins the tail, so a healthy customer of a slow segment pays
late, but rarely more than 90 days late; the scale rises faster with distress
(``gamma_d > gamma_s``), so very long delays concentrate in customers in trouble, persistently
(the drift is an AR(1), the deterioration lasts months). With ``k = 1`` and no distress term
this is the former exponential tail, which gave one never-failing private customer in six an
undisputed invoice more than 90 days past due each year.

An invoice still open when a collective proceeding opens (first opening after its issue date,
``F``) is frozen: never paid. The outcome "late" (paid more than ``L`` days after due, or still
unpaid ``L`` days after due) then has the closed form, with ``c = F - due``::

    P(late) = q * P(E <= -c) + (1 - q) * P(D >= min(L + 1, c))
            = q * [c <= 0] (1 - exp(-(1 - c) / EARLY_SCALE_DAYS))
              + (1 - q) * (1 if m <= 1 else Q(k, (m - 1) k / s)),   m = min(L + 1, c)

(``Q`` the regularised upper incomplete gamma function, ``P(X >= x) = Q(k, x k / s)``),

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
from scipy.special import gammaincc

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

#: Elasticity of the late-payment scale to the segment part of the latent lateness (sector,
#: size, legal form, age; seasonal and paper shifts): slow segments pay later, not never.
GAMMA_SCALE: float = 0.7
#: Elasticity of the late-payment scale to the customer's distress: its own habit, its drift
#: and the deterioration before a proceeding (and a dispute). Very long delays come from there.
GAMMA_DISTRESS: float = 1.0
#: Gamma shape of the days late (1 = the exponential law): a shape above 1 keeps the mean and
#: thins the tail, so that a customer more than 90 days late is a customer in distress.
LATE_SHAPE: float = 6.0
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
SCALE_CORRECTION: float = 0.70
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
    late_scale: FloatArray | None = None  # mean of the gamma law of the days late, in days


def _mixture(
    config: SampleConfig, z: FloatArray, distress: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    """Return (probability of paying late, mean days late of the gamma law) for latent ``z``.

    ``distress`` is the part of ``z`` that is the customer's own state (habit, drift,
    deterioration, dispute); the rest (``z - distress``) is its segment's. None: no distress.
    """
    late0 = 1.0 - config.on_time_share
    intercept = np.log(late0 / (1.0 - late0)) + LATE_LOGIT_CORRECTION
    p_late_branch = 1.0 / (1.0 + np.exp(-(intercept + GAMMA_LATE * z)))
    scale0 = (config.mean_days_late / late0 - 0.5) * SCALE_CORRECTION
    own = np.zeros_like(z) if distress is None else distress
    return p_late_branch, scale0 * np.exp(GAMMA_SCALE * (z - own) + GAMMA_DISTRESS * own)


def late_days_at_least(scale: FloatArray, days: FloatArray) -> FloatArray:
    """P(Y >= days) for ``Y ~ Gamma(LATE_SHAPE, scale / LATE_SHAPE)`` (mean ``scale``), the
    continuous days late before flooring; 1 for ``days <= 0``."""
    x = np.maximum(days, 0.0) * LATE_SHAPE / scale
    return gammaincc(LATE_SHAPE, x)


def draw_late_days(rng: np.random.Generator, scale: FloatArray) -> IntArray:
    """Days late of the late branch: ``1 + floor(Y)``, ``Y ~ Gamma(LATE_SHAPE, scale / shape)``."""
    y = rng.gamma(LATE_SHAPE, 1.0, scale.size) * scale / LATE_SHAPE
    return 1 + np.floor(y).astype(np.int64)


def late_probability(
    p_late_branch: FloatArray, scale: FloatArray, days_to_opening: IntArray, threshold: int
) -> FloatArray:
    """Closed-form probability that an invoice ends more than ``threshold`` days late.

    Args:
        p_late_branch: probability the client pays after the due date (``1 - q``).
        scale: mean of the gamma law of the days late, in days.
        days_to_opening: days from due date to the next proceeding opening (``c``).
        threshold: L, in days.

    Returns:
        P(paid more than L days after due, or never paid because frozen).
    """
    c = days_to_opening.astype(np.float64)
    k = np.minimum(threshold + 1.0, c)
    tail = np.where(k <= 1.0, 1.0, late_days_at_least(scale, np.maximum(k, 1.0) - 1.0))
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


def _segment(customer: IntArray, segment: FloatArray | None) -> FloatArray:
    """The segment part of each invoice's customer latent (0 when not given)."""
    if segment is None:
        return np.zeros(customer.size)
    return np.asarray(segment, dtype=np.float64)[customer]


def knowable_at_issue(invoices: InvoiceDraw, config: SampleConfig) -> tuple[FloatArray, FloatArray]:
    """Return (latent shift known at issue: due month's season and paper billing, probability
    the invoice will be disputed) of each invoice: the fair ceilings' inputs."""
    return _seasonal_and_channel(invoices), _dispute_probability(invoices, config)


def late_probability_at_issue(
    invoices: InvoiceDraw,
    latent: npt.NDArray[np.float32],
    window: Window,
    config: SampleConfig,
    segment: FloatArray | None = None,
) -> FloatArray:
    """P(late) from what is knowable when each invoice is issued (see the module docstring).

    ``segment``: each customer's segment latent (see :func:`draw_behaviour`).
    No random draw: adding it changes no generated table.
    """
    month = np.clip(month_number(invoices.issued_day) - window.start_month, 0, window.n_months - 1)
    own = latent[invoices.customer, month].astype(np.float64)
    z = own + _seasonal_and_channel(invoices)
    distress = own - _segment(invoices.customer, segment)
    never = np.full(invoices.size, 10**6, dtype=np.int64)
    p_dispute = _dispute_probability(invoices, config)
    out = np.zeros(invoices.size)
    for shift, weight in ((0.0, 1.0 - p_dispute), (DISPUTE_SHIFT, p_dispute)):
        p_branch, scale = _mixture(config, z + shift, distress + shift)
        out += weight * late_probability(p_branch, scale, never, config.late_threshold_days)
    return out


def draw_behaviour(
    rng: np.random.Generator,
    invoices: InvoiceDraw,
    latent: npt.NDArray[np.float32],
    timeline: FailureTimeline,
    window: Window,
    config: SampleConfig,
    segment: FloatArray | None = None,
) -> Behaviour:
    """Draw disputes and payment days of every invoice and compute its true ``p_late``.

    ``segment``: each customer's segment latent ``log(level / mean_days_late)`` (the part of
    ``latent`` its sector, size, form and age explain); the rest of the latent in the due month,
    plus a dispute's shift, is the customer's distress, which drives the very long delays.
    """
    n = invoices.size
    due = invoices.due_day
    month = np.clip(month_number(due) - window.start_month, 0, window.n_months - 1)
    own = latent[invoices.customer, month].astype(np.float64)
    z = own + _seasonal_and_channel(invoices)
    disputed = rng.random(n) < _dispute_probability(invoices, config)
    shift = np.where(disputed, DISPUTE_SHIFT, 0.0)
    z += shift
    distress = own - _segment(invoices.customer, segment) + shift
    p_branch, scale = _mixture(config, z, distress)
    late_branch = rng.random(n) < p_branch
    late_days = draw_late_days(rng, scale)
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
    late = np.where(m <= 1.0, 1.0, late_days_at_least(scale, np.maximum(m, 1.0) - 1.0))
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
