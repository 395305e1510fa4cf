"""How the customer is paying its *other* recent invoices, seen from an open invoice at ``t``.

A customer's payment discipline drifts from month to month, and invoices falling due close
together are paid (or not) in the same payment runs: whether the customer's other invoices due
around this one's due date, or in the last weeks, are already paid says more about this one
than a 12-month average. Snapshot features of the payment-timing model (``risk.timing``):

* ``peer_paid_share_same_due``: of the customer's other invoices due within
  ``SAME_DUE_DAYS`` days of this invoice's due date and before ``t``, the share settled before
  ``t`` (NaN: none);
* ``peer_unpaid_share_due_60d``: of the customer's other invoices due in ``[t - 60, t)``, the
  share still unsettled at ``t`` (NaN: none);
* ``peer_days_late_so_far_due_90d``: of the customer's other invoices due in ``[t - 90, t)``,
  the mean days late counted up to ``t`` (``min(settled, t) - due``: an invoice still open
  counts the days it has been late so far, so slow payers are not hidden by censoring; NaN:
  none).

Point in time: a settlement is known at ``t`` when dated strictly before ``t`` (the features'
one clock), and a due date before ``t`` is a fact of the invoice; nothing dated on or after
``t`` changes a value (property-tested with the snapshot rows).
"""

from __future__ import annotations

import numpy as np

from risk.features.config import FeatureConfig
from risk.features.context import LedgerTimeline, Queries
from risk.features.spec import FeatureSpec
from risk.features.timeline import EventIndex, safe_ratio

FAMILY = "peer_dues"
NEEDS = ("invoices.customer_id", "invoices.due_on", "invoices.paid_on")
#: half-width, in days, of the due-date window of "invoices due with this one"
SAME_DUE_DAYS = 15
UNPAID_WINDOW_DAYS = 60
LATE_WINDOW_DAYS = 90


def _spec(name: str, direction: int, texts: tuple[str, str, str, str]) -> FeatureSpec:
    return FeatureSpec(
        name, FAMILY, texts[0], texts[1], direction, "numeric", NEEDS, texts[2], texts[3],
        level="snapshot",
    )  # fmt: skip


def specs(config: FeatureConfig) -> tuple[FeatureSpec, ...]:
    """The peer-dues features (the same for every ``config``)."""
    del config
    d, u, w = SAME_DUE_DAYS, UNPAID_WINDOW_DAYS, LATE_WINDOW_DAYS
    return (
        _spec("peer_paid_share_same_due", -1, (
            f"Share of the customer's other invoices due within {d} days of this invoice's due "
            "date (and before the as-of date) settled before the as-of date (NaN: none).",
            f"Part des autres factures du client échues à {d} jours près de l'échéance de "
            "celle-ci (et avant la date d'observation) réglées avant la date d'observation "
            "(vide : aucune).",
            "{value:.0%} of the invoices due with this one already paid",
            "{value:.0%} des factures échues en même temps déjà payées",
        )),
        _spec(f"peer_unpaid_share_due_{u}d", 1, (
            f"Share of the customer's other invoices due in the {u} days before the as-of date "
            "still unsettled at that date (NaN: none).",
            f"Part des autres factures du client échues dans les {u} jours avant la date "
            "d'observation encore non réglées à cette date (vide : aucune).",
            f"{{value:.0%}} of the invoices due in the last {u} days still unpaid",
            f"{{value:.0%}} des factures échues ces {u} derniers jours encore impayées",
        )),
        _spec(f"peer_days_late_so_far_due_{w}d", 1, (
            f"Mean days late, counted up to the as-of date, of the customer's other invoices "
            f"due in the {w} days before it (an open one counts its days late so far; NaN: none).",
            f"Retard moyen, compté jusqu'à la date d'observation, des autres factures du client "
            f"échues dans les {w} jours avant elle (une facture ouverte compte son retard "
            "actuel ; vide : aucune).",
            f"invoices due in the last {w} days {{value:.0f}} days late on average so far",
            f"factures échues ces {w} derniers jours : {{value:.0f}} jours de retard en moyenne",
        )),
    )  # fmt: skip


def _pairs(
    index: EventIndex, codes: np.ndarray, lo_day: np.ndarray, hi_day: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(query, event position) of every event of the query's customer dated in
    ``[lo_day, hi_day)``."""
    lo = index.before(codes, lo_day)
    hi = index.before(codes, np.maximum(hi_day, lo_day))
    count = hi - lo
    query = np.repeat(np.arange(len(codes)), count)
    event = np.arange(len(query)) - np.repeat(np.cumsum(count) - count, count) + lo[query]
    return query, event


def compute(timeline: LedgerTimeline, positions: np.ndarray, queries: Queries) -> dict[str, object]:
    """Peer-dues features of the invoices at ``positions`` as of the query days.

    Args:
        timeline: the prepared ledger.
        positions: invoice position (in ``timeline.invoices``) of each query.
        queries: (customer of the invoice, as-of day) pairs, aligned with ``positions``.

    Returns:
        Feature name -> float64 values aligned with ``queries`` (empty without ``paid_on``).
    """
    if not timeline.has("invoices.paid_on"):
        return {}
    inv = timeline.invoices
    codes = np.asarray(queries.codes, dtype=np.int64)
    days = np.asarray(queries.days, dtype=np.int64)
    positions = np.asarray(positions, dtype=np.int64)
    index = EventIndex(
        inv["code"].to_numpy(),
        inv["due"].to_numpy(),
        {"pos": np.arange(len(inv), dtype=np.int64), "paid": inv["paid"].to_numpy()},
        tiebreak=np.arange(len(inv)),
    )
    n = len(codes)

    def share(
        lo_day: np.ndarray, hi_day: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        query, event = _pairs(index, codes, lo_day, hi_day)
        other = index.values["pos"][event] != positions[query]
        query, event = query[other], event[other]
        paid = index.values["paid"][event]
        settled = (paid < days[query]).astype(np.float64)
        late = np.minimum(paid, days[query]) - index.days[event]
        count = np.bincount(query, minlength=n).astype(np.float64)
        return (
            count,
            np.bincount(query, settled, minlength=n),
            np.bincount(query, late.astype(np.float64), minlength=n),
            query,
        )

    due = inv["due"].to_numpy()[positions]
    count, settled, _, _ = share(due - SAME_DUE_DAYS, np.minimum(due + SAME_DUE_DAYS + 1, days))
    out: dict[str, object] = {"peer_paid_share_same_due": safe_ratio(settled, count)}
    count, settled, _, _ = share(days - UNPAID_WINDOW_DAYS, days)
    out[f"peer_unpaid_share_due_{UNPAID_WINDOW_DAYS}d"] = safe_ratio(count - settled, count)
    count, _, late, _ = share(days - LATE_WINDOW_DAYS, days)
    out[f"peer_days_late_so_far_due_{LATE_WINDOW_DAYS}d"] = safe_ratio(late, count)
    return out
