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


class UnmaturedRows(StrEnum):
    """What the export does with rows whose label had not matured at the cut-off."""

    drop = "drop"
    mark = "mark"


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
    unmatured: Annotated[
        UnmaturedRows,
        typer.Option(
            help="Rows whose label had not matured at the cut-off (an invoice paid on time "
            "before its due date + L, while the late ones issued with it are not known yet): "
            "drop them, as training does, or mark them (label_matured = false)."
        ),
    ] = UnmaturedRows.drop,
) -> None:
    """Build the point-in-time feature frame with its labels and write it to Parquet.

    Invoice level: one row per invoice, features as of its issue date. Customer level: one row
    per customer per monthly snapshot. Rows whose outcome is not known yet are left out, and so
    are rows whose label had not matured (unless --unmatured mark): the frame holds exactly the
    rows training may use, with label_matured_on, and reads back into the identical model
    (risk.model.frame_io.read_training_data). Categories are written as text.
    """
    from risk.features import FeatureConfig
    from risk.io import load_ledger
    from risk.model.dataset import training_data
    from risk.model.frame_io import MATURED, export_frame, write_frame

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
            data = training_data(loaded, level.value, config, progress=advance)  # type: ignore[arg-type]
            marked = export_frame(data, "mark")
            frame = export_frame(data, unmatured.value)  # type: ignore[arg-type]
            advance("write")
            write_frame(frame, path)
            advance("done")
    except RiskError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(profile_table(frame, LABEL_COLUMN[level]))
    immature = int((~marked[MATURED]).sum())
    if immature:
        done = "dropped" if unmatured is UnmaturedRows.drop else "kept, marked label_matured=false"
        console.print(
            f"{immature:,} rows whose label had not matured at the cut-off {done} "
            "(training leaves them out: they would bias the late rate down)"
        )
    missing = data.frame.attrs.get("missing_features", [])
    if missing:
        console.print(f"left out (ledger lacks their columns): {', '.join(missing)}")
    console.print(f"wrote {path} ({len(frame):,} rows, {frame.shape[1]} columns)")
