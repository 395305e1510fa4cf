"""``risk monitor``: population stability, back-test and grade migration of a registered model."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from risk.errors import LedgerError, RiskError

LedgerOption = Annotated[Path, typer.Option("--ledger", help="Ledger folder.")]
LevelOption = Annotated[str, typer.Option(help="Model level: invoice or customer.")]
TrackingOption = Annotated[
    str | None,
    typer.Option(
        help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else sqlite:///models/mlflow.db)."
    ),
]

console = Console()


def monitor_command(
    as_of: Annotated[
        datetime, typer.Option("--as-of", formats=["%Y-%m-%d"], help="Date monitored (YYYY-MM-DD).")
    ],
    ledger: LedgerOption = Path("data/sample"),
    level: LevelOption = "customer",
    version: Annotated[
        str | None, typer.Option(help="Model version (default: the champion).")
    ] = None,
    out: Annotated[
        Path, typer.Option(help="Report folder; its grades.csv is the previous run's grades.")
    ] = Path("reports/monitor"),
    tracking_uri: TrackingOption = None,
) -> None:
    """PSI of each feature and of the score against the training window, back-test by month
    and grade (Jeffreys), grade migration since the last run, alerts; report and MLflow run.

    Exits 1 when an alert is raised (PSI above 0.25, or an underestimated month and grade).

    Calendar inputs (issue and due month) are reported as seasonal, never alerted.
    """
    import pandas as pd

    from risk import registry
    from risk.io import load_ledger
    from risk.monitor.run import monitor

    if level not in ("invoice", "customer"):
        console.print(f"[red]error:[/red] --level must be invoice or customer, not {level!r}")
        raise typer.Exit(2)
    try:
        with console.status("monitoring"):
            result = monitor(
                load_ledger(ledger),
                level,  # type: ignore[arg-type]
                pd.Timestamp(as_of),
                registry.Store.resolve(tracking_uri),
                out,
                version=version,
            )
    except (LedgerError, RiskError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"score PSI {result.score_psi:.4f}")
    for row in result.psi.head(5).itertuples():
        console.print(f"  {row.variable}: PSI {row.psi:.4f} ({row.status})")
    for alert in result.alerts:
        console.print(f"[red]alert:[/red] {alert.message}")
    console.print(f"report: {result.report}")
    if result.alerts:
        raise typer.Exit(1)
