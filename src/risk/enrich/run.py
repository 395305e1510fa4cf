"""Entry points of ``risk enrich``: read the files, match, write the ledger, report."""

from __future__ import annotations

import logging
from pathlib import Path

from risk.enrich.bodacc import BodaccMatch, match_announcements, read_announcements
from risk.enrich.ledger_files import append_rows, read_table
from risk.errors import LedgerError

logger = logging.getLogger(__name__)


def enrich_bodacc(directory: Path, files: list[Path], dry_run: bool = False) -> BodaccMatch:
    """Add the collective proceedings of BODACC export ``files`` to the ledger's legal events.

    Announcements are matched to customers by SIREN; rows already in ``legal_events`` (same
    customer, kind and publication date, or the same announcement id) are not added twice.

    Raises:
        LedgerError: the ledger has no customers table, or a file cannot be read.
    """
    customers = read_table(directory, "customers")
    if customers is None:
        raise LedgerError(f"ledger folder {directory} has no customers table")
    if "siren" not in customers or customers["siren"].isna().all():
        raise LedgerError(
            f"table 'customers' of {directory}: column 'siren' is empty; BODACC announcements "
            "are matched by SIREN (9 digits)"
        )
    announcements = read_announcements(files)
    existing = read_table(directory, "legal_events")
    result = match_announcements(announcements, customers, existing)
    if not dry_run and not result.events.empty:
        path = append_rows(directory, "legal_events", result.events)
        logger.info("%d legal event(s) added to %s", len(result.events), path)
    return result
