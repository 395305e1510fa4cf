"""``--since-last-run``: rescore the customers whose ledger rows changed, carry the others over.

The previous scores come from the published run (``DEST/latest``), checked against the hashes
of its ``summary.json`` first; its ``state/customer_hashes.parquet`` tells which customers
changed (:func:`risk.batch.state.changed_customers`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from risk.batch import partition, publish, state
from risk.batch.chunks import as_nanoseconds
from risk.ledger import Ledger

logger = logging.getLogger(__name__)


@dataclass
class Scope:
    """The ledger to rescore, and the previous rows carried over (incremental runs)."""

    ledger: Ledger
    carried_customers: pd.DataFrame | None = None
    carried_invoices: pd.DataFrame | None = None


def incremental_scope(
    ledger: Ledger, hashes: pd.DataFrame, dest: Path, settings: state.RunSettings, incremental: bool
) -> Scope:
    """The ledger to rescore, and the previous rows carried over on an incremental run."""
    if not incremental:
        return Scope(ledger)
    previous = state.load_last_run(dest)
    if previous is None:
        logger.warning("no previous run in %s: scoring every customer", dest)
        return Scope(ledger)
    if not state.check_incremental(previous[0], settings):
        return Scope(ledger)
    last = publish.latest_run(dest)
    if last is None or publish.verify(last):
        logger.warning("the published run in %s is missing or altered: scoring everyone", dest)
        return Scope(ledger)
    changed = state.changed_customers(hashes, previous[1])
    kept = set(hashes["customer_id"]) - changed
    old_customers = as_nanoseconds(pd.read_parquet(last / "customer_scores.parquet"))
    old_invoices = as_nanoseconds(pd.read_parquet(last / "invoice_scores.parquet"))
    logger.info("incremental run: %d customer(s) to rescore, %d carried", len(changed), len(kept))
    return Scope(
        partition.restrict_to_customers(ledger, changed),
        old_customers[old_customers["customer_id"].isin(kept)],
        old_invoices[old_invoices["customer_id"].isin(kept)],
    )
