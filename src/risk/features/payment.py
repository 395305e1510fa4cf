"""Payment behaviour: how the customer paid the invoices it settled before the as-of date.

An invoice is settled at ``t`` when its ``paid_on`` is before ``t``; its lateness
``days_late = paid_on - due_on`` is then known. Windowed features look at invoices settled in
``[t - window, t)``. Means and shares are NaN when no invoice was settled in the window.
"""

from __future__ import annotations

import numpy as np

from risk.features.config import FeatureConfig, window_label
from risk.features.context import LedgerTimeline, Queries
from risk.features.payment_weights import DUE_COHORTS, HALF_LIVES
from risk.features.spec import FeatureSpec
from risk.features.spec_helpers import window_words
from risk.features.timeline import safe_ratio

FAMILY = "payment"
PAID = ("invoices.paid_on", "invoices.due_on")


def specs(config: FeatureConfig) -> tuple[FeatureSpec, ...]:
    """The payment-behaviour features for ``config``."""
    w, r = window_label(config.history_window_days), window_label(config.recent_window_days)
    we, wf = window_words(config.history_window_days)
    re_, rf = window_words(config.recent_window_days)

    def spec(
        name: str, direction: int, texts: tuple[str, str, str, str], needs: tuple = ()
    ) -> FeatureSpec:
        return FeatureSpec(
            name, FAMILY, texts[0], texts[1], direction, "numeric", PAID + needs, texts[2], texts[3]
        )

    return (
        spec(
            f"n_invoices_settled_{w}",
            0,
            (
                f"Number of invoices settled in the last {we}.",
                f"Nombre de factures réglées sur les {wf}.",
                f"{{value:.0f}} invoices settled in the last {we}",
                f"{{value:.0f}} factures réglées sur les {wf}",
            ),
        ),
        spec(
            "n_invoices_settled_total",
            0,
            (
                "Number of invoices settled before the date, whole history.",
                "Nombre de factures réglées avant la date, tout l'historique.",
                "{value:.0f} invoices settled so far",
                "{value:.0f} factures réglées à ce jour",
            ),
        ),
        spec(
            f"days_late_mean_{w}",
            1,
            (
                f"Mean days late (payment date minus due date) of invoices settled in the last "
                f"{we}.",
                "Retard moyen en jours (date de paiement moins échéance) des factures réglées "
                f"sur les {wf}.",
                "invoices paid {value:.0f} days after their due date on average over the "
                f"last {we}",
                f"factures payées en moyenne {{value:.0f}} jours après l'échéance sur les {wf}",
            ),
        ),
        spec(
            f"days_late_max_{w}",
            1,
            (
                f"Largest days late of an invoice settled in the last {we}.",
                f"Plus grand retard en jours d'une facture réglée sur les {wf}.",
                f"an invoice paid {{value:.0f}} days late in the last {we}",
                f"une facture payée avec {{value:.0f}} jours de retard sur les {wf}",
            ),
        ),
        spec(
            f"days_late_recency_weighted_{w}",
            1,
            (
                f"Mean days late over the last {we}, recent payments weigh more (weight decreasing "
                "linearly with age, from 1 to 1/window).",
                f"Retard moyen sur les {wf}, les paiements récents pesant davantage (poids "
                "décroissant linéairement avec l'ancienneté).",
                f"recent payments {{value:.0f}} days late on average (last {we})",
                f"paiements récents en moyenne {{value:.0f}} jours en retard ({wf})",
            ),
        ),
        *(
            spec(
                f"days_late_ewm_{h}d",
                1,
                (
                    f"Exponentially weighted mean days late of every invoice settled before the "
                    f"date, half-life {h} days (a payment {h} days old weighs half a payment "
                    "made today).",
                    "Retard moyen pondéré exponentiellement des factures réglées avant la date, "
                    f"demi-vie {h} jours (un paiement vieux de {h} jours pèse moitié moins).",
                    f"paid {{value:.0f}} days late on average, recent payments first (half-life "
                    f"{h} days)",
                    f"payé en moyenne {{value:.0f}} jours en retard, paiements récents d'abord "
                    f"(demi-vie {h} jours)",
                ),
            )
            for h in HALF_LIVES
        ),
        *(
            spec(
                f"on_time_share_due_{lo}_{hi}d",
                -1,
                (
                    f"Share of the invoices due {lo} to {hi} days before the date (due in "
                    f"[t - {hi}, t - {lo})) paid by their due date; an invoice still unpaid "
                    "counts as not on time (NaN: none due).",
                    f"Part des factures échues entre {lo} et {hi} jours avant la date payées à "
                    "l'échéance ; une facture encore impayée compte comme en retard "
                    "(NaN : aucune échue).",
                    f"{{value:.0%}} of the invoices due {lo}-{hi} days ago paid on time",
                    f"{{value:.0%}} des factures échues il y a {lo} à {hi} jours payées à "
                    "l'échéance",
                ),
            )
            for lo, hi in DUE_COHORTS
        ),
        spec(
            f"share_paid_late_{w}",
            1,
            (
                f"Share of the invoices settled in the last {we} that were paid after their due "
                "date.",
                f"Part des factures réglées sur les {wf} payées après l'échéance.",
                f"{{value:.0%}} of invoices paid after their due date in the last {we}",
                f"{{value:.0%}} des factures payées après l'échéance sur les {wf}",
            ),
        ),
        spec(
            f"share_paid_late_30d_{w}",
            1,
            (
                f"Share of the invoices settled in the last {we} paid more than 30 days late.",
                f"Part des factures réglées sur les {wf} payées avec plus de 30 jours de retard.",
                f"{{value:.0%}} of invoices paid more than 30 days late in the last {we}",
                f"{{value:.0%}} des factures payées avec plus de 30 jours de retard sur les {wf}",
            ),
        ),
        spec(
            f"n_invoices_paid_late_60d_{w}",
            1,
            (
                f"Number of invoices settled in the last {we} more than 60 days late.",
                f"Nombre de factures réglées sur les {wf} avec plus de 60 jours de retard.",
                f"{{value:.0f}} invoices paid more than 60 days late in the last {we}",
                f"{{value:.0f}} factures payées avec plus de 60 jours de retard sur les {wf}",
            ),
        ),
        spec(
            f"days_late_trend_{r}_vs_{w}",
            1,
            (
                f"Mean days late of the last {re_} minus that of the rest of the last {we} "
                "(> 0: paying later than before).",
                f"Retard moyen des {rf} moins celui du reste des {wf} "
                "(> 0 : paie plus tard qu'avant).",
                f"paying {{value:.0f}} days later than before (last {re_} vs the previous months)",
                f"paie {{value:.0f}} jours plus tard qu'avant ({rf} vs les mois précédents)",
            ),
        ),
        spec(
            f"days_to_pay_mean_{w}",
            1,
            (
                f"Mean days from invoice date to payment of invoices settled in the last {we}.",
                f"Délai moyen de paiement en jours (de la facture au paiement) sur les {wf}.",
                f"pays {{value:.0f}} days after the invoice date on average (last {we})",
                f"paie en moyenne {{value:.0f}} jours après la date de facture ({wf})",
            ),
        ),
        spec(
            f"share_paid_before_due_{w}",
            -1,
            (
                f"Share of the invoices settled in the last {we} paid before their due date.",
                f"Part des factures réglées sur les {wf} payées avant l'échéance.",
                f"{{value:.0%}} of invoices paid before their due date in the last {we}",
                f"{{value:.0%}} des factures payées avant l'échéance sur les {wf}",
            ),
        ),
        spec(
            f"partial_payment_rate_{w}",
            1,
            (
                f"Share of the invoices settled in the last {we} that were paid in several "
                "payments.",
                f"Part des factures réglées sur les {wf} payées en plusieurs fois.",
                f"{{value:.0%}} of invoices paid in several instalments in the last {we}",
                f"{{value:.0%}} des factures payées en plusieurs fois sur les {wf}",
            ),
            ("payments.paid_on", "payments.invoice_id"),
        ),
        spec(
            f"dispute_rate_{w}",
            1,
            (
                f"Share of the invoices settled in the last {we} that were disputed.",
                f"Part des factures réglées sur les {wf} qui ont fait l'objet d'un litige.",
                f"{{value:.0%}} of invoices disputed in the last {we}",
                f"{{value:.0%}} des factures en litige sur les {wf}",
            ),
            ("invoices.disputed",),
        ),
        spec(
            "days_since_last_late_payment",
            -1,
            (
                "Days since the last payment made after the due date (NaN: never late).",
                "Jours depuis le dernier paiement effectué après l'échéance "
                "(NaN : jamais en retard).",
                "last late payment {value:.0f} days ago",
                "dernier paiement en retard il y a {value:.0f} jours",
            ),
        ),
        spec(
            f"reminders_per_invoice_{w}",
            1,
            (
                f"Mean number of reminders needed per invoice settled in the last {we}.",
                f"Nombre moyen de relances nécessaires par facture réglée sur les {wf}.",
                f"{{value:.1f}} reminders needed per invoice in the last {we}",
                f"{{value:.1f}} relances nécessaires par facture sur les {wf}",
            ),
            ("reminders.invoice_id", "reminders.sent_on"),
        ),
    )


def compute(timeline: LedgerTimeline, queries: Queries) -> dict[str, np.ndarray]:
    """Payment-behaviour features for each query (empty when the ledger has no ``paid_on``).

    Args:
        timeline: the prepared ledger.
        queries: (customer, as-of day) pairs.

    Returns:
        Feature name -> values aligned with ``queries``.
    """
    if not timeline.has("invoices.paid_on"):
        return {}
    config = timeline.config
    w, r = window_label(config.history_window_days), window_label(config.recent_window_days)
    idx = timeline.settlements
    start = idx.start(queries.codes)
    hi = idx.before(queries.codes, queries.days)
    lo = idx.before(queries.codes, queries.days - config.history_window_days)
    mid = idx.before(queries.codes, queries.days - config.recent_window_days)
    n = (hi - lo).astype(np.float64)

    def window(name: str) -> np.ndarray:
        return idx.window_sum(name, lo, hi, start)

    def mean(name: str) -> np.ndarray:
        return safe_ratio(window(name), n)

    out = {
        f"n_invoices_settled_{w}": n,
        "n_invoices_settled_total": (hi - start).astype(np.float64),
        f"days_late_mean_{w}": mean("days_late"),
        f"days_late_max_{w}": idx.window_max("days_late", lo, hi),
        f"days_late_recency_weighted_{w}": _recency_weighted(timeline, queries, lo, hi, start),
        f"share_paid_late_{w}": mean("late_0"),
        f"share_paid_late_30d_{w}": mean("late_30"),
        f"n_invoices_paid_late_60d_{w}": window("late_60"),
        f"days_late_trend_{r}_vs_{w}": _trend(timeline, lo, mid, hi, start),
        f"days_to_pay_mean_{w}": mean("days_to_pay"),
        f"share_paid_before_due_{w}": mean("before_due"),
        "days_since_last_late_payment": _days_since_last_late(timeline, queries, hi),
        **_exponentially_weighted(timeline, queries, start, hi),
        **_due_cohorts(timeline, queries),
    }
    optional = {"partial": "partial_payment_rate", "disputed": "dispute_rate"}
    for value, name in optional.items():
        if value in idx.values:
            out[f"{name}_{w}"] = mean(value)
    if "reminders" in idx.values:
        out[f"reminders_per_invoice_{w}"] = mean("reminders")
    return out


def _recency_weighted(
    timeline: LedgerTimeline, queries: Queries, lo: np.ndarray, hi: np.ndarray, start: np.ndarray
) -> np.ndarray:
    """Mean days late with weight ``(W + 1 - age) / W``, age = t - paid day in ``[1, W]``.

    With ``a = W + 1 - t`` the weighted mean is ``(a * sum(d) + sum(p * d)) / (a * n + sum(p))``,
    so it comes from prefix sums (exact: every term is an integer below 2**53).
    """
    idx = timeline.settlements
    a = (timeline.config.history_window_days + 1 - queries.days).astype(np.float64)
    n = (hi - lo).astype(np.float64)
    num = a * idx.window_sum("days_late", lo, hi, start) + idx.window_sum(
        "paid_x_late", lo, hi, start
    )
    den = a * n + idx.window_sum("paid_day", lo, hi, start)
    return safe_ratio(num, den)


def _trend(
    timeline: LedgerTimeline, lo: np.ndarray, mid: np.ndarray, hi: np.ndarray, start: np.ndarray
) -> np.ndarray:
    """Mean days late over ``[mid, hi)`` minus the mean over ``[lo, mid)``; NaN if one is empty."""
    idx = timeline.settlements
    recent = safe_ratio(idx.window_sum("days_late", mid, hi, start), hi - mid)
    older = safe_ratio(idx.window_sum("days_late", lo, mid, start), mid - lo)
    return recent - older


def _days_since_last_late(timeline: LedgerTimeline, queries: Queries, hi: np.ndarray) -> np.ndarray:
    """Days from the last settlement with days_late > 0 to the as-of day (NaN when none);
    ``hi``: the settlements known at each query (searched once by ``compute``)."""
    idx = timeline.settlements
    return queries.days - idx.last_flagged_day("late_0", hi, queries.codes)


def _exponentially_weighted(
    timeline: LedgerTimeline, queries: Queries, start: np.ndarray, hi: np.ndarray
) -> dict[str, np.ndarray]:
    """Mean days late of the settlements before t, weight ``2 ** (-(t - paid) / h)``.

    The factor ``2 ** (-t / h)`` is common to numerator and denominator, so the mean is
    ``sum(d * e) / sum(e)`` with ``e = 2 ** ((paid - origin) / h)`` summed over the owner's
    settlements before t (prefix sums within one customer's block).
    """
    idx = timeline.settlements
    return {
        f"days_late_ewm_{h}d": safe_ratio(
            idx.window_sum(f"ewm_late_{h}", start, hi, start),
            idx.window_sum(f"ewm_weight_{h}", start, hi, start),
        )
        for h in HALF_LIVES
    }


def _due_cohorts(timeline: LedgerTimeline, queries: Queries) -> dict[str, np.ndarray]:
    """Share of the invoices due in ``[t - hi, t - lo)`` paid by their due date.

    Known at t: an invoice due before t was either paid by its due day (so before t) or not.
    """
    idx = timeline.dues
    out = {}
    for lo, hi in DUE_COHORTS:
        first = idx.before(queries.codes, queries.days - hi)
        last = idx.before(queries.codes, queries.days - lo)
        on_time = idx.window_sum("on_time", first, last, idx.start(queries.codes))
        out[f"on_time_share_due_{lo}_{hi}d"] = safe_ratio(on_time, last - first)
    return out
