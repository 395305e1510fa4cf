"""From converted tables to a validated ledger folder with its quarantine and report.

Shared by the file, SQL and FEC imports: the converted tables go through the normal
``validate_tables``; the kept ledger is written with ``write_ledger``; rows rejected by the
conversion go to ``import_quarantine/conversion/<table>.csv``, rows rejected by the validation
to ``import_quarantine/<table>.csv`` (``write_quarantine``). ``risk validate`` uses another
folder (``quarantine/``), so validating the imported ledger never erases the import's quarantine.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from risk.imports.apply import MappedTable
from risk.imports.report import ImportReport, TableCounts, Unmatched, write_report
from risk.io import LedgerFormat, write_ledger, write_quarantine
from risk.validation import ValidationResult, validate_tables

IMPORT_QUARANTINE_DIRNAME = "import_quarantine"


@dataclass(frozen=True)
class ImportResult:
    """The validated ledger, the converted tables and the report of one import."""

    validation: ValidationResult
    mapped: dict[str, MappedTable]
    report: ImportReport


def customers_from_invoices(invoices: MappedTable) -> MappedTable:
    """Customers known only by their id, when the source has no customer table."""
    ids = invoices.converted["customer_id"].dropna().drop_duplicates().sort_values()
    frame = pd.DataFrame({"customer_id": ids.to_numpy()}).astype("str")
    empty = pd.DataFrame(columns=["source_file", "row", "reasons"])
    return MappedTable("customers", frame, empty, read=len(frame))


def build_ledger(
    mapped: dict[str, MappedTable],
    source: str,
    kind: str,
    rebuilt: dict[str, int] | None = None,
    unmatched: tuple[Unmatched, ...] = (),
    notes: tuple[str, ...] = (),
    derived: dict[str, pd.DataFrame] | None = None,
) -> ImportResult:
    """Validate the converted tables and report every count.

    When there is no customer table, customers are derived from the invoices' customer ids.
    ``derived`` tables (disputes made from a flag) are validated with the others and counted
    apart from the source rows.

    Raises:
        SchemaError: the invoices table is missing, or a required column is missing.
    """
    if "customers" not in mapped and "invoices" in mapped:
        mapped = {"customers": customers_from_invoices(mapped["invoices"]), **mapped}
        notes = (*notes, "no customer table: customers derived from the invoices' customer ids")
    validation = validate_tables(
        {**{name: table.converted for name, table in mapped.items()}, **(derived or {})}
    )
    counts = tuple(_counts(name, table, validation) for name, table in mapped.items())
    extra = tuple(
        TableCounts(name, r.read, r.read, 0, r.kept, r.quarantined)
        for name, r in validation.reports.items()
        if name not in mapped
    )
    report = ImportReport(
        source=source,
        kind=kind,
        counts=counts + extra,
        rebuilt=rebuilt or {},
        unmatched=unmatched,
        notes=notes,
    )
    return ImportResult(validation=validation, mapped=mapped, report=report)


def _counts(name: str, table: MappedTable, validation: ValidationResult) -> TableCounts:
    checked = validation.reports.get(name)
    return TableCounts(
        table=name,
        read=table.read,
        converted=table.n_converted,
        conversion_quarantined=table.n_quarantined,
        kept=checked.kept if checked else 0,
        quarantined=checked.quarantined if checked else 0,
        moved_to_credit_notes=checked.moved_to_credit_notes if checked else 0,
        merged=table.merged,
    )


def quarantined_share(result: ImportResult) -> float:
    """Share of the source rows quarantined (conversion + validation), over the tables read.

    Tables the import derived (credit notes moved from negative invoices) do not count twice.
    """
    counts = [c for c in result.report.counts if c.table in result.mapped]
    read = sum(c.read for c in counts)
    rejected = sum(c.conversion_quarantined + c.quarantined for c in counts)
    return rejected / read if read else 0.0


def top_reasons(result: ImportResult, n: int = 5) -> list[tuple[str, int]]:
    """The ``n`` most frequent quarantine reasons, by table and column, with their row counts.

    A reason is reduced to its rule (the quoted value is dropped) so that 2,000 dates written
    ``03/25/2024``, ``04/13/2024``... count as one reason.
    """
    found: list[str] = []
    for name, table in result.mapped.items():
        for reasons in table.quarantine.get("reasons", pd.Series(dtype="str")):
            found += [f"{name}.{_rule_of(part)}" for part in str(reasons).split("; ") if part]
    issues = result.validation.issues
    if not issues.empty and {"table", "column", "rule"} <= set(issues.columns):
        found += [f"{t}.{c}: {r}" for t, c, r in issues[["table", "column", "rule"]].to_numpy()]
    return Counter(found).most_common(n)


def _rule_of(reason: str) -> str:
    """``"issued_on: '31/02/2024' is not a date ..."`` -> ``"issued_on: is not a date ..."``."""
    return re.sub(r"^([^:]+): (?:'[^']*'|\S+) ", r"\1: ", reason)


def write_import(
    result: ImportResult, out: Path, fmt: LedgerFormat = "csv", ledger: bool = True
) -> dict[str, Path]:
    """Write the ledger, both quarantines and the report into ``out``; return what was written.

    With ``ledger=False`` (an import refused for quarantining too many rows) only the
    quarantines and the report are written, so that no partial ledger is left to be used.
    """
    out.mkdir(parents=True, exist_ok=True)
    written = write_ledger(result.validation.ledger, out, fmt) if ledger else {}
    quarantine_dir = out / IMPORT_QUARANTINE_DIRNAME
    for name, path in write_quarantine(result.validation, quarantine_dir).items():
        written[f"quarantine/{name}"] = path
    conversion_dir = quarantine_dir / "conversion"
    for name, table in result.mapped.items():
        path = conversion_dir / f"{name}.csv"
        if table.quarantine.empty:
            path.unlink(missing_ok=True)
            continue
        conversion_dir.mkdir(parents=True, exist_ok=True)
        table.quarantine.to_csv(path, index=False, lineterminator="\n")
        written[f"conversion_quarantine/{name}"] = path
    json_path, md_path = write_report(result.report, out)
    written["report_json"], written["report_md"] = json_path, md_path
    return written
