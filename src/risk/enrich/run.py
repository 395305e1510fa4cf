"""Entry points of ``risk enrich``: read the files, match, write the ledger, report."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from risk.enrich.bodacc import BodaccMatch, match_announcements, read_announcements
from risk.enrich.ledger_files import append_rows, read_table, replace_column_values
from risk.enrich.sirene import read_legal_units
from risk.enrich.sirene_compare import SireneResult, compare_with_ledger
from risk.enrich.statuses import StatusMatch, match_statuses, read_statuses
from risk.errors import LedgerError

logger = logging.getLogger(__name__)


def customers_with_siren(directory: Path, what: str) -> pd.DataFrame:
    """The ledger's customers, which must carry SIRENs (``what`` is matched by SIREN).

    Raises:
        LedgerError: the ledger has no customers table, or no customer has a SIREN.
    """
    customers = read_table(directory, "customers")
    if customers is None:
        raise LedgerError(f"ledger folder {directory} has no customers table")
    if "siren" not in customers or customers["siren"].isna().all():
        raise LedgerError(
            f"table 'customers' of {directory}: column 'siren' is empty; {what} are matched "
            "by SIREN (9 digits)"
        )
    return customers


def enrich_bodacc(directory: Path, files: list[Path], dry_run: bool = False) -> BodaccMatch:
    """Add the collective proceedings of BODACC export ``files`` to the ledger's legal events.

    Announcements are matched to customers by SIREN; rows already in ``legal_events`` (same
    customer, kind and publication date, or the same announcement id) are not added twice.

    Raises:
        LedgerError: the ledger has no customers table, or a file cannot be read.
    """
    customers = customers_with_siren(directory, "BODACC announcements")
    announcements = read_announcements(files)
    existing = read_table(directory, "legal_events")
    result = match_announcements(announcements, customers, existing)
    if not dry_run and not result.events.empty:
        path = append_rows(directory, "legal_events", result.events)
        logger.info("%d legal event(s) added to %s", len(result.events), path)
    return result


def enrich_sirene(
    directory: Path, paths: list[Path], overwrite: bool = False, dry_run: bool = False
) -> SireneResult:
    """Fill or check the customers' NAF code, size, creation date and legal form from SIRENE
    legal-units files (stock and/or history), and add closures as dated ``company_closed`` legal events.

    The ledger's own values are kept (conflicts reported) unless ``overwrite``.

    Raises:
        LedgerError: the ledger has no customers table or no SIREN, or the file is unusable.
    """
    customers = customers_with_siren(directory, "SIRENE legal units")
    sirens = set(customers["siren"].dropna().astype("str"))
    units = read_legal_units(paths, sirens)
    result = compare_with_ledger(customers, units, _history(directory), overwrite=overwrite)
    existing = read_table(directory, "legal_events")
    result = result.without_known_events(existing)
    if not dry_run:
        for column, values in result.updates.items():
            replace_column_values(directory, "customers", "customer_id", values)
            logger.info("customers.%s: %d value(s) written", column, len(values))
        if not result.events.empty:
            append_rows(directory, "legal_events", result.events)
    return result


def enrich_statuses(directory: Path, files: list[Path], dry_run: bool = False) -> StatusMatch:
    """Add the e-invoicing statuses of platform CSV exports and CDAR messages (``files``) to the
    ledger's ``invoice_statuses``, matched by invoice number, never twice.

    Raises:
        LedgerError: the ledger has no invoices table, or a file cannot be read.
    """
    invoices = read_table(directory, "invoices")
    if invoices is None:
        raise LedgerError(f"ledger folder {directory} has no invoices table")
    result = match_statuses(
        read_statuses(files), invoices, read_table(directory, "invoice_statuses")
    )
    if not dry_run and not result.statuses.empty:
        path = append_rows(directory, "invoice_statuses", result.statuses)
        logger.info("%d status(es) added to %s", len(result.statuses), path)
    return result


def _history(directory: Path) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last invoice date of the ledger (the customers table describes the last)."""
    invoices = read_table(directory, "invoices")
    if invoices is None or invoices.empty:
        today = pd.Timestamp.today().normalize()
        return today, today
    dates = pd.concat([invoices["issued_on"], invoices.get("paid_on", invoices["issued_on"])])
    return pd.Timestamp(dates.min()), pd.Timestamp(dates.max())
