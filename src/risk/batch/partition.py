"""Split a ledger into per-customer-chunk sub-ledgers for batch scoring.

Customers are assigned to chunks by a stable hash of their *scoring unit*: the consolidated
group (``group_id``) when they belong to one, else the customer itself. Keeping a group in one
chunk matters because the credit policy caps the limits of a group's members together; every
other customer-level computation only reads the customer's own rows (the sector encoder is
learned and stored in the model), so a chunk scores exactly as the whole ledger would.

Each sub-ledger holds its customers and their invoices, credit notes, legal events, and the
payments and reminders of their invoices.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from risk.ledger import Ledger, subset_ledger
from risk.lookup import positions_in

logger = logging.getLogger(__name__)

#: Tables keyed directly by ``customer_id``, and tables reached through ``invoice_id``.
CUSTOMER_TABLES: tuple[str, ...] = ("customers", "invoices", "credit_notes", "legal_events")
CUSTOMER_TABLES += ("credit_limits",)
INVOICE_TABLES: tuple[str, ...] = ("payments", "reminders", "disputes", "invoice_statuses")


def scoring_units(customers: pd.DataFrame) -> pd.Series:
    """Unit of each customer: ``g:<group_id>`` for group members, else ``c:<customer_id>``.

    Args:
        customers: the ledger's customers table.

    Returns:
        A ``str`` series aligned with ``customers``.
    """
    ids = "c:" + customers["customer_id"].astype("str")
    if "group_id" not in customers:
        return ids
    group = customers["group_id"]
    return ("g:" + group.astype("str")).where(group.notna(), ids).astype("str")


def n_chunks_for(n_customers: int, chunk_customers: int) -> int:
    """How many chunks hold ``n_customers`` at about ``chunk_customers`` each (at least 1).

    Raises:
        ValueError: ``chunk_customers`` is not positive.
    """
    if chunk_customers < 1:
        raise ValueError(f"chunk_customers must be at least 1, got {chunk_customers}")
    return max(1, math.ceil(n_customers / chunk_customers))


def chunk_of_customers(customers: pd.DataFrame, n_chunks: int) -> pd.Series:
    """Chunk number of every customer (index ``customer_id``), stable across runs and machines.

    The hash is pandas' fixed-key SipHash of the unit name, so the assignment depends only on
    the unit and ``n_chunks``, never on row order or the process.
    """
    units = scoring_units(customers)
    hashes = pd.util.hash_pandas_object(units, index=False).to_numpy()
    chunks = (hashes % np.uint64(n_chunks)).astype("int64")
    return pd.Series(chunks, index=customers["customer_id"].astype("str").to_numpy(), name="chunk")


def chunk_of_rows(
    customers: pd.DataFrame, owners: dict[str, np.ndarray], chunk_rows: int
) -> pd.Series:
    """Chunk number of every customer, chunks cut at about ``chunk_rows`` ledger rows.

    A scoring unit (a customer, or a whole group) is never split: units are laid out in the
    order of their stable hash (as :func:`chunk_of_customers`) and a unit goes to the chunk
    where its first row falls, ``rows before it // chunk_rows``. So a chunk holds about
    ``chunk_rows`` rows (more when one unit alone is larger), whatever the customers' sizes,
    and the assignment depends only on the units and their row counts.

    Args:
        customers: the ledger's customers table.
        owners: :func:`row_owners` of the ledger (the customer of every row of every table).
        chunk_rows: target rows per chunk (every table's rows, the customer's own row too).

    Raises:
        ValueError: ``chunk_rows`` is not positive.
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
    n = len(customers)
    rows = np.ones(n, dtype=np.int64)  # the customer's own row
    for name, owner in owners.items():
        if name != "customers":
            rows += np.bincount(owner[owner >= 0], minlength=n)[:n]
    units = scoring_units(customers)
    unit_codes, unit_names = pd.factorize(units)
    unit_rows = np.bincount(unit_codes, weights=rows, minlength=len(unit_names)).astype(np.int64)
    hashes = pd.util.hash_pandas_object(pd.Series(unit_names), index=False).to_numpy()
    order = np.lexsort((np.asarray(unit_names, dtype=object).astype(str), hashes))
    before = np.cumsum(unit_rows[order]) - unit_rows[order]
    unit_chunk = np.empty(len(unit_names), dtype=np.int64)
    unit_chunk[order] = before // chunk_rows
    _, dense = np.unique(unit_chunk, return_inverse=True)  # numbered 0, 1, ... without gaps
    return pd.Series(
        dense[unit_codes].astype("int64"),
        index=customers["customer_id"].astype("str").to_numpy(),
        name="chunk",
    )


@dataclass(frozen=True)
class Chunk:
    """One chunk: its number, its customers and the sub-ledger holding their rows."""

    number: int
    customer_ids: tuple[str, ...]
    ledger: Ledger


def row_owners(ledger: Ledger) -> dict[str, np.ndarray]:
    """Position (in ``ledger.customers``) of the customer owning every row of every table.

    Rows of unknown customers or invoices get -1. Payments and reminders belong to the customer
    of their invoice. Computed once per run and shared by partitioning and content hashing.
    """
    customer_ids = ledger.customers["customer_id"]
    out: dict[str, np.ndarray] = {}
    for name in CUSTOMER_TABLES:
        frame = getattr(ledger, name)
        if frame is not None:
            out[name] = positions_in(frame["customer_id"], customer_ids)
    invoice_ids = ledger.invoices["invoice_id"]
    for name in INVOICE_TABLES:
        frame = getattr(ledger, name)
        if frame is not None:
            position = positions_in(frame["invoice_id"], invoice_ids)
            out[name] = np.where(position >= 0, out["invoices"][position], -1)
    return out


def _row_chunks(
    ledger: Ledger, chunk_of: pd.Series, owners: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Chunk number of every row of every table (-1 for rows of unknown customers)."""
    chunks = chunk_of.to_numpy(dtype="int64")
    return {
        name: np.where(owner >= 0, chunks[np.maximum(owner, 0)], -1)
        for name, owner in owners.items()
    }


def _positions(row_chunks: np.ndarray, n_chunks: int) -> list[np.ndarray]:
    """Row positions per chunk, each in the table's original order."""
    order = np.argsort(row_chunks, kind="stable")
    bounds = np.searchsorted(row_chunks[order], np.arange(n_chunks + 1))
    return [order[bounds[i] : bounds[i + 1]] for i in range(n_chunks)]


def iter_chunks(
    ledger: Ledger,
    n_chunks: int,
    only: set[int] | None = None,
    owners: dict[str, np.ndarray] | None = None,
    chunk_of: pd.Series | None = None,
) -> Iterator[Chunk]:
    """Yield the sub-ledger of each chunk, one at a time (memory: one chunk beyond the ledger).

    Args:
        ledger: the validated ledger.
        n_chunks: number of chunks (see :func:`n_chunks_for`).
        only: chunk numbers to yield (default: all).
        owners: :func:`row_owners` of ``ledger`` when already computed.
        chunk_of: chunk of every customer (default: :func:`chunk_of_customers`).

    Yields:
        :class:`Chunk` in increasing chunk number; empty chunks are skipped.
    """
    if chunk_of is None:
        chunk_of = chunk_of_customers(ledger.customers, n_chunks)
    rows = _row_chunks(ledger, chunk_of, owners if owners is not None else row_owners(ledger))
    positions = {name: _positions(values, n_chunks) for name, values in rows.items()}
    for number in range(n_chunks):
        if only is not None and number not in only:
            continue
        customer_rows = positions["customers"][number]
        if len(customer_rows) == 0:
            continue
        tables = {
            name: getattr(ledger, name).iloc[pos[number]].reset_index(drop=True)
            for name, pos in positions.items()
        }
        ids = tuple(tables["customers"]["customer_id"].astype("str"))
        yield Chunk(number, ids, Ledger(**tables))


def restrict_to_customers(ledger: Ledger, customer_ids: set[str]) -> Ledger:
    """The sub-ledger of some customers: their rows in every table (``risk.ledger.subset_ledger``).

    Args:
        ledger: the validated ledger.
        customer_ids: customers to keep.
    """
    return subset_ledger(ledger, sorted(customer_ids))


def plan_chunks(
    customers: pd.DataFrame, n_chunks: int, chunk_of: pd.Series | None = None
) -> dict[int, tuple[str, ...]]:
    """Customer ids of every non-empty chunk, sorted, by chunk number (``chunk_of``: the
    chunk of every customer, default :func:`chunk_of_customers`)."""
    if chunk_of is None:
        chunk_of = chunk_of_customers(customers, n_chunks)
    grouped = pd.Series(chunk_of.index, index=chunk_of.to_numpy()).groupby(level=0)
    return {int(cast(int, n)): tuple(sorted(ids)) for n, ids in grouped}
