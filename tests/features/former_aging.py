"""The aged balance as it was before the memory pass of issue 17 (2026-12-01, sixth session),
kept verbatim as a test oracle: the current ``risk.features.aging`` must give the very same
bits while holding fewer working arrays (``tests/features/test_aging_memory.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.features.context import LedgerTimeline, Queries
from risk.features.timeline import DAY_BITS, event_keys

#: aging buckets as inclusive ranges of days past due (None: unbounded)
BUCKET_DAYS: tuple[tuple[int | None, int | None], ...] = (
    (None, 0),
    (1, 30),
    (31, 60),
    (61, 90),
    (91, None),
)


def _position(
    sorted_keys: np.ndarray, codes: np.ndarray, days: np.ndarray, after: bool = False
) -> np.ndarray:
    """Per (code, day), the position of the first sorted query of ``code`` on or after ``day``
    (``after``: strictly after ``day``, i.e. one past its last query on or before ``day``).

    Monotone in ``day`` for a fixed code, so ``max`` / ``min`` of days map to ``max`` / ``min``
    of positions: one binary search per interval bound, shared by every bucket, and the
    first query on or after ``day + 1`` is the first one after ``day``."""
    needles = event_keys(codes, days)
    if after:
        return np.searchsorted(sorted_keys, needles, side="right")
    return np.searchsorted(sorted_keys, needles, side="left")


def _cover_max(n: int, lo: np.ndarray, hi: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per position, the maximum of ``values`` over the runs ``[lo, hi)`` covering it."""
    out = np.full(n, -np.inf)
    keep = hi > lo
    lo, hi, values = lo[keep], hi[keep], values[keep]
    if not len(lo):
        return out
    level = np.frexp((hi - lo).astype(np.float64))[1] - 1  # floor(log2(length))
    for k in range(int(level.max()), -1, -1):
        width = 1 << k
        if width < n:  # a block [j, j + 2w) of level k + 1 covers [j, j + w) and [j + w, ...)
            np.maximum(out[width:], out[:-width], out=out[width:])
        sel = level == k
        np.maximum.at(out, lo[sel], values[sel])
        np.maximum.at(out, hi[sel] - width, values[sel])
    return out


def _whole_cents(*arrays: np.ndarray) -> bool:
    for values in arrays:
        cents = np.round(values * 100.0)
        if not (np.array_equal(cents / 100.0, values) and np.abs(cents).sum() < 2.0**52):
            return False
    return True


class _Sweep:
    """Running totals over the sorted queries of a difference array of interval values."""

    def __init__(self, sorted_keys: np.ndarray, sorted_codes: np.ndarray, exact: bool) -> None:
        self.n = len(sorted_keys)
        self.codes = sorted_codes
        self.exact = exact
        block_end = np.searchsorted(sorted_keys, (sorted_codes + 1) << DAY_BITS, side="left")
        self._block_end = block_end

    def total(self, lo: np.ndarray, hi: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Per sorted query, the sum of ``values`` over the runs ``[lo, hi)`` covering it."""
        keep = hi > lo
        lo, hi, values = lo[keep], hi[keep], values[keep]
        if self.exact:  # integer cents: one global running total is exact
            cents = np.round(values * 100.0)
            diff = np.bincount(lo, cents, self.n + 1) - np.bincount(hi, cents, self.n + 1)
            return np.cumsum(diff[:-1].astype(np.int64)) / 100.0
        inner = hi < self._block_end[np.minimum(lo, self.n - 1)]  # an end inside the block
        diff = np.bincount(lo, values, self.n + 1)
        diff -= np.bincount(hi[inner], values[inner], self.n + 1)
        return pd.Series(diff[:-1]).groupby(self.codes, sort=False).cumsum().to_numpy()

    def count(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Per sorted query, the number of runs ``[lo, hi)`` covering it."""
        keep = hi > lo
        diff = np.bincount(lo[keep], minlength=self.n + 1)
        diff -= np.bincount(hi[keep], minlength=self.n + 1)
        return np.cumsum(diff[:-1])


def _payment_pieces(
    timeline: LedgerTimeline,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per payment: invoice position, first day it counts (``paid + 1``), amount, running
    total of the invoice's payments through it (payments sorted by invoice and day)."""
    payments = timeline.payments
    if payments is None or len(payments) == 0:
        empty = np.zeros(0)
        return empty.astype(np.int64), empty.astype(np.int64), empty, empty
    known = payments.codes >= 0
    pos = payments.codes[known]
    amount = payments.values["amount"][known].astype(np.float64)
    running = pd.Series(amount).groupby(pos, sort=False).cumsum().to_numpy()
    return pos, payments.days[known] + 1, amount, running


def aged_balance(
    timeline: LedgerTimeline, queries: Queries, bucket_names: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """Aged balance, open count, largest open amount and oldest open invoice per query.

    Args:
        timeline: the prepared ledger.
        queries: (customer code, as-of day) pairs, in any order.
        bucket_names: suffixes of the :data:`BUCKET_DAYS` buckets (``open_amount_<name>``).

    Returns:
        ``open_amount_<bucket>``, ``open_amount_total``, ``n_open_invoices``,
        ``open_invoice_amount_max`` and ``open_days_past_due_max``, aligned with ``queries``.
    """
    inv = timeline.invoices
    q_keys = event_keys(queries.codes, queries.days)
    order = None if np.all(q_keys[1:] >= q_keys[:-1]) else np.argsort(q_keys, kind="stable")
    keys = q_keys if order is None else q_keys[order]
    q_codes = np.asarray(queries.codes if order is None else queries.codes[order], dtype=np.int64)
    q_days = queries.days if order is None else queries.days[order]
    codes, due = inv["code"].to_numpy(), inv["due"].to_numpy()
    start, paid = inv["issued"].to_numpy() + 1, inv["paid"].to_numpy()
    amount = inv["amount"].to_numpy(dtype=np.float64)
    p_pos, p_start, p_amount, p_running = _payment_pieces(timeline)
    sweep = _Sweep(keys, q_codes, _whole_cents(amount, p_amount))

    # contributions: each invoice (+amount) and each payment (-amount) from its first day;
    # a contribution covers the queries [lo, hi) of its customer, lo = first query on or
    # after its first day, hi = first query after its last day (positions, not days)
    n_inv = len(codes)
    c_codes = np.concatenate((codes, codes[p_pos]))
    c_due = np.concatenate((due, due[p_pos]))
    c_value = np.concatenate((amount, -p_amount))
    c_lo = _position(keys, c_codes, np.concatenate((start, np.maximum(start[p_pos], p_start))))
    c_hi = _position(keys, c_codes, np.concatenate((paid, paid[p_pos])), after=True)
    # bucket bounds: the first query past due + high, shared (due + high + 1 = next low)
    past = {
        high: _position(keys, c_codes, c_due + high, after=True)
        for _, high in BUCKET_DAYS
        if high is not None
    }
    del c_due
    out: dict[str, np.ndarray] = {}
    total = np.zeros(len(keys))
    for name, (low, high) in zip(bucket_names, BUCKET_DAYS, strict=True):
        lo = c_lo if low is None else np.maximum(c_lo, past[low - 1])
        hi = c_hi if high is None else np.minimum(c_hi, past[high])
        balance = sweep.total(lo, np.maximum(hi, lo), c_value)
        out[f"open_amount_{name}"] = balance
        total += balance
    del past
    out["open_amount_total"] = total
    lo, hi = c_lo[:n_inv], np.maximum(c_hi[:n_inv], c_lo[:n_inv])
    count = sweep.count(lo, hi)
    out["n_open_invoices"] = count.astype(np.float64)
    oldest = _cover_max(len(keys), lo, hi, -due.astype(np.float64)) + q_days
    out["open_days_past_due_max"] = np.where(count > 0, oldest, np.nan)
    out["open_invoice_amount_max"] = _largest_open(
        len(keys), c_lo, c_hi, n_inv, amount, p_pos, p_running
    )
    if order is None:
        return out
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return {name: values[back] for name, values in out.items()}


def _largest_open(
    n: int,
    c_lo: np.ndarray,
    c_hi: np.ndarray,
    n_inv: int,
    amount: np.ndarray,
    p_pos: np.ndarray,
    p_running: np.ndarray,
) -> np.ndarray:
    """Largest open amount per sorted query (0 when none open).

    An invoice's open amount is constant between payments: pieces ``[start, first payment]``,
    ``[payment j + 1 day, payment j+1]``, ..., ``[last payment + 1 day, paid]``. ``c_lo`` and
    ``c_hi`` are the query runs of the invoices (first ``n_inv``) then of the payments (from
    the payment's first day to the invoice's payment day), so every piece's run is read from
    them: a piece ending the day before the next payment's first day ends at that payment's
    ``lo``.
    """
    inv_lo, inv_hi = c_lo[:n_inv], c_hi[:n_inv]
    pay_lo, pay_hi = c_lo[n_inv:], c_hi[n_inv:]
    m = len(p_pos)
    same_next = np.zeros(m, dtype=bool)
    same_next[:-1] = p_pos[1:] == p_pos[:-1]
    next_lo = np.empty(m, dtype=np.int64)
    next_lo[:-1] = pay_lo[1:]
    piece_hi = np.where(same_next, next_lo, pay_hi)
    first_payment_lo = np.full(n_inv, np.iinfo(np.int64).max)
    np.minimum.at(first_payment_lo, p_pos, pay_lo)
    base_hi = np.minimum(inv_hi, first_payment_lo)
    lo = np.concatenate((inv_lo, pay_lo))
    hi = np.maximum(np.concatenate((base_hi, piece_hi)), lo)
    values = np.concatenate((amount, amount[p_pos] - p_running))
    return np.maximum(_cover_max(n, lo, hi, values), 0.0)
