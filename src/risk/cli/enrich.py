"""``risk enrich``: legal events, company attributes and e-invoicing statuses from French data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from risk.errors import RiskError

enrich_app = typer.Typer(
    help="Enrich the ledger from files you downloaded: BODACC, SIRENE, e-invoicing statuses.",
    no_args_is_help=True,
)
console = Console()

LedgerOption = Annotated[Path, typer.Option("--ledger", help="Ledger folder to enrich.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Report only; write nothing.")]
ReportOption = Annotated[
    Path | None, typer.Option("--report", help="Write the full report as CSV to this file.")
]


def _table(title: str, frame: pd.DataFrame, limit: int = 20) -> Table:
    table = Table(title=f"{title} ({len(frame)})", title_justify="left")
    for column in frame.columns:
        table.add_column(str(column))
    for row in frame.head(limit).itertuples(index=False):
        table.add_row(*("" if pd.isna(v) else str(v)[:80] for v in row))
    if len(frame) > limit:
        table.caption = f"first {limit} of {len(frame)}; --report FILE writes them all"
    return table


def _fail(exc: Exception) -> typer.Exit:
    console.print(f"[red]error:[/red] {exc}")
    return typer.Exit(2)


@enrich_app.command("bodacc")
def bodacc_command(
    files: Annotated[
        list[Path],
        typer.Argument(help="BODACC annonces-commerciales exports (.json, .jsonl, .csv)."),
    ],
    ledger: LedgerOption = Path("data/sample"),
    dry_run: DryRun = False,
    report: ReportOption = None,
) -> None:
    """Add collective proceedings published in the BODACC to legal_events, matched by SIREN."""
    from risk.enrich.run import enrich_bodacc

    try:
        result = enrich_bodacc(ledger, files, dry_run=dry_run)
    except RiskError as exc:
        raise _fail(exc) from exc
    shown = result.matched.assign(
        published_on=result.matched["published_on"].dt.date,
        judgment_on=result.matched["judgment_on"].dt.date,
    )[["announcement_id", "customer_id", "kind", "published_on", "judgment_on", "status"]]
    console.print(_table("Matched announcements", shown))
    console.print(_table("Ambiguous: look at these by hand", result.ambiguous))
    console.print(
        f"{len(result.unmatched)} announcement(s) not matched to a customer "
        f"({(result.unmatched['reason'] == 'no SIREN in the announcement').sum()} without SIREN)"
    )
    if report is not None:
        frames = [
            result.matched.assign(outcome="matched"),
            result.ambiguous.assign(outcome="ambiguous"),
            result.unmatched.assign(outcome="unmatched"),
        ]
        report.parent.mkdir(parents=True, exist_ok=True)
        pd.concat(frames, ignore_index=True).to_csv(report, index=False)
        console.print(f"report written to {report}")
    verb = "would be added (dry run)" if dry_run else f"added to {ledger}/legal_events"
    console.print(f"{len(result.events)} legal event(s) {verb}")


@enrich_app.command("sirene")
def sirene_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="SIRENE legal-units files (StockUniteLegale and/or StockUniteLegaleHistorique; "
            "CSV or Parquet)."
        ),
    ],
    ledger: LedgerOption = Path("data/sample"),
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the ledger's values by SIRENE's.")
    ] = False,
    dry_run: DryRun = False,
    report: ReportOption = None,
) -> None:
    """Fill or check NAF code, size, creation date and legal form; closures as legal events."""
    from risk.enrich.run import enrich_sirene

    try:
        result = enrich_sirene(ledger, files, overwrite=overwrite, dry_run=dry_run)
    except RiskError as exc:
        raise _fail(exc) from exc
    counts = result.report.groupby(["column", "action"]).size().reset_index(name="customers")
    console.print(_table("Customer attributes compared with SIRENE", counts, limit=50))
    conflicts = result.report[result.report["action"].str.startswith(("conflict", "overwritten"))]
    console.print(_table("Conflicts", conflicts))
    if not result.changes.empty:
        console.print(
            _table(
                "Changes inside the ledger's history (values at the cut-off used)", result.changes
            )
        )
    console.print(f"{len(result.not_found)} customer(s) with a SIREN not in the file")
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        result.report.to_csv(report, index=False)
        console.print(f"report written to {report}")
    verb = "would be added (dry run)" if dry_run else f"added to {ledger}/legal_events"
    console.print(f"{len(result.events)} legal event(s) {verb} (company closures)")


@enrich_app.command("statuses")
def statuses_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="E-invoicing lifecycle statuses: a platform's CSV export (.csv) and/or CDAR "
            "status messages (.xml)."
        ),
    ],
    ledger: LedgerOption = Path("data/sample"),
    dry_run: DryRun = False,
    report: ReportOption = None,
) -> None:
    """Add e-invoicing statuses (submitted, approved, disputed, payment transmitted, ...) to
    invoice_statuses, matched by invoice number."""
    from risk.enrich.run import enrich_statuses

    try:
        result = enrich_statuses(ledger, files, dry_run=dry_run)
    except RiskError as exc:
        raise _fail(exc) from exc
    counts = result.matched.groupby(["status", "added"]).size().reset_index(name="statuses")
    console.print(_table("Statuses of known invoices", counts, limit=50))
    console.print(_table("Not added", result.rejected))
    if report is not None:
        frames = [
            result.matched.assign(outcome="matched"),
            result.rejected.assign(outcome="rejected"),
        ]
        report.parent.mkdir(parents=True, exist_ok=True)
        pd.concat(frames, ignore_index=True).to_csv(report, index=False)
        console.print(f"report written to {report}")
    verb = "would be added (dry run)" if dry_run else f"added to {ledger}/invoice_statuses"
    console.print(f"{len(result.statuses)} status(es) {verb}")
