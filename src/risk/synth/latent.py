"""Latent state: when customers fail and how their payment discipline drifts month by month.

The latent lateness ``z`` of customer *i* in month *m* (higher = pays later) is::

    z[i, m] = log(level_i / mean_days_late) + b_i + u[i, m] + ramp[i, m]

* ``level_i``: the customer's segment lateness (sector x size x legal form x age, public buyers
  by kind), see :mod:`risk.synth.calibration`;
* ``b_i ~ N(0, customer_effect_sd)``: the customer's own habit, which also raises its hazard;
* ``u``: a stationary AR(1) drift, ``u[m] = phi * u[m-1] + eps``;
* ``ramp``: for customers that fail, a linear deterioration over the months before the first
  collective proceeding, then a constant shift while the proceeding runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from risk.synth import calibration as cal
from risk.synth.config import SampleConfig
from risk.synth.customers import CustomerDraw, Window
from risk.synth.dates import NEVER, month_number

logger = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Hazard elasticity to the customer's own habit ``b_i`` (bad payers fail more; # assumption).
HABIT_HAZARD_ELASTICITY: float = 1.5
#: Shift of the latent lateness after a proceeding opened (observation period, plan).
PROCEEDING_SHIFT: float = 0.5


@dataclass(frozen=True)
class FailureTimeline:
    """Dates (day numbers, ``NEVER`` when absent) of each customer's proceedings.

    Attributes:
        first_day: opening of the first collective proceeding.
        first_kind: index in ``calibration.FIRST_PROCEEDING_KINDS`` (-1 when none).
        liquidation_day: liquidation judgment, direct or after a failed plan.
        plan_day: plan adopted (safeguard or receivership that survives).
        closed_day: closure of the liquidation.
        ramp_months: months of deterioration before ``first_day``.
        ramp_size: latent shift reached at ``first_day``.
        annual_hazard: the customer's yearly failure hazard.
    """

    first_day: IntArray
    first_kind: IntArray
    liquidation_day: IntArray
    plan_day: IntArray
    closed_day: IntArray
    ramp_months: IntArray
    ramp_size: FloatArray
    annual_hazard: FloatArray

    def next_opening(self, customer: IntArray, day: IntArray) -> IntArray:
        """Return the first proceeding opening strictly after ``day`` for each row.

        An invoice open at that date is frozen: it is declared to the court, never paid.
        """
        first = self.first_day[customer]
        liquidation = self.liquidation_day[customer]
        return np.where(day < first, first, np.where(day < liquidation, liquidation, NEVER))


def draw_failures(
    rng: np.random.Generator, draw: CustomerDraw, window: Window, config: SampleConfig
) -> FailureTimeline:
    """Draw every business client's proceedings up to one year after the ledger end.

    The yearly hazard is ``rate x sector x size x age x exp(k b_i)``, normalised so that its
    mean over business clients equals ``config.annual_proceeding_rate``; public buyers never
    fail. The time to failure is exponential from the later of the window start and the
    first day the customer can be invoiced.
    """
    n = draw.size
    raw = draw.failure_multiplier * np.exp(HABIT_HAZARD_ELASTICITY * draw.customer_effect)
    business = ~draw.is_public
    mean_raw = float(raw[business].mean()) if business.any() else 1.0
    hazard = config.annual_proceeding_rate * raw / mean_raw
    clock = np.maximum(draw.relationship_day, window.start_day)
    wait = rng.exponential(365.25, n) / np.maximum(hazard, 1e-12)
    first = np.where(business, clock + np.floor(wait), NEVER).astype(np.int64)
    first = np.where(first <= window.horizon_day, first, NEVER)
    failing = first < NEVER
    kind = rng.choice(len(cal.FIRST_PROCEEDING_KINDS), n, p=cal.FIRST_PROCEEDING_SHARES)
    kind = np.where(failing, kind, -1)
    success = np.array([cal.PLAN_SUCCESS["safeguard"], cal.PLAN_SUCCESS["receivership"], 0.0])
    plan = failing & (rng.random(n) < success[np.maximum(kind, 0)])
    direct = kind == cal.FIRST_PROCEEDING_KINDS.index("liquidation")
    converted = failing & ~plan & ~direct
    liquidation = np.where(direct, first, NEVER)
    liquidation = np.where(converted, first + rng.integers(60, 270, n), liquidation)
    closed = np.where(liquidation < NEVER, liquidation + rng.integers(180, 720, n), NEVER)
    return FailureTimeline(
        first_day=first,
        first_kind=kind.astype(np.int64),
        liquidation_day=liquidation.astype(np.int64),
        plan_day=np.where(plan, first + rng.integers(120, 360, n), NEVER).astype(np.int64),
        closed_day=closed.astype(np.int64),
        ramp_months=rng.integers(4, 13, n).astype(np.int64),
        ramp_size=rng.uniform(1.5, 2.5, n),
        annual_hazard=np.where(business, hazard, 0.0),
    )


def latent_paths(
    rng: np.random.Generator,
    draw: CustomerDraw,
    timeline: FailureTimeline,
    window: Window,
    config: SampleConfig,
) -> npt.NDArray[np.float32]:
    """Simulate the latent lateness ``z`` of every customer for every month of the window.

    The AR(1) recursion loops over months (a few dozen steps), vectorised across customers.

    Returns:
        Array of shape (customers, ``window.n_months``), month 0 = ``window.start_month``.
    """
    n, months = draw.size, window.n_months
    phi, sd = config.latent_persistence, config.latent_sd
    level = np.log(draw.lateness_days / config.mean_days_late) + draw.customer_effect
    shocks = rng.normal(0.0, sd * np.sqrt(1.0 - phi**2), (months, n))
    drift = np.empty((months, n), dtype=np.float64)
    drift[0] = rng.normal(0.0, sd, n)
    for m in range(1, months):
        drift[m] = phi * drift[m - 1] + shocks[m]
    failure_month = np.where(
        timeline.first_day < NEVER, month_number(timeline.first_day) - window.start_month, NEVER
    )
    month = np.arange(months)[:, None]
    start = failure_month - timeline.ramp_months
    progress = np.clip((month - start) / timeline.ramp_months, 0.0, 1.0)
    ramp = np.where(month < failure_month, timeline.ramp_size * progress, PROCEEDING_SHIFT)
    z = level + drift + np.where(failure_month < NEVER, ramp, 0.0)
    return np.ascontiguousarray(z.T, dtype=np.float32)
