"""``risk features``: build the labelled feature frame of a ledger and write it to Parquet."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from risk.errors import RiskError


class FrameLevel(StrEnum):
    """Level of the training frame."""

    invoice = "invoice"
    customer = "customer"


STAGES: dict[FrameLevel, tuple[str, ...]] = {
    FrameLevel.invoice: (
        "load", "prepare", "payment behaviour", "exposure", "customer", "legal", "cold start",
        "invoice", "labels", "write",
    ),
    FrameLevel.customer: (
        "load", "payment behaviour", "exposure", "customer", "legal", "cold start", "labels",
        "write",
    ),
}  # fmt: skip
LABEL_COLUMN = {FrameLevel.invoice: "label_late", FrameLevel.customer: "label_event"}
KEY_COLUMNS = {"invoice_id", "customer_id", "issued_on", "as_of"}


def profile_table(frame: pd.DataFrame, label: str) -> Table:
    """Missing share per feature of a training frame, as a rich table."""
    table = Table(title=f"{len(frame):,} rows, label rate {frame[label].mean():.1%}")
    table.add_column("feature")
    table.add_column("dtype")
    table.add_column("missing", justify="right")
    for name in frame.columns:
        if name in KEY_COLUMNS or name.startswith("label_"):
            continue
        table.add_row(name, str(frame[name].dtype), f"{frame[name].isna().mean():.1%}")
    return table


def features(
    ledger: Annotated[Path, typer.Option(help="Ledger folder (CSV or Parquet).")] = Path(
        "data/sample"
    ),
    level: Annotated[FrameLevel, typer.Option(help="invoice or customer rows.")] = (
        FrameLevel.invoice
    ),
    out: Annotated[
        Path | None,
        typer.Option(help="Parquet file to write (default: data/features/LEVEL_training.parquet)."),
    ] = None,
    late_after_days: Annotated[
        int, typer.Option(min=0, help="L: late means paid more than L days after the due date.")
    ] = 30,
) -> None:
    """Build the point-in-time feature frame with its labels and write it to Parquet.

    Invoice level: one row per invoice, features as of its issue date. Customer level: one row
    per customer per monthly snapshot. Rows whose outcome is not known yet are left out.
    """
    from risk.features import FeatureConfig, customer_training_frame, invoice_training_frame
    from risk.io import load_ledger

    console = Console()
    path = out or Path("data/features") / f"{level.value}_training.parquet"
    config = FeatureConfig(late_after_days=late_after_days)
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("load", total=len(STAGES[level]))

            def advance(stage: str) -> None:
                bar.update(task, description=stage, advance=1)

            loaded = load_ledger(ledger)
            build = (
                invoice_training_frame if level is FrameLevel.invoice else customer_training_frame
            )
            frame = build(loaded, config, progress=advance)
            advance("write")
            path.parent.mkdir(parents=True, exist_ok=True)
            frame.to_parquet(path, index=False)
            advance("done")
    except RiskError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(profile_table(frame, LABEL_COLUMN[level]))
    missing = frame.attrs.get("missing_features", [])
    if missing:
        console.print(f"left out (ledger lacks their columns): {', '.join(missing)}")
    console.print(f"wrote {path} ({len(frame):,} rows, {frame.shape[1]} columns)")
