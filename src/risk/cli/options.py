"""Command-line options shared by several commands."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

from risk.as_of import view_date
from risk.ledger import Ledger


class EngineName(StrEnum):
    """Where the work runs: this process, or a Dask cluster."""

    pandas = "pandas"
    dask = "dask"


SchedulerOption = Annotated[
    str | None,
    typer.Option(help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: local)."),
]


def view_date_of(ledger_dir: Path, ledger: Ledger, as_of: datetime | None) -> pd.Timestamp:
    """The view date of a command: ``--as-of``, else a FEC's closing date (said on stderr),
    else the ledger's cut-off (``risk.as_of.view_date``)."""
    chosen = view_date(ledger_dir, ledger, as_of)
    if chosen.note:
        Console(stderr=True).print(chosen.note)
    return chosen.as_of
