"""Cold-start flags: how much history the customer has at the date.

A customer without history still gets every feature (NaN where undefined); these flags make the
lack of history explicit to the model and to the reader of a score.
"""

from __future__ import annotations

import numpy as np

from risk.features.config import FeatureConfig
from risk.features.context import LedgerTimeline, Queries
from risk.features.spec import FeatureSpec

FAMILY = "cold_start"


def specs(config: FeatureConfig) -> tuple[FeatureSpec, ...]:
    """The cold-start features (``config`` is unused)."""
    return (
        FeatureSpec(
            "has_history",
            FAMILY,
            "1 if at least one invoice of the customer was settled before the date.",
            "1 si au moins une facture du client a été réglée avant la date.",
            0,
            "numeric",
            ("invoices.paid_on",),
            "customer with payment history",
            "client avec historique de paiement",
        ),
        FeatureSpec(
            "n_invoices_issued_total",
            FAMILY,
            "Number of invoices issued to the customer before the date.",
            "Nombre de factures émises au client avant la date.",
            0,
            "numeric",
            ("invoices.issued_on",),
            "{value:.0f} invoices issued so far",
            "{value:.0f} factures émises à ce jour",
        ),
        FeatureSpec(
            "relationship_age_days",
            FAMILY,
            "Days since the customer's first invoice (NaN: no invoice yet).",
            "Jours depuis la première facture du client (NaN : aucune facture).",
            0,
            "numeric",
            ("invoices.issued_on",),
            "customer for {value:.0f} days",
            "client depuis {value:.0f} jours",
        ),
    )


def compute(timeline: LedgerTimeline, queries: Queries) -> dict[str, np.ndarray]:
    """Cold-start features for each query.

    Args:
        timeline: the prepared ledger.
        queries: (customer, as-of day) pairs.

    Returns:
        Feature name -> values aligned with ``queries``.
    """
    issues = timeline.issues
    start = issues.start(queries.codes)
    hi = issues.before(queries.codes, queries.days)
    out = {
        "n_invoices_issued_total": (hi - start).astype(np.float64),
        "relationship_age_days": queries.days - issues.first_day(hi, start),
    }
    if timeline.has("invoices.paid_on"):
        settled = timeline.settlements
        n_settled = settled.before(queries.codes, queries.days) - settled.start(queries.codes)
        out["has_history"] = (n_settled > 0).astype(np.float64)
    return out
