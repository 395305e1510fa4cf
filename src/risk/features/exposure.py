"""Exposure at the as-of date: the aged balance (balance âgée), limit use and DSO.

An invoice is open at ``t`` when it was issued before ``t`` and not settled before ``t``
(``issued_on < t <= paid_on``, or unpaid). An invoice paid on or after ``t`` is therefore open
at ``t``, with its age at ``t``: ``days_past_due = t - due_on``. Its open amount is its amount
minus the payments dated before ``t`` (when the ledger has a payments table; a validated
ledger never pays more than the amount). The aged balance is computed by interval sweeps
(:mod:`risk.features.aging`), in O(n log n) per customer.
"""

from __future__ import annotations

import numpy as np

from risk.features.aging import aged_balance
from risk.features.config import FeatureConfig, window_label
from risk.features.context import LedgerTimeline, Queries
from risk.features.dated import credit_limit_codes
from risk.features.spec import FeatureSpec
from risk.features.spec_helpers import window_words
from risk.features.timeline import safe_ratio

FAMILY = "exposure"
NEEDS = ("invoices.paid_on", "invoices.due_on", "invoices.amount")
#: aging buckets: (name suffix, lowest days past due, English, French)
BUCKETS: tuple[tuple[str, str, str, int], ...] = (
    ("not_due", "not yet due", "non échu", 0),
    ("1_30", "1-30 days past due", "échu depuis 1 à 30 jours", 1),
    ("31_60", "31-60 days past due", "échu depuis 31 à 60 jours", 1),
    ("61_90", "61-90 days past due", "échu depuis 61 à 90 jours", 1),
    ("91_plus", "more than 90 days past due", "échu depuis plus de 90 jours", 1),
)


def specs(config: FeatureConfig) -> tuple[FeatureSpec, ...]:
    """The exposure features for ``config``."""
    d = window_label(config.dso_window_days)
    de, df = window_words(config.dso_window_days)
    buckets = tuple(
        FeatureSpec(
            f"open_amount_{suffix}",
            FAMILY,
            f"Open amount {en} at the date (ledger currency).",
            f"Encours {fr} à la date (devise du grand livre).",
            direction,
            "numeric",
            NEEDS,
            f"{{value:,.0f}} open {en}",
            f"{{value:,.0f}} d'encours {fr}",
        )
        for suffix, en, fr, direction in BUCKETS
    )
    return (
        *buckets,
        FeatureSpec(
            "open_amount_total",
            FAMILY,
            "Total open amount at the date.",
            "Encours total à la date.",
            0,
            "numeric",
            NEEDS,
            "{value:,.0f} open in total",
            "{value:,.0f} d'encours au total",
        ),
        FeatureSpec(
            "n_open_invoices",
            FAMILY,
            "Number of open invoices at the date.",
            "Nombre de factures ouvertes à la date.",
            0,
            "numeric",
            NEEDS,
            "{value:.0f} open invoices",
            "{value:.0f} factures ouvertes",
        ),
        FeatureSpec(
            "open_invoice_amount_max",
            FAMILY,
            "Open amount of the largest open invoice (0 when none).",
            "Montant restant dû de la plus grosse facture ouverte (0 si aucune).",
            0,
            "numeric",
            NEEDS,
            "largest open invoice {value:,.0f}",
            "plus grosse facture ouverte {value:,.0f}",
        ),
        FeatureSpec(
            "open_days_past_due_max",
            FAMILY,
            "Days past due of the oldest open invoice (negative: not due yet; NaN: none).",
            "Jours de retard de la plus ancienne facture ouverte (négatif : non échue).",
            1,
            "numeric",
            NEEDS,
            "an open invoice {value:.0f} days past due",
            "une facture ouverte échue depuis {value:.0f} jours",
        ),
        FeatureSpec(
            "credit_limit_utilisation",
            FAMILY,
            "Open amount divided by the current credit limit (NaN without a limit > 0).",
            "Encours divisé par la limite de crédit actuelle (NaN sans limite > 0).",
            1,
            "numeric",
            (*NEEDS, "customers.credit_limit"),
            "{value:.0%} of the credit limit used",
            "{value:.0%} de la limite de crédit utilisée",
        ),
        FeatureSpec(
            f"dso_days_{d}",
            FAMILY,
            f"Customer DSO: open amount / sales invoiced in the last {de} x days of the window.",
            f"DSO du client : encours / ventes facturées sur les {df} x jours de la fenêtre.",
            1,
            "numeric",
            NEEDS,
            "customer DSO of {value:.0f} days",
            "DSO du client de {value:.0f} jours",
        ),
    )


def compute(timeline: LedgerTimeline, queries: Queries) -> dict[str, np.ndarray]:
    """Exposure features for each query (empty when the ledger has no ``paid_on``).

    Args:
        timeline: the prepared ledger.
        queries: (customer, as-of day) pairs.

    Returns:
        Feature name -> values aligned with ``queries``.
    """
    if not timeline.has("invoices.paid_on"):
        return {}
    config = timeline.config
    out = aged_balance(timeline, queries, tuple(suffix for suffix, *_rest in BUCKETS))
    total = out["open_amount_total"]
    issues = timeline.issues
    start = issues.start(queries.codes)
    hi = issues.before(queries.codes, queries.days)
    lo = issues.before(queries.codes, queries.days - config.dso_window_days)
    sales = issues.window_sum("amount", lo, hi, start)
    dso = safe_ratio(total, sales) * config.dso_window_days
    out[f"dso_days_{window_label(config.dso_window_days)}"] = dso
    if timeline.has("customers.credit_limit"):
        limit_q = credit_limit_codes(timeline.ledger, queries.codes, queries.days)  # dated
        limit_q = np.where(limit_q > 0, limit_q, np.nan)
        out["credit_limit_utilisation"] = total / limit_q
    return out
