"""The date a view is taken at when the user gives none.

A ledger rebuilt from a FEC describes one fiscal year: its default view is the balance at the
closing date of that year (Deliver 8 of issue 13), which ``risk import fec`` stores in the
folder's ``import_report.json``. With the one clock of ``risk.portfolio`` (a fact dated ``d`` is
known at ``as_of`` when ``d < as_of``), the balance at the end of the closing day is the view
dated the day after, so that entries of the closing day itself count and the overview
reconciles with the balance of the 411 accounts. Any other ledger is viewed at its cut-off (the
last event date).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from risk.ledger import Ledger

IMPORT_REPORT = "import_report.json"


@dataclass(frozen=True)
class ViewDate:
    """The date of a view and, when it is not the one the user gave, why it was chosen."""

    as_of: pd.Timestamp
    note: str | None = None


def stored_closing_date(directory: Path) -> pd.Timestamp | None:
    """The fiscal-year closing date stored by ``risk import fec`` in ``directory``, if any."""
    path = directory / IMPORT_REPORT
    if not path.is_file():
        return None
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    closing = report.get("closing_date") if isinstance(report, dict) else None
    if report.get("kind") != "fec" or not closing:
        return None
    return pd.Timestamp(closing)


def view_date(directory: Path, ledger: Ledger, as_of: object | None = None) -> ViewDate:
    """The date to view ``ledger`` (read from ``directory``) at.

    Args:
        directory: the ledger folder (where an import left its report).
        ledger: the loaded ledger.
        as_of: the date the user gave, if any: it always wins.

    Returns:
        The user's date; else, for a FEC ledger, the end of its closing day (with a note);
        else the ledger's cut-off.
    """
    if as_of is not None:
        return ViewDate(pd.Timestamp(as_of))
    closing = stored_closing_date(directory)
    if closing is None:
        return ViewDate(ledger.cutoff)
    return ViewDate(
        closing + pd.Timedelta(days=1),
        f"FEC ledger: viewed at the closing date of its fiscal year, {closing.date()} "
        f"(entries dated up to {closing.date()} included; as-of "
        f"{(closing + pd.Timedelta(days=1)).date()}). Pass --as-of for another date.",
    )
