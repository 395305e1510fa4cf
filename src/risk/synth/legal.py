"""Legal events (BODACC and registry announcements) that follow deterioration.

Failing customers get, in order: warning signs (tax / social-security privileges, payment
orders, sometimes a director change or capital decrease) in the months before the opening of
their first collective proceeding, the opening itself (safeguard, receivership or direct
liquidation), then either a plan adopted or a conversion to liquidation, and the closure of a
liquidation. Every business client also gets background events at low yearly rates, so that a
single privilege or director change is a weak, not a certain, signal. Events after the ledger
end (or before its start) are not in the ledger.
"""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt
import pandas as pd

from risk.contracts import LEGAL_EVENT_KINDS
from risk.synth import calibration as cal
from risk.synth.customers import CustomerDraw, Window
from risk.synth.dates import NEVER, to_datetime
from risk.synth.ids import strings_from_codes
from risk.synth.latent import FailureTimeline

logger = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]

#: Warning signs before a proceeding: (kind, probability, earliest and latest days before).
PRECURSORS: tuple[tuple[str, float, int, int], ...] = (
    ("tax_privilege", 0.55, 30, 300),
    ("social_privilege", 0.6, 30, 300),
    ("payment_order", 0.35, 15, 200),
    ("director_change", 0.15, 60, 400),
    ("capital_decrease", 0.1, 60, 400),
)
#: Background yearly rates among all business clients (# assumption).
BACKGROUND_RATES: dict[str, float] = {
    "director_change": 0.05,
    "capital_decrease": 0.01,
    "tax_privilege": 0.006,
    "social_privilege": 0.008,
    "payment_order": 0.01,
}
#: Events registered at the commercial court registry rather than announced in the BODACC.
REGISTRY_KINDS: frozenset[str] = frozenset({"tax_privilege", "social_privilege", "payment_order"})


def _code(kind: str) -> int:
    return LEGAL_EVENT_KINDS.index(kind)


def _proceedings(timeline: FailureTimeline) -> list[tuple[IntArray, IntArray, IntArray]]:
    """Return (customer, day, kind code) blocks of openings, plans, conversions, closures."""
    index = np.arange(timeline.first_day.size, dtype=np.int64)
    failing = timeline.first_day < NEVER
    kind_codes = np.array([_code(k) for k in cal.FIRST_PROCEEDING_KINDS])
    blocks = [
        (index[failing], timeline.first_day[failing], kind_codes[timeline.first_kind[failing]])
    ]
    converted = (timeline.liquidation_day < NEVER) & (timeline.liquidation_day > timeline.first_day)
    for mask, days, kind in (
        (timeline.plan_day < NEVER, timeline.plan_day, "plan_adopted"),
        (converted, timeline.liquidation_day, "liquidation"),
        (timeline.closed_day < NEVER, timeline.closed_day, "proceeding_closed"),
    ):
        blocks.append((index[mask], days[mask], np.full(int(mask.sum()), _code(kind))))
    return blocks


def _precursors(
    rng: np.random.Generator, timeline: FailureTimeline
) -> list[tuple[IntArray, IntArray, IntArray]]:
    """Return warning-sign blocks before each first proceeding."""
    index = np.arange(timeline.first_day.size, dtype=np.int64)
    failing = timeline.first_day < NEVER
    blocks = []
    for kind, probability, earliest, latest in PRECURSORS:
        chosen = failing & (rng.random(index.size) < probability)
        days = timeline.first_day - rng.integers(earliest, latest + 1, index.size)
        blocks.append((index[chosen], days[chosen], np.full(int(chosen.sum()), _code(kind))))
    return blocks


def _background(
    rng: np.random.Generator, draw: CustomerDraw, timeline: FailureTimeline, window: Window
) -> list[tuple[IntArray, IntArray, IntArray]]:
    """Return background event blocks, uniform over the window, for business clients."""
    years = (window.end_day - window.start_day + 1) / 365.25
    blocks = []
    for kind, rate in BACKGROUND_RATES.items():
        counts = np.where(draw.is_public, 0, rng.poisson(rate * years, draw.size))
        customer = np.repeat(np.arange(draw.size, dtype=np.int64), counts)
        days = rng.integers(window.start_day, window.end_day + 1, customer.size)
        alive = (days > draw.created_day[customer]) & (days < timeline.liquidation_day[customer])
        blocks.append((customer[alive], days[alive], np.full(int(alive.sum()), _code(kind))))
    return blocks


def legal_events_frame(
    rng: np.random.Generator,
    draw: CustomerDraw,
    timeline: FailureTimeline,
    window: Window,
    customer_id: pd.Series,
) -> pd.DataFrame:
    """Build the ``legal_events`` table, sorted by ``published_on``, ``customer_id``, ``kind``.

    Args:
        rng: the legal events' random generator.
        draw: customers.
        timeline: customers' proceedings.
        window: ledger window; only events inside it are kept.
        customer_id: customer identifiers aligned with ``draw``.

    Returns:
        The legal events table with the contract's dtypes.
    """
    blocks = (
        _proceedings(timeline)
        + _precursors(rng, timeline)
        + _background(rng, draw, timeline, window)
    )
    customer = np.concatenate([b[0] for b in blocks])
    day = np.concatenate([b[1] for b in blocks])
    kind = np.concatenate([b[2] for b in blocks]).astype(np.int64)
    inside = (day >= window.start_day) & (day <= window.end_day)
    customer, day, kind = customer[inside], day[inside], kind[inside]
    order = np.lexsort((kind, customer, day))
    customer, day, kind = customer[order], day[order], kind[order]
    registry = np.isin(kind, [_code(k) for k in REGISTRY_KINDS])
    return pd.DataFrame(
        {
            "customer_id": customer_id.take(customer).reset_index(drop=True),
            "published_on": to_datetime(day),
            "kind": strings_from_codes(kind, LEGAL_EVENT_KINDS),
            "source": strings_from_codes(registry.astype(np.int64), ("BODACC", "greffe")),
        }
    )
