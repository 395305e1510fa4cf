"""Worklist answers of the current ledger version, kept per as-of date and filters.

A worklist reads the whole ledger (every open invoice scored, decided and ranked): rebuilt on
every call it took seconds. ``WorklistCache`` keeps the answer rows of the ledger version being
served, keyed by as-of date and filters; a new version (an event batch, a reloaded folder)
empties it, so a stale worklist is never served. Concurrent calls for the same key wait for the
one build instead of each building it.

``build_rows`` builds the rows: at the cached scores' date, from the service's ``ScoreCache``
(the open invoices' scores and reasons already computed for this version: only the decision
step runs); at another date, or while an event's invoices are being rescored, with
``build_worklist`` on the ledger. Both give the same rows (``tests/service/test_worklist_cache``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pandas as pd

from risk.decisions.worklist import (
    DecisionConfig,
    WorklistFilters,
    attach_reasons,
    build_worklist,
    filter_items,
    rank_items,
)
from risk.ledger import Ledger
from risk.scoring import Scorer
from risk.serving.app import has_open_invoices, worklist_rows
from risk.serving.cache import ScoreCache
from risk.web.cached import cached_items, covers

Rows = list[dict[str, Any]]
Key = tuple[pd.Timestamp, WorklistFilters]


def from_cache(
    ledger: Ledger,
    as_of: pd.Timestamp,
    cache: ScoreCache,
    filters: WorklistFilters,
    config: DecisionConfig,
) -> pd.DataFrame:
    """``build_worklist(scorer, ledger, as_of, filters)`` from the cached scores and reasons
    (``covers(cache, as_of, None)`` must hold: every open invoice scored at ``as_of``)."""
    items = filter_items(cached_items(cache, ledger, None), filters)
    ranked = rank_items(ledger, as_of, items, config, filters.top, filters.per_customer)
    if ranked.empty:
        return ranked
    wanted = sorted(set(ranked["customer_id"]))
    invoices = cache.invoices.loc[:, ["reasons_en", "reasons_fr"]]
    return attach_reasons(ranked, invoices, cache.customers.loc[wanted])


def build_rows(
    scorer: Scorer,
    ledger: Ledger,
    as_of: pd.Timestamp,
    cache: ScoreCache | None,
    filters: WorklistFilters,
) -> Rows:
    """The worklist's answer rows at ``as_of`` (an empty list when nothing is open then)."""
    if not has_open_invoices(ledger, as_of):
        return []
    if covers(cache, as_of, None):
        frame = from_cache(ledger, as_of, cache, filters, DecisionConfig())  # type: ignore[arg-type]
    else:
        frame = build_worklist(scorer, ledger, as_of, filters)
    return worklist_rows(frame)


class WorklistCache:
    """Answer rows of one ledger version per (as-of date, filters), at most ``size`` answers
    and ``max_rows`` rows in all (least recently used dropped first; the answer just built is
    always kept). Thread-safe."""

    def __init__(self, size: int = 32, max_rows: int = 200_000) -> None:
        self.size = size
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self._version: str | None = None
        self._entries: OrderedDict[Key, Future[Rows]] = OrderedDict()

    def rows(
        self,
        version: str,
        as_of: pd.Timestamp,
        filters: WorklistFilters,
        build: Callable[[], Rows],
    ) -> Rows:
        """The rows for ``version`` at ``as_of`` with ``filters``: kept ones, else ``build()``
        (once: concurrent callers of the same key wait for it; a failed build is not kept).
        The rows are shared between callers: read them, do not change them."""
        key = (pd.Timestamp(as_of), filters)
        with self._lock:
            if version != self._version:  # a new ledger version: nothing kept is valid
                self._version = version
                self._entries = OrderedDict()
            entries = self._entries
            found = entries.get(key)
            owner = found is None
            if found is None:
                found = entries[key] = Future()
                while len(entries) > self.size:
                    entries.popitem(last=False)
            else:
                entries.move_to_end(key)
        if owner:
            try:
                found.set_result(build())
            except BaseException as exc:
                with self._lock:
                    if entries.get(key) is found:
                        del entries[key]
                found.set_exception(exc)
                raise
            with self._lock:
                self._trim(entries, key)
        return found.result()

    def _trim(self, entries: OrderedDict[Key, Future[Rows]], keep: Key) -> None:
        """Drop the least recently used built answers while the rows kept exceed ``max_rows``
        (a whole worklist of a large ledger is many rows; ``keep`` stays)."""
        built = {k: len(f.result()) for k, f in entries.items() if f.done() and not f.exception()}
        total = sum(built.values())
        for k in list(entries):
            if total <= self.max_rows:
                break
            if k != keep and k in built:
                del entries[k]
                total -= built[k]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
