"""Batch output files: Parquet and CSV, each written to a temporary file and renamed.

The set of files of a run is published at once by :mod:`risk.batch.publish`; SQL tables are
written by :mod:`risk.batch.sql`.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from risk.batch.publish import FILE_MODE, OutputError

logger = logging.getLogger(__name__)

OUTPUT_TABLES: tuple[str, ...] = ("customer_scores", "invoice_scores", "worklist")
__all__ = ["OUTPUT_TABLES", "OutputError", "write_csv", "write_files", "write_parquet"]


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        tmp.chmod(FILE_MODE)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as Parquet, atomically."""
    return _atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as UTF-8 CSV (ISO dates, full float precision), atomically."""
    return _atomic(
        path,
        lambda tmp: frame.to_csv(tmp, index=False, date_format="%Y-%m-%d", lineterminator="\n"),
    )


def publishable(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop in-memory-only columns (lists of ``Reason`` objects) before writing."""
    return frame.drop(columns=[c for c in ("reasons",) if c in frame.columns])


def write_files(frames: dict[str, pd.DataFrame], dest: Path) -> list[Path]:
    """Write every output as ``DEST/<name>.parquet`` and ``DEST/<name>.csv``."""
    written: list[Path] = []
    for name, frame in frames.items():
        clean = publishable(frame)
        written.append(write_parquet(clean, dest / f"{name}.parquet"))
        written.append(write_csv(clean, dest / f"{name}.csv"))
    return written
