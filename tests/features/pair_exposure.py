"""The aged balance as computed before issue 17: one (invoice, query) pair per open invoice.

Kept in the tests as a second oracle for :mod:`risk.features.aging` (its cost grows with the
square of a customer's invoice count, so the library no longer uses it).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from risk.features.context import LedgerTimeline, Queries
from risk.features.exposure import BUCKETS
from risk.features.timeline import event_keys

MAX_PAIRS_PER_CHUNK = 4_000_000


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


def pair_aged_balance(timeline: LedgerTimeline, queries: Queries) -> dict[str, np.ndarray]:
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
