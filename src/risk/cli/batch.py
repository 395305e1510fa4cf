"""``risk score``: nightly rescoring of the whole portfolio into files and SQL tables."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from risk.cli.lazy import lazy_module
from risk.cli.options import EngineName, SchedulerOption
from risk.errors import LedgerError, RiskError

if TYPE_CHECKING:
    from risk.batch import BatchSummary

console = Console(width=None if sys.stdout.isatty() else 150)


class ExplainMode(StrEnum):
    """Which rows get reason codes."""

    none = "none"
    worklist = "worklist"
    all = "all"


def summary_tables(summary: BatchSummary) -> list[Table]:
    """The end-of-run summary: rows per table and seconds per stage."""
    rows = Table(title=f"Rows (as of {summary.as_of})")
    for header in ("table", "read", "kept", "quarantined", "moved to credit notes"):
        rows.add_column(header, justify="left" if header == "table" else "right")
    for name, counts in summary.rows.items():
        rows.add_row(name, *(f"{value:,}" for value in counts.values()))
    scored = Table(title="Scored")
    scored.add_column("what")
    scored.add_column("rows", justify="right")
    for name, value in {
        **summary.scored,
        **{f"chunks {k}": v for k, v in summary.chunks.items()},
    }.items():
        scored.add_row(name.replace("_", " "), f"{value:,}")
    stages = Table(title="Time per stage")
    stages.add_column("stage")
    stages.add_column("seconds", justify="right")
    for name, seconds in summary.seconds.items():
        stages.add_row(name.replace("_", " "), f"{seconds:.2f}")
    return [rows, scored, stages]


def score(
    ledger: Annotated[Path, typer.Option("--ledger", help="Ledger folder (CSV or Parquet).")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    as_of: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"], help="Date of the scores (default: ledger's last date)."
        ),
    ] = None,
    explain: Annotated[
        ExplainMode, typer.Option(help="Reason codes for: none, the worklist rows, all rows.")
    ] = ExplainMode.worklist,
    engine: Annotated[EngineName, typer.Option(help="pandas (one process) or dask.")] = (
        EngineName.pandas
    ),
    scheduler: SchedulerOption = None,
    chunk_customers: Annotated[int, typer.Option(min=1, help="Customers per chunk.")] = 5000,
    since_last_run: Annotated[
        bool,
        typer.Option(help="Rescore only customers whose ledger rows changed (same as-of date)."),
    ] = False,
    sql_url: Annotated[
        str | None, typer.Option(help="Also write the tables here (SQLAlchemy URL).")
    ] = None,
    tracking_uri: Annotated[
        str | None, typer.Option(help="MLflow tracking URI (default: local store).")
    ] = None,
    top: Annotated[int, typer.Option(help="Worklist size (0 = every open invoice).")] = 50,
) -> None:
    """Rescore every customer and open invoice; write scores, worklist and a summary.

    Outputs: OUT/customer_scores, OUT/invoice_scores and OUT/worklist (.parquet and .csv),
    OUT/summary.json and OUT/quarantine/. A killed run resumes from its completed chunks.
    Exit codes: 0 done, 1 counts do not reconcile, 2 error (ledger, models, engine, output).
    """
    batch = lazy_module("risk.batch")
    config = batch.BatchConfig(
        as_of=pd.Timestamp(as_of) if as_of else None,
        explain=explain.value,  # type: ignore[arg-type]
        engine=engine.value,  # type: ignore[arg-type]
        scheduler=scheduler,
        chunk_customers=chunk_customers,
        since_last_run=since_last_run,
        sql_url=sql_url,
        top=top or None,
    )
    columns = (TextColumn("scoring chunks"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        registry, scoring = lazy_module("risk.registry"), lazy_module("risk.scoring")
        scorer = scoring.Scorer.from_registry(registry.Store.resolve(tracking_uri))
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("chunks", total=None)

            def advance(completed: int, total: int) -> None:
                progress.update(task, completed=completed, total=total)

            summary = batch.run_batch(ledger, out, scorer, config, progress=advance)
    except (LedgerError, RiskError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    for table in summary_tables(summary):
        console.print(table)
    console.print(f"summary: {out / 'summary.json'}")
    if not summary.reconciles:
        console.print("[red]counts do not reconcile[/red]: " + json.dumps(summary.scored))
        raise typer.Exit(1)
    console.print("[green]rows in = scored + quarantined[/green]")


if __name__ == "__main__":  # ``python -m risk.cli.batch`` until ``risk score`` is registered
    typer.run(score)
