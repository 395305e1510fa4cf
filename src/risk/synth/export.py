"""Writing the truth tables next to a generated ledger."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import pandas as pd

logger = logging.getLogger(__name__)

#: Truth probabilities need more precision than the ledger's cents.
TRUTH_FLOAT_FORMAT: str = "%.6f"


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose booleans read ``true``/``false`` and dates ``YYYY-MM-DD``."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_bool_dtype(column):
            out[name] = column.map({True: "true", False: "false"})
        elif pd.api.types.is_datetime64_any_dtype(column):
            out[name] = column.dt.strftime("%Y-%m-%d")
    return out


def write_truth(
    truth: dict[str, pd.DataFrame], directory: Path, fmt: Literal["csv", "parquet"] = "csv"
) -> dict[str, Path]:
    """Write each truth table as ``<directory>/<name>.csv`` (or ``.parquet``).

    CSV output is deterministic: ISO dates, 6-decimal floats, ``true``/``false`` booleans,
    empty cells for missing values, ``\\n`` line endings.

    Args:
        truth: the truth frames by name (``invoice_truth``, ``customer_truth``).
        directory: target folder, created if missing.
        fmt: ``csv`` or ``parquet``.

    Returns:
        The written paths by table name.

    Raises:
        ValueError: unknown format.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"truth format must be 'csv' or 'parquet', got {fmt!r}")
    directory.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, frame in truth.items():
        path = directory / f"{name}.{fmt}"
        if fmt == "csv":
            _csv_ready(frame).to_csv(
                path, index=False, float_format=TRUTH_FLOAT_FORMAT, lineterminator="\n"
            )
        else:
            frame.to_parquet(path, index=False)
        paths[name] = path
        logger.info("wrote %s (%d rows) to %s", name, len(frame), path)
    return paths
