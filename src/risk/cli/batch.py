"""``risk score``: nightly rescoring of the whole portfolio into files and SQL tables."""

from __future__ import annotations

import json
import sys
import traceback
from dataclasses import replace
from datetime import datetime
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from risk.batch.publish import LATEST, OutputError, check_writable, latest_run
from risk.batch.quarantine import MAX_QUARANTINED_SHARE, QuarantineThresholdError
from risk.batch.sql import check_sql
from risk.batch.state import IncrementalRunError
from risk.cli.options import EngineName, PolicyOption, SchedulerOption, policy_of, warn
from risk.errors import ConfigError, LedgerError, RiskError, SchemaError

if TYPE_CHECKING:
    from risk.batch import BatchSummary

console = Console(width=None if sys.stdout.isatty() else 150)


class ExplainMode(StrEnum):
    """Which rows get reason codes."""

    none = "none"
    worklist = "worklist"
    all = "all"


class ExitCode(IntEnum):
    """Exit codes of ``risk score``, one per failure class (documented in docs/batch.md)."""

    ok = 0
    reconciliation = 1  # the run was published, but counts do not reconcile
    usage = 2  # wrong options (also click's own usage errors)
    unreadable_input = 3  # ledger folder or file missing or unreadable
    unusable_ledger = 4  # readable, but a table or column is missing, or too many bad rows
    io = 5  # output folder or database not writable, disk full, another run holds the folder
    models_or_engine = 6  # no champion models, or the Dask cluster failed
    internal = 70  # a bug: the traceback is printed


def exit_code_for(exc: BaseException) -> ExitCode:
    """The exit code of an exception raised by a run."""
    if isinstance(exc, IncrementalRunError | ConfigError):
        return ExitCode.usage
    if isinstance(exc, SchemaError | QuarantineThresholdError):
        return ExitCode.unusable_ledger
    if isinstance(exc, LedgerError):
        return ExitCode.unreadable_input
    if isinstance(exc, OutputError | OSError):
        return ExitCode.io
    if isinstance(exc, RiskError):
        return ExitCode.models_or_engine
    return ExitCode.internal


def _fail(exc: BaseException, out: Path) -> typer.Exit:
    code = exit_code_for(exc)
    if code is ExitCode.internal:
        traceback.print_exception(exc)
    console.print(f"[red]error:[/red] {exc}", highlight=False)
    if not isinstance(exc, OutputError):  # an OutputError already says what stays published
        previous = latest_run(out) if out.is_dir() else None
        kept = f"{previous.name} is still {out / LATEST}" if previous else "none was before"
        console.print(f"no run was published; {kept}", highlight=False)
    return typer.Exit(int(code))


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
    ledger: Annotated[
        str,
        typer.Option(
            "--ledger",
            help="Ledger folder (CSV or Parquet) or database URL (sqlite:///..., postgresql://...).",
        ),
    ],
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
    chunk_rows: Annotated[
        int | None,
        typer.Option(min=1, help="Cut chunks at about this many ledger rows instead."),
    ] = None,
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
    max_quarantined_share: Annotated[
        float,
        typer.Option(
            min=0.0, max=1.0, help="Stop when a table has a larger share of quarantined rows."
        ),
    ] = MAX_QUARANTINED_SHARE,
    keep_runs: Annotated[int, typer.Option(min=1, help="Published runs kept in OUT/runs.")] = 7,
    policy: PolicyOption = None,
) -> None:
    """Rescore every customer and open invoice; write scores, worklist and a summary.

    Each run writes OUT/runs/<as-of>-<run id>/ (customer_scores, invoice_scores, worklist as
    .parquet and .csv, quarantine/, summary.json last) and publishes it as OUT/latest in one
    atomic step; a failed run publishes nothing. A killed run resumes from its chunks.

    Exit codes: 0 done; 1 published but counts do not reconcile; 2 usage; 3 ledger unreadable;
    4 ledger unusable (missing table or column, too many quarantined rows); 5 output or
    database not writable (disk full, folder busy); 6 models or Dask engine; 70 internal error.
    """
    from risk import registry
    from risk.batch import BatchConfig, run_batch
    from risk.scoring import Scorer

    config = BatchConfig(
        as_of=pd.Timestamp(as_of) if as_of else None,
        explain=explain.value,  # type: ignore[arg-type]
        engine=engine.value,  # type: ignore[arg-type]
        scheduler=scheduler,
        chunk_customers=chunk_customers,
        chunk_rows=chunk_rows,
        since_last_run=since_last_run,
        sql_url=sql_url,
        top=top or None,
        max_quarantined_share=max_quarantined_share,
        keep_runs=keep_runs,
    )
    columns = (TextColumn("scoring chunks"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        chosen = policy_of(policy)  # a bad policy file is a usage error, before anything runs
        check_writable(out)  # before loading models or reading the ledger
        if sql_url:
            check_sql(sql_url)
        store = registry.Store.resolve(tracking_uri)
        scorer = Scorer.from_registry(store, policy=chosen)
        warn(scorer.policy_warnings())
        # the run's monitoring goes to the store the models came from, by its explicit URI
        config = replace(config, tracking_uri=store.tracking_uri)
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("chunks", total=None)

            def advance(completed: int, total: int) -> None:
                progress.update(task, completed=completed, total=total)

            summary = run_batch(ledger, out, scorer, config, progress=advance)
    except (RiskError, OSError) as exc:
        raise _fail(exc, out) from None
    except Exception as exc:  # a bug: show the traceback, keep exit 1 for reconciliation
        raise _fail(exc, out) from None
    for table in summary_tables(summary):
        console.print(table)
    console.print(f"published: {out / LATEST} -> runs/{latest_run(out).name}", highlight=False)  # type: ignore[union-attr]
    if not summary.reconciles:
        console.print("[red]counts do not reconcile[/red]: " + json.dumps(summary.scored))
        raise typer.Exit(int(ExitCode.reconciliation))
    console.print("[green]rows in = scored + quarantined[/green]")


if __name__ == "__main__":  # ``python -m risk.cli.batch`` until ``risk score`` is registered
    typer.run(score)
