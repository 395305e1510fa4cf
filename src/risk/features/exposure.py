"""Exposure at the as-of date: the aged balance (balance âgée), limit use and DSO.

An invoice is open at ``t`` when it was issued before ``t`` and not settled before ``t``
(``issued_on < t <= paid_on``, or unpaid). An invoice paid on or after ``t`` is therefore open
at ``t``, with its age at ``t``: ``days_past_due = t - due_on``. Its open amount is its amount
minus the payments dated before ``t`` (when the ledger has a payments table; a validated
ledger never pays more than the amount).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from risk.features.config import FeatureConfig, window_label
from risk.features.context import LedgerTimeline, Queries
from risk.features.dated import credit_limit_codes
from risk.features.spec import FeatureSpec
from risk.features.spec_helpers import window_words
from risk.features.timeline import event_keys, safe_ratio

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
MAX_PAIRS_PER_CHUNK = 4_000_000


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


def _pair_chunks(
    timeline: LedgerTimeline, queries: Queries
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (query index, invoice position) pairs for every invoice open at a query.

    The queries of one customer that fall inside an invoice's open interval
    ``[issued + 1, paid]`` are a contiguous run of the sorted queries, found by binary search.
    """
    inv = timeline.invoices
    q_keys = event_keys(queries.codes, queries.days)
    order = None if np.all(q_keys[1:] >= q_keys[:-1]) else np.argsort(q_keys, kind="stable")
    sorted_keys = q_keys if order is None else q_keys[order]
    codes = inv["code"].to_numpy()
    first = np.searchsorted(sorted_keys, event_keys(codes, inv["issued"].to_numpy() + 1))
    last = np.searchsorted(sorted_keys, event_keys(codes, inv["paid"].to_numpy()), side="right")
    counts = np.maximum(last - first, 0)
    ends = np.cumsum(counts)
    begin = 0
    while begin < len(counts):
        base = ends[begin - 1] if begin else 0
        stop = max(int(np.searchsorted(ends, base + MAX_PAIRS_PER_CHUNK)), begin + 1)
        n = counts[begin:stop]
        offsets = ends[begin:stop] - n - base  # first pair of each invoice in the chunk
        inv_pos = np.repeat(np.arange(begin, stop), n)
        q_pos = np.arange(len(inv_pos)) + np.repeat(first[begin:stop] - offsets, n)
        yield (q_pos if order is None else order[q_pos]), inv_pos
        begin = stop


def _early_paid(timeline: LedgerTimeline) -> np.ndarray:
    """Per invoice: it received a payment before its settlement day (a partial payment)."""
    payments = timeline.payments
    n = len(timeline.invoices)
    if payments is None or len(payments) == 0:
        return np.zeros(n, dtype=bool)
    pos = np.arange(n)
    return payments.before(pos, timeline.invoices["paid"].to_numpy()) > payments.start(pos)


def _open_amount(
    timeline: LedgerTimeline, inv_pos: np.ndarray, days: np.ndarray, early: np.ndarray
) -> np.ndarray:
    """Amount minus the payments dated before ``days`` (looked up for partial payers only)."""
    amount = timeline.invoices["amount"].to_numpy()[inv_pos]
    partial = early[inv_pos]
    if partial.any() and timeline.payments is not None:
        payments, pos = timeline.payments, inv_pos[partial]
        paid = payments.prefix("amount", payments.before(pos, days[partial]), payments.start(pos))
        amount[partial] -= paid
    return amount


def _aged_balance(timeline: LedgerTimeline, queries: Queries) -> dict[str, np.ndarray]:
    n_queries, n_buckets = len(queries), len(BUCKETS)
    balance = np.zeros(n_queries * n_buckets)
    count = np.zeros(n_queries)
    largest = np.zeros(n_queries)
    oldest = np.full(n_queries, np.iinfo(np.int64).min)
    due = timeline.invoices["due"].to_numpy()
    early = _early_paid(timeline)
    for q_idx, inv_pos in _pair_chunks(timeline, queries):
        days = queries.days[q_idx]
        open_amount = _open_amount(timeline, inv_pos, days, early)
        past_due = days - due[inv_pos]
        # buckets: <= 0, 1-30, 31-60, 61-90, >= 91 days past due
        bucket = np.clip((past_due + 29) // 30, 0, n_buckets - 1)
        balance += np.bincount(q_idx * n_buckets + bucket, open_amount, len(balance))
        count += np.bincount(q_idx, minlength=n_queries)
        np.maximum.at(largest, q_idx, open_amount)
        np.maximum.at(oldest, q_idx, past_due)
    out = {
        f"open_amount_{suffix}": balance[i::n_buckets].copy()
        for i, (suffix, *_rest) in enumerate(BUCKETS)
    }
    out["open_amount_total"] = balance.reshape(n_queries, n_buckets).sum(axis=1)
    out["n_open_invoices"] = count
    out["open_invoice_amount_max"] = largest
    out["open_days_past_due_max"] = np.where(count > 0, oldest, np.nan)
    return out


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
    out = _aged_balance(timeline, queries)
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
