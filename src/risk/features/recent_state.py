"""The customer's recent state: what the latest dues and payments say before history catches up.

The generator's long delays follow the customer's distress, a persistent state (an AR(1) drift,
the months of deterioration before a proceeding) that the fair ceiling reads month by month,
while the lagged payment averages (12 months, exponentially weighted) learn it late. These
features read it sooner, from facts all known at the date ``t``:

* ``days_late_last_3_settled``: mean days late of the customer's last three settlements
  before ``t`` (however old: a customer that pays rarely still has a latest behaviour);
* ``n_open_past_due`` and ``open_past_due_share``: the invoices open at ``t`` (issued before
  ``t``, not settled before ``t``, as in :mod:`risk.features.exposure`) already past their due
  day, as a count and as a share of the open invoices.

The on-time share of the invoices due in the last 30 days was measured with them and left out:
it lowered the out-of-time AUC (docs/features.md, "Measured gains").

Every value comes from per-customer prefix counts (``EventIndex``), in O(log n) per query.
"""

from __future__ import annotations

import numpy as np

from risk.features.config import FeatureConfig
from risk.features.context import LedgerTimeline, Queries
from risk.features.spec import FeatureSpec
from risk.features.timeline import NEVER, EventIndex, safe_ratio

FAMILY = "payment"
#: the latest settlements ``days_late_last_3_settled`` averages
LAST_SETTLED = 3
NEEDS = ("invoices.paid_on", "invoices.due_on")


def specs(config: FeatureConfig) -> tuple[FeatureSpec, ...]:
    """The recent-state features (``config`` is unused: their windows are fixed)."""
    return (
        FeatureSpec(
            f"days_late_last_{LAST_SETTLED}_settled",
            FAMILY,
            f"Mean days late (payment date minus due date) of the customer's last "
            f"{LAST_SETTLED} settled invoices before the date, however old (NaN: none).",
            f"Retard moyen (date de paiement moins échéance) des {LAST_SETTLED} dernières "
            "factures réglées par le client avant la date (NaN : aucune).",
            1,
            "numeric",
            NEEDS,
            f"last {LAST_SETTLED} invoices paid {{value:.0f}} days late on average",
            f"{LAST_SETTLED} dernières factures payées avec {{value:.0f}} jours de retard en "
            "moyenne",
        ),
        FeatureSpec(
            "n_open_past_due",
            FAMILY,
            "Number of the customer's open invoices already past their due date at the date.",
            "Nombre de factures ouvertes du client déjà échues à la date.",
            1,
            "numeric",
            NEEDS,
            "{value:.0f} open invoices past due",
            "{value:.0f} factures ouvertes échues",
        ),
        FeatureSpec(
            "open_past_due_share",
            FAMILY,
            "Share of the customer's open invoices already past their due date at the date "
            "(NaN: nothing open).",
            "Part des factures ouvertes du client déjà échues à la date (NaN : aucune ouverte).",
            1,
            "numeric",
            NEEDS,
            "{value:.0%} of the open invoices past due",
            "{value:.0%} des factures ouvertes échues",
        ),
    )


def compute(timeline: LedgerTimeline, queries: Queries) -> dict[str, np.ndarray]:
    """Recent-state features for each query (empty when the ledger has no ``paid_on``).

    Args:
        timeline: the prepared ledger (its ``invoices``, ``issues``, ``settlements`` and
            ``dues`` indexes).
        queries: (customer, as-of day) pairs.

    Returns:
        Feature name -> values aligned with ``queries``.
    """
    if not timeline.has("invoices.paid_on"):
        return {}
    codes, days = queries.codes, queries.days
    dues, settled = timeline.dues, timeline.settlements
    d_start, d_hi = dues.start(codes), dues.before(codes, days)
    # the last settlements before t
    s_start = settled.start(codes)
    s_hi = settled.before(codes, days)
    s_lo = np.maximum(s_hi - LAST_SETTLED, s_start)
    last = safe_ratio(settled.window_sum("days_late", s_lo, s_hi, s_start), s_hi - s_lo)
    # open at t: issued before t and not settled before t (a settlement never precedes the
    # issue); open and past due: due before t and not settled before t, i.e. due before t
    # minus the invoices with max(due, paid) before t
    issues = timeline.issues
    n_open = (issues.before(codes, days) - issues.start(codes)) - (s_hi - s_start)
    closed = _closed_after_due(timeline)
    n_past_due = (d_hi - d_start) - (closed.before(codes, days) - closed.start(codes))
    return {
        f"days_late_last_{LAST_SETTLED}_settled": last,
        "n_open_past_due": n_past_due.astype(np.float64),
        "open_past_due_share": safe_ratio(n_past_due, n_open),
    }


def _closed_after_due(timeline: LedgerTimeline) -> EventIndex:
    """Settled invoices by the later of their due and payment days: those counted before ``t``
    are the invoices due before ``t`` that are no longer open at ``t``."""
    inv = timeline.invoices
    paid = inv["paid"].to_numpy()
    settled = paid < NEVER
    later = np.maximum(inv["due"].to_numpy(), paid)[settled]
    return EventIndex(inv["code"].to_numpy()[settled], later)
