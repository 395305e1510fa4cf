"""Exposure at the as-of date: the aged balance (balance âgée), limit use and DSO.

An invoice is open at ``t`` when it was issued before ``t`` and not settled before ``t``
(``issued_on < t <= paid_on``, or unpaid). An invoice paid on or after ``t`` is therefore open
at ``t``, with its age at ``t``: ``days_past_due = t - due_on``. Its open amount is its amount
minus the payments dated before ``t`` (when the ledger has a payments table).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from risk.features.config import FeatureConfig, window_label
from risk.features.context import LedgerTimeline, Queries
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
BUCKET_EDGES = np.array([1, 31, 61, 91])  # days past due where the next bucket starts
MAX_PAIRS_PER_CHUNK = 8_000_000


def specs(config: FeatureConfig) -> tuple[FeatureSpec, ...]:
    """The exposure features for ``config``."""
    d = window_label(config.dso_window_days)
    de, df = window_words(config.dso_window_days)
    buckets = tuple(
        FeatureSpec(
            f"open_amount_{suffix}", FAMILY,
            f"Open amount {en} at the date (ledger currency).",
            f"Encours {fr} à la date (devise du grand livre).",
            direction, "numeric", NEEDS,
            f"{{value:,.0f}} open {en}", f"{{value:,.0f}} d'encours {fr}",
        )
        for suffix, en, fr, direction in BUCKETS
    )
    return (*buckets,
        FeatureSpec("open_amount_total", FAMILY, "Total open amount at the date.",
                    "Encours total à la date.", 0, "numeric", NEEDS,
                    "{value:,.0f} open in total", "{value:,.0f} d'encours au total"),
        FeatureSpec("n_open_invoices", FAMILY, "Number of open invoices at the date.",
                    "Nombre de factures ouvertes à la date.", 0, "numeric", NEEDS,
                    "{value:.0f} open invoices", "{value:.0f} factures ouvertes"),
        FeatureSpec("open_invoice_amount_max", FAMILY,
                    "Open amount of the largest open invoice (0 when none).",
                    "Montant restant dû de la plus grosse facture ouverte (0 si aucune).",
                    0, "numeric", NEEDS,
                    "largest open invoice {value:,.0f}", "plus grosse facture ouverte {value:,.0f}"),
        FeatureSpec("open_days_past_due_max", FAMILY,
                    "Days past due of the oldest open invoice (negative: not due yet; NaN: none).",
                    "Jours de retard de la plus ancienne facture ouverte (négatif : non échue).",
                    1, "numeric", NEEDS,
                    "an open invoice {value:.0f} days past due",
                    "une facture ouverte échue depuis {value:.0f} jours"),
        FeatureSpec("credit_limit_utilisation", FAMILY,
                    "Open amount divided by the current credit limit (NaN without a limit > 0).",
                    "Encours divisé par la limite de crédit actuelle (NaN sans limite > 0).",
                    1, "numeric", (*NEEDS, "customers.credit_limit"),
                    "{value:.0%} of the credit limit used",
                    "{value:.0%} de la limite de crédit utilisée"),
        FeatureSpec(f"dso_days_{d}", FAMILY,
                    f"Customer DSO: open amount / sales invoiced in the last {de} x days of the window.",
                    f"DSO du client : encours / ventes facturées sur les {df} x jours de la fenêtre.",
                    1, "numeric", NEEDS,
                    "customer DSO of {value:.0f} days", "DSO du client de {value:.0f} jours"),
    )


def _pair_chunks(timeline: LedgerTimeline, queries: Queries) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (query index, invoice position) pairs for every invoice open at a query."""
    inv = timeline.invoices
    q_keys = event_keys(queries.codes, queries.days)
    order = np.argsort(q_keys, kind="stable")
    sorted_keys = q_keys[order]
    codes = inv["code"].to_numpy()
    first = np.searchsorted(sorted_keys, event_keys(codes, inv["issued"].to_numpy() + 1))
    last = np.searchsorted(sorted_keys, event_keys(codes, inv["paid"].to_numpy()), side="right")
    counts = np.maximum(last - first, 0)
    ends = np.cumsum(counts)
    begin = 0
    while begin < len(counts):
        stop = int(np.searchsorted(ends, (ends[begin - 1] if begin else 0) + MAX_PAIRS_PER_CHUNK))
        stop = max(stop, begin + 1)
        chunk = np.arange(begin, stop)
        n = counts[chunk]
        inv_pos = np.repeat(chunk, n)
        within = np.arange(len(inv_pos)) - np.repeat(np.cumsum(n) - n, n)
        yield order[first[inv_pos] + within], inv_pos
        begin = stop


def _paid_before(timeline: LedgerTimeline, inv_pos: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Amount of the payments of each invoice dated before ``days`` (0 without payments)."""
    payments = timeline.payments
    if payments is None or len(payments) == 0:
        return np.zeros(len(inv_pos))
    start = payments.start(inv_pos)
    return payments.prefix("amount", payments.before(inv_pos, days), start)


def _aged_balance(timeline: LedgerTimeline, queries: Queries) -> dict[str, np.ndarray]:
    n_queries = len(queries)
    balance = np.zeros(n_queries * len(BUCKETS))
    count = np.zeros(n_queries)
    largest = np.zeros(n_queries)
    oldest = np.full(n_queries, -np.inf)
    inv = timeline.invoices
    due, amount = inv["due"].to_numpy(), inv["amount"].to_numpy()
    for q_idx, inv_pos in _pair_chunks(timeline, queries):
        days = queries.days[q_idx]
        open_amount = np.maximum(amount[inv_pos] - _paid_before(timeline, inv_pos, days), 0.0)
        past_due = (days - due[inv_pos]).astype(np.float64)
        bucket = np.searchsorted(BUCKET_EDGES, past_due, side="right")
        balance += np.bincount(q_idx * len(BUCKETS) + bucket, open_amount, len(balance))
        count += np.bincount(q_idx, minlength=n_queries)
        np.maximum.at(largest, q_idx, open_amount)
        np.maximum.at(oldest, q_idx, past_due)
    out = {
        f"open_amount_{suffix}": balance[i :: len(BUCKETS)].copy()
        for i, (suffix, *_rest) in enumerate(BUCKETS)
    }
    out["open_amount_total"] = balance.reshape(n_queries, len(BUCKETS)).sum(axis=1)
    out["n_open_invoices"] = count
    out["open_invoice_amount_max"] = largest
    out["open_days_past_due_max"] = np.where(np.isinf(oldest), np.nan, oldest)
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
        limit = timeline.ledger.customers["credit_limit"].to_numpy(dtype=np.float64)
        limit_q = np.where(queries.codes >= 0, limit[np.maximum(queries.codes, 0)], np.nan)
        limit_q = np.where(limit_q > 0, limit_q, np.nan)
        out["credit_limit_utilisation"] = total / limit_q
    return out
