"""The wiring: feature frames for training and scoring, all from the same as-of functions.

Every frame is made of rows "(customer, as-of date)" (plus the invoice on invoice rows), and
every value comes from ``customer_features_as_of`` / ``invoice_features_as_of``: the invoice
training frame asks for each invoice as of its issue date, the customer frame for each customer
as of each snapshot date and the scoring frames for every customer and open invoice as of the
scoring date. A fact is known at ``t`` when it is dated strictly before ``t``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from risk.features import (
    cold_start,
    customer,
    exposure,
    invoice,
    legal,
    payment,
    promises,
    recent_state,
    statuses,
)
from risk.features.config import FeatureConfig
from risk.features.context import LedgerTimeline, Queries, make_queries
from risk.features.registry import frame_specs, missing_features
from risk.features.timeline import event_keys, to_days
from risk.ledger import Ledger

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]
PARALLEL_MIN_QUERIES = 50_000  # below this, threads cost more than they save
Compute = Callable[[LedgerTimeline, Queries], dict[str, Any]]
#: two groups of families that share no lazily built index but ``invoices``, ``issues`` and
#: ``payments`` (built first), so they can run in two threads; then (stage, compute, indexes
#: no longer needed after it, released to save memory).
CUSTOMER_FAMILIES: tuple[tuple[tuple[str, Compute, tuple[str, ...]], ...], ...] = (
    (
        ("payment behaviour", payment.compute, ()),
        ("recent state", recent_state.compute, ()),
        ("cold start", cold_start.compute, ("settlements",)),
    ),
    (
        ("exposure", exposure.compute, ()),
        ("customer", customer.compute, ()),
        ("legal", legal.compute, ()),
        ("broken promises", promises.compute, ()),
        ("e-invoicing statuses", statuses.compute_customer, ()),
    ),
)
SHARED_INDEXES = ("invoices", "issues", "payments")
#: indexes of ``LedgerTimeline`` read by the customer families only, released before the
#: invoice family runs (peak memory)
CUSTOMER_ONLY_INDEXES = ("payments", "settlements", "dues", "reminders", "_referenced_invoices")


def _noop(stage: str) -> None:
    """Default progress callback."""


def _sorted(queries: Queries) -> tuple[Queries, np.ndarray, np.ndarray]:
    """Queries sorted by (customer, day), for cache-friendly lookups; the order and its
    inverse."""
    order = np.argsort(event_keys(queries.codes, queries.days), kind="stable")
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return Queries(queries.codes[order], queries.days[order]), order, inverse


def _unsort(values: object, inverse: np.ndarray) -> object:
    """Put values computed on sorted queries back in the query order."""
    if isinstance(values, pd.Categorical):
        return values.take(inverse)
    return np.take(np.asarray(values), inverse)


def _unsort_all(values: dict[str, object], inverse: np.ndarray) -> dict[str, object]:
    """``_unsort`` every column, one at a time (the sorted copy is freed as we go)."""
    return {name: _unsort(values.pop(name), inverse) for name in list(values)}


def _assemble(
    keys: pd.DataFrame, values: dict[str, object], level: str, timeline: LedgerTimeline
) -> pd.DataFrame:
    """Key columns + features in registry order; missing features listed in ``attrs``."""
    registered = [spec.name for spec in frame_specs(level, timeline.config)]
    names = [name for name in registered if name in values]
    names += [name for name in values if name not in registered]
    columns: dict[str, object] = {name: keys[name] for name in keys.columns}
    columns.update({name: values.pop(name) for name in names})
    frame = pd.DataFrame(columns, index=keys.index, copy=False)  # no copy, no consolidation
    missing = missing_features(timeline.ledger, level, timeline.config)
    frame.attrs["missing_features"] = missing
    if missing:
        logger.info("features left out (ledger lacks their columns): %s", ", ".join(missing))
    return frame


def _customer_values(
    timeline: LedgerTimeline,
    queries: Queries,
    progress: Progress,
    sorted_queries: tuple[Queries, np.ndarray, np.ndarray] | None = None,
) -> dict[str, object]:
    """Customer-level feature values of each query, in the query order (``sorted_queries``:
    ``_sorted(queries)`` when the caller has it already)."""
    ordered, _, inverse = sorted_queries or _sorted(queries)
    for name in SHARED_INDEXES:
        getattr(timeline, name)

    def run(group: tuple[tuple[str, Compute, tuple[str, ...]], ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for stage, compute, done_with in group:
            progress(stage)
            out.update(compute(timeline, ordered))
            timeline.release(*done_with)
        return out

    values: dict[str, object] = {}
    if timeline.config.n_threads > 1 and len(ordered) >= PARALLEL_MIN_QUERIES:
        with ThreadPoolExecutor(max_workers=2) as pool:  # numpy and pyarrow release the GIL
            for result in pool.map(run, CUSTOMER_FAMILIES):
                values.update(result)
    else:
        for group in CUSTOMER_FAMILIES:
            values.update(run(group))
    timeline.release("payments")
    return _unsort_all(values, inverse)


def customer_features_as_of(
    ledger: Ledger,
    queries: pd.DataFrame,
    config: FeatureConfig | None = None,
    progress: Progress = _noop,
) -> pd.DataFrame:
    """Customer features for (customer_id, as_of) pairs: the one as-of function.

    Args:
        ledger: the ledger (not modified).
        queries: columns ``customer_id`` and ``as_of`` (datetime), any order, any number.
        config: feature parameters (defaults when None).
        progress: called with the name of each stage.

    Returns:
        ``customer_id, as_of`` and the customer-level features, indexed like ``queries``;
        ``attrs["missing_features"]`` lists the features the ledger cannot give.
    """
    timeline = LedgerTimeline(ledger, config or FeatureConfig())
    keys = queries[["customer_id", "as_of"]].copy()
    q = make_queries(timeline, keys["customer_id"], keys["as_of"])
    return _assemble(keys, _customer_values(timeline, q, progress), "customer", timeline)


def invoice_features_as_of(
    ledger: Ledger,
    queries: pd.DataFrame,
    config: FeatureConfig | None = None,
    progress: Progress = _noop,
) -> pd.DataFrame:
    """Invoice and customer features for (invoice_id, as_of) pairs.

    Args:
        ledger: the ledger (not modified).
        queries: columns ``invoice_id`` and ``as_of``; the invoices must be in the ledger.
        config: feature parameters (defaults when None).
        progress: called with the name of each stage.

    Returns:
        ``invoice_id, customer_id, issued_on, as_of`` and the features, indexed like
        ``queries``.

    Raises:
        KeyError: an invoice id is not in the ledger.
    """
    timeline = LedgerTimeline(ledger, config or FeatureConfig())
    progress("prepare")
    positions = timeline.invoice_positions(queries["invoice_id"])
    if (positions < 0).any():
        unknown = queries["invoice_id"][positions < 0].iloc[0]
        raise KeyError(f"invoice {unknown!r} is not in the ledger's invoices table")
    as_of = pd.Series(pd.to_datetime(queries["as_of"]).to_numpy(), index=queries.index)
    return _invoice_frame(timeline, positions, as_of, progress)


def _invoice_frame(
    timeline: LedgerTimeline, positions: np.ndarray, as_of: pd.Series, progress: Progress
) -> pd.DataFrame:
    """Invoice rows at ``positions`` (in ``timeline.invoices``) as of the dates ``as_of``."""
    rows = timeline.invoices["row"].to_numpy()[positions]
    source = timeline.ledger.invoices
    keys = pd.DataFrame(
        {
            name: source[name].take(rows).set_axis(as_of.index)
            for name in ("invoice_id", "customer_id", "issued_on")
        }
    )
    keys["as_of"] = as_of
    codes = timeline.invoices["code"].to_numpy()[positions]
    q = Queries(codes=codes, days=to_days(keys["as_of"]))
    sorted_queries = _sorted(q)
    values = _customer_values(timeline, q, progress, sorted_queries)
    timeline.release(*CUSTOMER_ONLY_INDEXES)  # the invoice family reads invoices and issues
    progress("invoice")
    ordered, order, inverse = sorted_queries
    inv_values = invoice.compute(timeline, positions[order], ordered)
    del ordered, order, codes, q, sorted_queries
    timeline.release(*SHARED_INDEXES)  # not needed by the assembly
    values.update(_unsort_all(inv_values, inverse))
    return _assemble(keys, values, "invoice", timeline)


def default_cutoff(ledger: Ledger) -> pd.Timestamp:
    """The day after the last date in the ledger: every recorded fact is before it."""
    return ledger.date_range[1].normalize() + pd.Timedelta(days=1)


def build_invoice_frame(
    ledger: Ledger, config: FeatureConfig | None = None, progress: Progress = _noop
) -> pd.DataFrame:
    """One row per invoice, features as of its issue date (same-day facts are not known).

    Returns:
        ``invoice_id, customer_id, issued_on`` and the features, in the ledger's row order.
    """
    timeline = LedgerTimeline(ledger, config or FeatureConfig())
    progress("prepare")
    issued = ledger.invoices["issued_on"].reset_index(drop=True)
    frame = _invoice_frame(timeline, timeline.positions_of_rows, issued, progress)
    return frame.drop(columns="as_of")


def snapshot_dates(
    ledger: Ledger, config: FeatureConfig | None = None, end: pd.Timestamp | None = None
) -> pd.DatetimeIndex:
    """Snapshot dates every ``config.snapshot_freq`` from the first invoice to ``end``.

    ``end`` defaults to the last day whose label horizon is fully observed:
    ``default_cutoff(ledger) - horizon_days``.
    """
    config = config or FeatureConfig()
    if end is None:
        end = default_cutoff(ledger) - pd.Timedelta(days=config.horizon_days)
    first = ledger.invoices["issued_on"].min()
    if pd.isna(first):
        return pd.DatetimeIndex([])
    return pd.date_range(first.normalize(), end, freq=config.snapshot_freq)


def build_customer_frame(
    ledger: Ledger,
    snapshot_dates: pd.DatetimeIndex | list[pd.Timestamp],
    config: FeatureConfig | None = None,
    progress: Progress = _noop,
) -> pd.DataFrame:
    """One row per customer per snapshot date, features as of that date.

    A customer enters the frame at a date once its first invoice is at least
    ``config.min_history_days`` days older than the date (0: any invoice before the date).

    Returns:
        ``customer_id, as_of`` and the customer-level features.
    """
    config = config or FeatureConfig()
    dates = pd.DatetimeIndex(snapshot_dates)
    customers = ledger.customers["customer_id"]
    grid = pd.DataFrame(
        {
            "customer_id": np.repeat(customers.to_numpy(), len(dates)),
            "as_of": np.tile(dates.to_numpy(), len(customers)),
        }
    )
    first = ledger.invoices.groupby("customer_id")["issued_on"].min()
    first_issue = grid["customer_id"].map(first)
    active = first_issue + pd.Timedelta(days=config.min_history_days) < grid["as_of"]
    grid = grid[active.fillna(False).to_numpy(dtype=bool)].reset_index(drop=True)
    return customer_features_as_of(ledger, grid, config, progress)


def build_scoring_frames(
    ledger: Ledger, as_of: pd.Timestamp, config: FeatureConfig | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Features as of ``as_of`` for every customer and every invoice open at ``as_of``.

    An invoice is open at ``as_of`` when issued before it and not settled before it (every
    invoice issued before ``as_of`` when the ledger has no ``paid_on``).

    Returns:
        (customer features: ``customer_id, as_of`` + features;
        open-invoice features: ``invoice_id, customer_id, issued_on, as_of`` + features).
    """
    as_of = pd.Timestamp(as_of)
    customers = pd.DataFrame({"customer_id": ledger.customers["customer_id"], "as_of": as_of})
    customer_frame = customer_features_as_of(ledger, customers.reset_index(drop=True), config)
    invoices = ledger.invoices
    is_open = invoices["issued_on"] < as_of
    if "paid_on" in invoices.columns:
        is_open &= ~(invoices["paid_on"] < as_of)
    open_ids = invoices.loc[is_open.to_numpy(), "invoice_id"].reset_index(drop=True)
    queries = pd.DataFrame({"invoice_id": open_ids, "as_of": as_of})
    return customer_frame, invoice_features_as_of(ledger, queries, config)
