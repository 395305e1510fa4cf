"""Markdown rendering of report tables: one formatting rule for every cell."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

MISSING = "n/a"
SMALL = 1e-4


def format_cell(value: object) -> str:
    """One table cell: yes/no, integers with separators, floats with 4 decimals, n/a."""
    if value is None or (isinstance(value, float | np.floating) and math.isnan(value)):
        return MISSING
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        number = float(value)
        return f"{number:.2e}" if 0 < abs(number) < SMALL else f"{number:.4f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def percent(value: float) -> str:
    """A share as a percentage with one decimal ("38.2%"), n/a for NaN."""
    return MISSING if math.isnan(value) else f"{100 * value:.1f}%"


def markdown_table(frame: pd.DataFrame) -> list[str]:
    """Lines of a Markdown table of ``frame`` (columns as headers, the index is dropped)."""
    header = [format_cell(str(c)) for c in frame.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(format_cell(v) for v in row) + " |")
    return lines
