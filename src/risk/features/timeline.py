"""Vectorised as-of lookups over dated events, the engine under every feature family.

Events (a settled invoice, an issued invoice, a legal publication) are sorted once by
(customer code, day). A query is a (customer code, as-of day) pair. The events known at the
query are those of the same customer with ``day < as_of`` (strictly before: a fact dated on
the as-of day is not known yet), so a binary search on the combined key gives their count, and
cumulative sums per customer give sums over any window ``[as_of - w, as_of)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAY_BITS = 23
DAY_SHIFT = 1 << 22  # days since 1970 are shifted by this to be positive
MAX_DAY_KEY = (1 << DAY_BITS) - 1
#: day used for "never happened" (an open invoice's payment day): later than any as-of day.
NEVER = DAY_SHIFT - 1


def to_days(values: pd.Series | pd.Index, missing: int = NEVER) -> np.ndarray:
    """Days since 1970-01-01 as int64; missing dates become ``missing``."""
    dates = pd.to_datetime(pd.Series(values, copy=False))
    out = dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)
    out[dates.isna().to_numpy()] = missing
    return out


def day_keys(days: np.ndarray) -> np.ndarray:
    """The day part of :func:`event_keys`: days shifted to be positive, clamped to its bits."""
    shifted = np.asarray(days, dtype=np.int64) + DAY_SHIFT
    np.maximum(shifted, 0, out=shifted)
    np.minimum(shifted, MAX_DAY_KEY, out=shifted)
    return shifted


def event_keys(codes: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Combine customer (or invoice) codes and days into one sortable int64 key."""
    shifted = day_keys(days)
    shifted += np.asarray(codes, dtype=np.int64) << DAY_BITS
    return shifted


def sort_order(keys: np.ndarray, tiebreak: np.ndarray | None = None) -> np.ndarray:
    """Order sorting ``keys``, equal keys by ``tiebreak`` then by position (stable).

    ``np.lexsort`` sorts once per column; when no key repeats (most event tables: one event
    per owner and day) the tiebreak cannot change the order, so one sort of the keys suffices.
    When some keys repeat, only the rows of the repeated keys (14 % of a generated ledger's
    invoices) are sorted again by (key, tiebreak): the same order as ``np.lexsort((tiebreak,
    keys))`` (both stable), for a fraction of its cost (property-tested).
    """
    order = np.argsort(keys, kind="stable")
    if tiebreak is None or len(keys) < 2:
        return order
    ordered = keys[order]
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return order
    tied = np.zeros(len(keys), dtype=bool)  # slots of ``order`` holding a repeated key
    tied[1:] |= same
    tied[:-1] |= same
    slots = np.flatnonzero(tied)
    rows = order[slots]  # each run of equal keys in row order (the stable sort kept it)
    order[slots] = rows[np.lexsort((np.asarray(tiebreak)[rows], ordered[slots]))]
    return order


class EventIndex:
    """Events sorted by (code, day), with per-code prefix sums, maxima and dates.

    Args:
        codes: owner code of each event (customer code, or invoice code).
        days: event day (days since 1970).
        values: numeric columns to sum or take the maximum of, one value per event; integer
            columns are summed exactly.
        tiebreak: order of events on the same (code, day), so that the result never depends
            on the input row order.
        presorted: the events already come sorted by (code, day) in a canonical order.
    """

    def __init__(
        self,
        codes: np.ndarray,
        days: np.ndarray,
        values: dict[str, np.ndarray] | None = None,
        tiebreak: np.ndarray | None = None,
        presorted: bool = False,
    ) -> None:
        keys = event_keys(codes, days)
        order = np.arange(len(keys)) if presorted else sort_order(keys, tiebreak)
        self.keys = keys[order]
        self.codes = np.asarray(codes, dtype=np.int64)[order]
        self.days = np.asarray(days, dtype=np.int64)[order]
        self.values = {name: np.asarray(col)[order] for name, col in (values or {}).items()}
        self._cumsums: dict[str, np.ndarray] = {}
        self._tables: dict[str, list[np.ndarray]] = {}
        self._starts = np.zeros(0, dtype=np.int64)  # start of codes -1, 0, 1, ...

    def __len__(self) -> int:
        return len(self.keys)

    def start(self, codes: np.ndarray) -> np.ndarray:
        """Position of each code's first event (where it would be if it has none)."""
        codes = np.asarray(codes, dtype=np.int64)
        if len(codes) == 0:
            return np.zeros(0, dtype=np.int64)
        top = int(codes.max()) + 2
        if len(self._starts) < top:  # one binary search per code, then a gather per query
            owners = np.arange(-1, max(top, len(self._starts)) - 1, dtype=np.int64)
            self._starts = np.searchsorted(self.keys, owners << DAY_BITS)
        return self._starts[np.maximum(codes, -1) + 1]

    def before(self, codes: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Position one past the last event of ``code`` with ``day < days`` (per query)."""
        return np.searchsorted(self.keys, event_keys(codes, days), side="left")

    def through(self, codes: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Position one past the last event of ``code`` with ``day <= days`` (per query)."""
        return np.searchsorted(self.keys, event_keys(codes, days), side="right")

    def _cumsum(self, name: str) -> np.ndarray:
        """Prefix sums of ``name``.

        Integer columns: one exact int64 running total over all events, with a leading 0.
        Float columns: running totals restarted for each owner (no rounding error carried
        over from other owners, so a value never depends on other customers' events).
        """
        if name not in self._cumsums:
            values = self.values[name]
            if np.issubdtype(values.dtype, np.integer):
                self._cumsums[name] = _exact_cumsum(values)
            else:
                series = pd.Series(values.astype(np.float64, copy=False))
                self._cumsums[name] = series.groupby(self.codes, sort=False).cumsum().to_numpy()
        return self._cumsums[name]

    def prefix(self, name: str, pos: np.ndarray, start: np.ndarray) -> np.ndarray:
        """Sum of ``name`` over the events in ``[start, pos)`` (one owner's block)."""
        cumsum = self._cumsum(name)
        if np.issubdtype(self.values[name].dtype, np.integer):
            return (cumsum[pos] - cumsum[start]).astype(np.float64)
        if len(cumsum) == 0:
            return np.zeros(len(pos))
        return np.where(pos > start, cumsum[np.maximum(pos - 1, 0)], 0.0)

    def window_sum(
        self, name: str, lo: np.ndarray, hi: np.ndarray, start: np.ndarray
    ) -> np.ndarray:
        """Sum of ``name`` over events ``[lo, hi)``, with ``start <= lo <= hi`` per query."""
        cumsum = self._cumsum(name)
        if np.issubdtype(self.values[name].dtype, np.integer):
            return (cumsum[hi] - cumsum[lo]).astype(np.float64)
        if lo is start:  # the owner's whole history: the prefix at ``start`` is 0.0, and
            return self.prefix(name, hi, start)  # x - 0.0 has the bits of x (-0.0 and NaN too)
        return self.prefix(name, hi, start) - self.prefix(name, lo, start)

    def _sparse_table(self, name: str, longest: int) -> list[np.ndarray]:
        """Maxima over runs of 1, 2, 4... events, up to the longest window asked for."""
        table = self._tables.setdefault(name, [self.values[name].astype(np.float32)])
        while 2 ** (len(table) - 1) * 2 <= longest:  # float32: exact for day counts
            width = 2 ** (len(table) - 1)
            table.append(np.maximum(table[-1][:-width], table[-1][width:]))
        return table

    def window_max(self, name: str, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Maximum of ``name`` over events ``[lo, hi)``; NaN for an empty window."""
        out = np.full(len(lo), np.nan)
        filled = hi > lo
        if not filled.any():
            return out
        lo_f, hi_f = lo[filled], hi[filled]
        table = self._sparse_table(name, int((hi_f - lo_f).max()))
        level = np.floor(np.log2(hi_f - lo_f)).astype(np.int64)
        result = np.empty(len(lo_f))
        for k in np.unique(level):
            sel = level == k
            row = table[k]
            result[sel] = np.maximum(row[lo_f[sel]], row[hi_f[sel] - (1 << k)])
        out[filled] = result
        return out

    def last_flagged_day(self, name: str, pos: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Day of the owner's last event before ``pos`` whose ``name`` value is non-zero.

        A running maximum of the flagged events' keys: keys grow with the owner code, so the
        maximum up to ``pos`` belongs to the query's owner iff it is at least ``code << 23``.
        """
        cache = f"last_flagged:{name}"
        if cache not in self._tables:
            flagged = np.where(self.values[name] != 0, self.keys, -1)
            self._tables[cache] = [np.concatenate(([-1], np.maximum.accumulate(flagged)))]
        last_key = self._tables[cache][0][pos]
        mine = last_key >= (np.asarray(codes, dtype=np.int64) << DAY_BITS)
        day = (last_key & MAX_DAY_KEY) - DAY_SHIFT
        return np.where(mine, day, np.nan)

    def last_day(self, pos: np.ndarray, start: np.ndarray) -> np.ndarray:
        """Day of the last event before ``pos`` in the owner's block; NaN when none."""
        if len(self.days) == 0:
            return np.full(len(pos), np.nan)
        day = self.days[np.maximum(pos - 1, 0)].astype(np.float64)
        return np.where(pos > start, day, np.nan)

    def first_day(self, pos: np.ndarray, start: np.ndarray) -> np.ndarray:
        """Day of the owner's first event when it is before ``pos``; NaN when none."""
        if len(self.days) == 0:
            return np.full(len(pos), np.nan)
        day = self.days[np.minimum(start, len(self.days) - 1)].astype(np.float64)
        return np.where(pos > start, day, np.nan)


def _exact_cumsum(values: np.ndarray) -> np.ndarray:
    """Running total of integers with a leading 0: int32 (half the memory) when no total can
    leave its range, else int64; exact either way."""
    largest = max(abs(int(values.max())), abs(int(values.min()))) if len(values) else 0
    bound = largest * len(values)  # no partial sum can be larger in size
    dtype = np.int32 if bound < 2**31 else np.int64
    out = np.empty(len(values) + 1, dtype=dtype)
    out[0] = 0
    np.cumsum(values, dtype=dtype, out=out[1:])
    return out


def safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` with NaN where the denominator is 0."""
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    out = np.full(len(num), np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out
