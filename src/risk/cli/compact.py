"""``risk compact``: fold a ledger folder's stored event batches into its tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def compact_command(
    ledger_dir: Annotated[Path, typer.Argument(help="Ledger folder whose events/ to fold.")],
) -> None:
    """Fold a ledger folder's stored event batches (events/) into its tables."""
    from risk.store.compact import compact

    if not Path(ledger_dir).is_dir():
        typer.echo(f"no ledger folder {ledger_dir}", err=True)
        raise typer.Exit(2)
    folded = compact(Path(ledger_dir))
    typer.echo(f"{folded} event batches folded into the tables of {ledger_dir}")
