"""Command-line options shared by several commands."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.console import Console

from risk.as_of import view_date
from risk.ledger import Ledger

if TYPE_CHECKING:
    from risk.decisions.credit import CreditPolicy


class EngineName(StrEnum):
    """Where the work runs: this process, or a Dask cluster."""

    pandas = "pandas"
    dask = "dask"


SchedulerOption = Annotated[
    str | None,
    typer.Option(help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: local)."),
]


PolicyOption = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        exists=True,
        dir_okay=False,
        help="Credit policy YAML (master scale, the default event's days and materiality "
        "thresholds, LGD, limits); default: the packaged src/risk/config/credit_policy.yaml.",
    ),
]


def policy_of(path: Path | None) -> CreditPolicy | None:
    """The credit policy at ``path`` (None: the packaged one, loaded by its user).

    Raises:
        ConfigError: the file breaks a rule (the message names the field).
    """
    from risk.decisions.credit import CreditPolicy

    return None if path is None else CreditPolicy.load(path)


def warn(warnings: list[str]) -> None:
    """Print each warning on stderr (e.g. ``Scorer.policy_warnings``: the decision policy's
    default event differs from the one the default model was trained with)."""
    console = Console(stderr=True)
    for text in warnings:
        console.print(f"[yellow]warning:[/yellow] {text}", highlight=False)


def view_date_of(ledger_dir: Path, ledger: Ledger, as_of: datetime | None) -> pd.Timestamp:
    """The view date of a command: ``--as-of``, else a FEC's closing date (said on stderr),
    else the ledger's cut-off (``risk.as_of.view_date``)."""
    chosen = view_date(ledger_dir, ledger, as_of)
    if chosen.note:
        Console(stderr=True).print(chosen.note)
    return chosen.as_of
