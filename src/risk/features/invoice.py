"""Features of the invoice itself (invoice-level rows only).

The ledger's ``disputed`` column is undated (it is the invoice's current state), so using it on
an invoice's own row would leak the future into training; ``invoice_disputed`` is therefore
taken from dated facts by the one rule of ``risk.features.dated.dispute_open_rows``: the
``disputes`` table, else a reminder answered ``dispute``, the undated flag only from the cut-off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.contracts import INVOICE_CHANNELS
from risk.features.config import FeatureConfig, window_label
from risk.features.context import LedgerTimeline, Queries
from risk.features.dated import dispute_open_rows
from risk.features.spec import FeatureSpec
from risk.features.spec_helpers import window_words
from risk.features.timeline import safe_ratio

FAMILY = "invoice"
MONTHS = tuple(range(1, 13))


def specs(config: FeatureConfig) -> tuple[FeatureSpec, ...]:
    """The invoice features for ``config``."""
    w = window_label(config.history_window_days)
    we, wf = window_words(config.history_window_days)
    base = ("invoices.amount", "invoices.issued_on", "invoices.due_on")

    def spec(
        name: str, direction: int, kind: str, texts: tuple[str, ...], needs: tuple = ()
    ) -> FeatureSpec:
        return FeatureSpec(
            name,
            FAMILY,
            texts[0],
            texts[1],
            direction,
            kind,  # type: ignore[arg-type]
            base + needs,
            texts[2],
            texts[3],
            level="invoice",
        )

    return (
        spec(
            "invoice_amount",
            0,
            "numeric",
            (
                "Invoice amount including tax.",
                "Montant TTC de la facture.",
                "invoice of {value:,.0f}",
                "facture de {value:,.0f}",
            ),
        ),
        spec(
            f"invoice_amount_to_mean_{w}",
            1,
            "numeric",
            (
                f"Invoice amount divided by the customer's mean invoice amount of the last {we}.",
                "Montant de la facture divisé par le montant moyen des factures du client "
                f"sur les {wf}.",
                "invoice {value:.1f} times the customer's usual amount",
                "facture de {value:.1f} fois le montant habituel du client",
            ),
        ),
        spec(
            "invoice_terms_days",
            0,
            "numeric",
            (
                "Days from invoice date to due date.",
                "Jours entre la date de facture et l'échéance.",
                "payment terms of {value:.0f} days",
                "délai de paiement de {value:.0f} jours",
            ),
        ),
        spec(
            "issue_month",
            0,
            "categorical",
            (
                "Month of the invoice date (August and December behave differently).",
                "Mois de la date de facture (août et décembre se comportent différemment).",
                "invoice issued in month {value}",
                "facture émise au mois {value}",
            ),
        ),
        spec(
            "due_month",
            0,
            "categorical",
            (
                "Month of the due date: payment runs follow it (an invoice due in August or "
                "December is paid later).",
                "Mois de l'échéance : les paiements le suivent (une facture échue en août ou "
                "en décembre est payée plus tard).",
                "invoice due in month {value}",
                "facture échue au mois {value}",
            ),
        ),
        spec(
            "invoice_channel",
            0,
            "categorical",
            (
                "Invoice channel: paper or electronic.",
                "Canal de la facture : papier ou électronique.",
                "{value} invoice",
                "facture {value}",
            ),
            ("invoices.channel",),
        ),
        spec(
            "invoice_disputed",
            1,
            "numeric",
            (
                "1 if a dispute of the invoice is open at the date (raised before it, not "
                "resolved).",
                "1 si un litige sur la facture est ouvert à la date (soulevé avant, non résolu).",
                "invoice disputed by the customer",
                "facture contestée par le client",
            ),
            ("invoices.disputed",),  # present in every validated ledger (default false)
        ),
    )


def compute(timeline: LedgerTimeline, positions: np.ndarray, queries: Queries) -> dict[str, object]:
    """Invoice features of the invoices at ``positions`` (in ``timeline.invoices``) as of a date.

    Args:
        timeline: the prepared ledger.
        positions: invoice position of each query.
        queries: (customer of the invoice, as-of day) pairs.

    Returns:
        Feature name -> values aligned with ``queries``.
    """
    config = timeline.config
    inv = timeline.invoices
    amount = inv["amount"].to_numpy()[positions]
    issues = timeline.issues
    start = issues.start(queries.codes)
    hi = issues.before(queries.codes, queries.days)
    lo = issues.before(queries.codes, queries.days - config.history_window_days)
    mean_amount = safe_ratio(issues.window_sum("amount", lo, hi, start), hi - lo)
    issued = inv["issued"].to_numpy()[positions]
    month = _months(issued)
    out: dict[str, object] = {
        "invoice_amount": amount,
        f"invoice_amount_to_mean_{window_label(config.history_window_days)}": amount / mean_amount,
        "invoice_terms_days": (inv["due"].to_numpy()[positions] - issued).astype(np.float64),
        "issue_month": pd.Categorical.from_codes(
            month - 1, dtype=pd.CategoricalDtype(list(MONTHS))
        ),
        "due_month": pd.Categorical.from_codes(
            _months(inv["due"].to_numpy()[positions]) - 1, dtype=pd.CategoricalDtype(list(MONTHS))
        ),
    }
    if timeline.has("invoices.channel"):
        channel = pd.Categorical(timeline.ledger.invoices["channel"], categories=INVOICE_CHANNELS)
        rows = inv["row"].to_numpy()[positions]
        out["invoice_channel"] = pd.Categorical.from_codes(channel.codes[rows], dtype=channel.dtype)
    if not timeline.has("invoices.disputed"):
        return out
    rows = inv["row"].to_numpy()[positions]
    out["invoice_disputed"] = dispute_open_rows(timeline.ledger, rows, queries.days).astype(
        np.float64
    )
    return out


def _months(days: np.ndarray) -> np.ndarray:
    """Calendar month (1-12) of each day number (days since 1970-01-01)."""
    return pd.DatetimeIndex(days.astype("datetime64[D]")).month.to_numpy()
