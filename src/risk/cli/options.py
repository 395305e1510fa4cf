"""Command-line options shared by several commands."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer


class EngineName(StrEnum):
    """Where the work runs: this process, or a Dask cluster."""

    pandas = "pandas"
    dask = "dask"


SchedulerOption = Annotated[
    str | None,
    typer.Option(help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: local)."),
]
