"""``risk worklist``: today's reminder worklist in the terminal, as CSV and as Excel."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from risk.cli.lazy import lazy_module
from risk.errors import LedgerError, RiskError
from risk.io import load_ledger

console = Console(width=None if sys.stdout.isatty() else 150)
SHOWN = 15


def worklist_table(worklist: pd.DataFrame, lang: str = "en", shown: int = SHOWN) -> Table:
    """The first rows of a worklist as a readable rich table."""
    as_of = worklist["as_of"].iloc[0].date() if len(worklist) else "-"
    table = Table(
        title=f"Reminder worklist as of {as_of} ({len(worklist)} invoices)", show_lines=False
    )
    for header, justify, wrap in (
        ("#", "right", False),
        ("invoice", "left", False),
        ("grade", "center", False),
        ("at risk", "right", False),
        ("days past due", "right", False),
        ("next action", "left", True),
        ("when", "left", False),
        ("why", "left", True),
    ):
        table.add_column(header, justify=justify, no_wrap=not wrap)  # type: ignore[arg-type]
    for row in worklist.head(shown).itertuples(index=False):
        when = row.action_date.date().isoformat() if pd.notna(row.action_date) else "-"
        reasons = getattr(row, f"customer_reasons_{lang}") or ""
        table.add_row(
            str(row.rank),
            row.invoice_id,
            row.grade,
            f"{row.expected_at_risk:,.0f}",
            str(row.days_past_due),
            getattr(row, f"action_{lang}"),
            when,
            reasons.split("; ")[0],
        )
    return table


def write_outputs(worklist: pd.DataFrame, csv: Path | None, xlsx: Path | None) -> list[Path]:
    """CSV (UTF-8) and Excel copies of the worklist."""
    written = []
    if csv:
        csv.parent.mkdir(parents=True, exist_ok=True)
        worklist.to_csv(csv, index=False, date_format="%Y-%m-%d")
        written.append(csv)
    if xlsx:
        xlsx.parent.mkdir(parents=True, exist_ok=True)
        sheet = worklist.copy()
        for name in sheet.select_dtypes("datetime").columns:
            sheet[name] = sheet[name].dt.date
        sheet.to_excel(xlsx, index=False, sheet_name="worklist")
        written.append(xlsx)
    return written


def worklist_command(
    ledger: Annotated[Path, typer.Option("--ledger", help="Ledger folder.")] = Path("data/sample"),
    as_of: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Date (default: the ledger's last date)."),
    ] = None,
    top: Annotated[int, typer.Option(help="How many invoices (0 = all open invoices).")] = 50,
    grade: Annotated[
        list[str] | None, typer.Option(help="Only these grades (repeat the option).")
    ] = None,
    sector: Annotated[
        list[str] | None, typer.Option(help="Only these NAF sections, e.g. F (repeat).")
    ] = None,
    min_amount: Annotated[
        float, typer.Option(help="Only invoices with at least this open amount.")
    ] = 0.0,
    lang: Annotated[str, typer.Option(help="Language of actions and reasons: en or fr.")] = "en",
    csv: Annotated[Path | None, typer.Option(help="Write the worklist as CSV here.")] = None,
    xlsx: Annotated[Path | None, typer.Option(help="Write the worklist as Excel here.")] = None,
    tracking_uri: Annotated[
        str | None, typer.Option(help="MLflow tracking URI (default: local store).")
    ] = None,
) -> None:
    """Open invoices ranked by expected amount at risk, with the next dunning action and why."""
    if lang not in ("en", "fr"):
        raise typer.BadParameter("--lang must be en or fr")
    try:
        loaded = load_ledger(ledger)
        registry, scoring = lazy_module("risk.registry"), lazy_module("risk.scoring")
        worklists = lazy_module("risk.decisions.worklist")
        scorer = scoring.Scorer.from_registry(registry.Store.resolve(tracking_uri))
        date = pd.Timestamp(as_of) if as_of else loaded.cutoff
        filters = worklists.WorklistFilters(
            top=top or None,
            grades=tuple(grade or ()),
            sectors=tuple(sector or ()),
            min_amount=min_amount,
        )
        worklist = worklists.build_worklist(scorer, loaded, date, filters)
    except (LedgerError, RiskError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(worklist_table(worklist, lang))
    notes = worklist["penalty_note"].replace("", pd.NA).dropna().unique() if len(worklist) else []
    for note in notes:
        console.print(f"[yellow]late-payment amounts not computed:[/yellow] {note}")
    for path in write_outputs(worklist, csv, xlsx):
        console.print(f"written: {path}")
