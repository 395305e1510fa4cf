"""The import report: what was read, converted, kept and quarantined, and what did not match.

Written next to the imported ledger as ``import_report.json`` and ``import_report.md`` and shown
by the CLI as rich tables.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.table import Table

REPORT_NAME = "import_report"


@dataclass(frozen=True)
class TableCounts:
    """Row counts of one ledger table through the import.

    ``read`` rows of the source are ``converted`` or ``conversion_quarantined``; converted rows
    are then ``kept``, ``quarantined`` by the ledger validation or ``moved_to_credit_notes``;
    ``merged`` rows were folded into the row of the same key (customers read from invoice rows).
    """

    table: str
    read: int
    converted: int
    conversion_quarantined: int
    kept: int
    quarantined: int
    moved_to_credit_notes: int = 0
    merged: int = 0

    @property
    def reconciles(self) -> bool:
        return self.read == self.converted + self.conversion_quarantined + self.merged and (
            self.converted == self.kept + self.quarantined + self.moved_to_credit_notes
        )


@dataclass(frozen=True)
class Unmatched:
    """A source entry that could not be placed in the ledger (or only partly), and why."""

    kind: str
    reason: str
    customer_id: str = ""
    reference: str = ""
    journal: str = ""
    on: str = ""
    amount: float = 0.0


@dataclass(frozen=True)
class ImportReport:
    """Everything an import did: counts per table, rebuilt figures, unmatched entries, notes."""

    source: str
    kind: str
    counts: tuple[TableCounts, ...]
    rebuilt: dict[str, int] = field(default_factory=dict)
    unmatched: tuple[Unmatched, ...] = ()
    notes: tuple[str, ...] = ()
    closing_date: str | None = None  # a FEC's fiscal-year closing (ISO), the default view date

    @property
    def reconciles(self) -> bool:
        return all(c.reconciles for c in self.counts)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        data = asdict(self)
        data["reconciles"] = self.reconciles
        for counts, row in zip(self.counts, data["counts"], strict=True):
            row["reconciles"] = counts.reconciles
        return data


def to_markdown(report: ImportReport) -> str:
    """The report as Markdown: counts, rebuilt figures, unmatched entries, notes."""
    lines = [f"# Import report ({report.kind})", "", f"Source: `{report.source}`", ""]
    lines += [
        "| table | read | merged | converted | conversion quarantine | kept | quarantined"
        " | moved to credit_notes | reconciles |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for c in report.counts:
        lines.append(
            f"| {c.table} | {c.read} | {c.merged} | {c.converted} | {c.conversion_quarantined}"
            f" | {c.kept} | {c.quarantined} | {c.moved_to_credit_notes}"
            f" | {'yes' if c.reconciles else 'NO'} |"
        )
    if report.rebuilt:
        lines += ["", "## Rebuilt", "", "| what | count |", "|---|---:|"]
        lines += [f"| {name} | {value} |" for name, value in report.rebuilt.items()]
    if report.unmatched:
        lines += [
            "",
            "## Not matched",
            "",
            "| kind | customer | reference | journal | date | amount | reason |",
            "|---|---|---|---|---|---:|---|",
        ]
        lines += [
            f"| {u.kind} | {u.customer_id} | {u.reference} | {u.journal} | {u.on}"
            f" | {u.amount:.2f} | {u.reason} |"
            for u in report.unmatched
        ]
    if report.notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in report.notes]
    return "\n".join(lines) + "\n"


def write_report(report: ImportReport, directory: Path) -> tuple[Path, Path]:
    """Write ``import_report.json`` and ``import_report.md`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / f"{REPORT_NAME}.json"
    md_path = directory / f"{REPORT_NAME}.md"
    json_path.write_text(
        json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    md_path.write_text(to_markdown(report), encoding="utf-8")
    return json_path, md_path


def report_tables(report: ImportReport, max_unmatched: int = 30) -> list[Table]:
    """Rich tables for the terminal: counts, rebuilt figures, the first unmatched entries."""
    counts = Table(title=f"Import ({report.kind}): read = converted + quarantined")
    headers = (
        "table",
        "read",
        "merged",
        "converted",
        "conv. quarantine",
        "kept",
        "quarantined",
        "moved",
        "ok",
    )
    for header in headers:
        counts.add_column(header, justify="left" if header == "table" else "right")
    for c in report.counts:
        counts.add_row(
            c.table,
            str(c.read),
            str(c.merged),
            str(c.converted),
            str(c.conversion_quarantined),
            str(c.kept),
            str(c.quarantined),
            str(c.moved_to_credit_notes),
            "yes" if c.reconciles else "[red]NO[/red]",
        )
    tables = [counts]
    if report.rebuilt:
        rebuilt = Table(title="Rebuilt")
        rebuilt.add_column("what")
        rebuilt.add_column("count", justify="right")
        for name, value in report.rebuilt.items():
            rebuilt.add_row(name, str(value))
        tables.append(rebuilt)
    if report.unmatched:
        shown = report.unmatched[:max_unmatched]
        title = f"Not matched ({len(report.unmatched)} in all, {len(shown)} shown)"
        table = Table(title=title)
        for header in ("kind", "customer", "reference", "journal", "date", "amount", "reason"):
            table.add_column(header, justify="right" if header == "amount" else "left")
        for u in shown:
            table.add_row(
                u.kind, u.customer_id, u.reference, u.journal, u.on, f"{u.amount:,.2f}", u.reason
            )
        tables.append(table)
    return tables
