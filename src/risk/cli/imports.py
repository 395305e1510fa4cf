"""``risk import``: bring your own ledger from ERP exports, a SQL database or a FEC."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

from risk.errors import RiskError
from risk.imports.mapping import load_mapping
from risk.imports.pipeline import (
    IMPORT_QUARANTINE_DIRNAME,
    ImportResult,
    quarantined_share,
    top_reasons,
    write_import,
)
from risk.imports.report import report_tables
from risk.imports.suggest import suggest_mapping
from risk.imports.table import import_files
from risk.io import LedgerFormat

import_app = typer.Typer(
    help="Import a ledger: ERP exports with a column mapping, SQL databases, the French FEC.",
    no_args_is_help=True,
)
console = Console()

OutDir = Annotated[Path, typer.Option("--out", help="Ledger folder to write.")]
MappingOption = Annotated[
    Path | None, typer.Option("--mapping", "-m", help="YAML mapping: source columns -> ledger.")
]
FormatOption = Annotated[str, typer.Option("--format", help="Ledger file format: csv or parquet.")]
MaxQuarantined = Annotated[
    float,
    typer.Option(
        "--max-quarantined",
        min=0.0,
        max=1.0,
        help="Largest share of source rows that may be quarantined (0.01 = 1 %); above it the "
        "import exits 1 with the top reasons and writes no ledger.",
    ),
]


def _fail(exc: Exception) -> typer.Exit:
    console.print(f"[red]error:[/red] {exc}")
    return typer.Exit(2)


def _finish(result: ImportResult, out: Path, fmt: str, max_quarantined: float = 0.01) -> None:
    if fmt not in ("csv", "parquet"):
        raise _fail(ValueError(f"--format must be csv or parquet, not {fmt!r}"))
    fmt_checked: LedgerFormat = "csv" if fmt == "csv" else "parquet"
    share = quarantined_share(result)
    refused = share > max_quarantined
    written = write_import(result, out, fmt_checked, ledger=not refused)
    for table in report_tables(result.report):
        console.print(table)
    for note in result.report.notes:
        console.print(f"note: {note}")
    quarantined = sum(c.conversion_quarantined + c.quarantined for c in result.report.counts)
    if quarantined:
        console.print(
            f"{quarantined} row(s) quarantined with reasons in {out / IMPORT_QUARANTINE_DIRNAME}"
        )
    if refused:
        console.print(
            f"[red]error:[/red] {share:.1%} of the source rows were quarantined, above the "
            f"--max-quarantined limit of {max_quarantined:.1%}; no ledger written. Top reasons:"
        )
        for reason, count in top_reasons(result):
            console.print(f"  {count:>6} row(s)  {reason}", markup=False, highlight=False)
        console.print(
            "Fix the mapping (date_format, decimal, values) or the export, or raise "
            "--max-quarantined if these rows really are unusable."
        )
        raise typer.Exit(1)
    console.print(f"ledger written to {out} ({len(written)} files); next: risk validate {out}")


@import_app.command("table")
def table_command(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Export files (CSV, XLSX, Parquet).")
    ] = None,
    mapping: MappingOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="Ledger folder to write.")] = None,
    suggest: Annotated[
        Path | None, typer.Option("--suggest", help="Print a starting mapping for this file.")
    ] = None,
    fmt: FormatOption = "csv",
    max_quarantined: MaxQuarantined = 0.01,
) -> None:
    """Import ERP export files through a YAML mapping (or --suggest a mapping from a header)."""
    try:
        if suggest is not None:
            console.print(suggest_mapping(suggest), markup=False, highlight=False, soft_wrap=True)
            return
        if mapping is None or out is None:
            raise _fail(ValueError("give --mapping and --out (or --suggest FILE)"))
        result = import_files(load_mapping(mapping), list(files or []))
    except RiskError as exc:
        raise _fail(exc) from exc
    _finish(result, out, fmt, max_quarantined)


@import_app.command("sql")
def sql_command(
    url: Annotated[str, typer.Option("--url", help="SQLAlchemy URL of the database.")],
    mapping: Annotated[Path, typer.Option("--mapping", "-m", help="YAML mapping with sources.")],
    out: OutDir,
    fmt: FormatOption = "csv",
    max_quarantined: MaxQuarantined = 0.01,
) -> None:
    """Import tables or queries of a SQL database through a YAML mapping."""
    from risk.imports.sql import import_sql  # SQLAlchemy: imported only for this command

    try:
        result = import_sql(url, load_mapping(mapping))
    except RiskError as exc:
        raise _fail(exc) from exc
    _finish(result, out, fmt, max_quarantined)


@import_app.command("fec")
def fec_command(
    file: Annotated[Path, typer.Argument(help="FEC file (tab or pipe separated).")],
    out: OutDir,
    terms_days: Annotated[int, typer.Option(help="Default payment terms (due dates).")] = 30,
    sales_journals: Annotated[
        str, typer.Option(help="Comma-separated codes of the sales journals.")
    ] = "VE,VT",
    customer_prefix: Annotated[str, typer.Option(help="Customer account prefix.")] = "411",
    closing_date: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="Closing date of the fiscal year (default: from the file name "
            "<SIREN>FEC<AAAAMMJJ>, else the last entry date); the ledger's default view date.",
        ),
    ] = None,
    fmt: FormatOption = "csv",
    max_quarantined: MaxQuarantined = 0.01,
) -> None:
    """Rebuild customers, invoices, credit notes and payments from a FEC."""
    from risk.imports.fec_ledger import FecConfig, import_fec

    journals = tuple(code.strip() for code in sales_journals.split(",") if code.strip())
    config = FecConfig(
        terms_days=terms_days,
        sales_journals=journals,
        customer_prefix=customer_prefix,
        closing_date=pd.Timestamp(closing_date) if closing_date else None,
    )
    try:
        result = import_fec(file, config)
    except RiskError as exc:
        raise _fail(exc) from exc
    _finish(result, out, fmt, max_quarantined)
