"""Batch outputs: Parquet and CSV files written atomically, SQL tables in one transaction.

Files appear whole or not at all: each is written to a temporary file in the target folder and
renamed over the final name. SQL tables are replaced for the run's as-of date in a single
transaction, so readers see either the previous rows or the new ones.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from risk.errors import RiskError

logger = logging.getLogger(__name__)

OUTPUT_TABLES: tuple[str, ...] = ("customer_scores", "invoice_scores", "worklist")


class OutputError(RiskError):
    """An output file or table could not be written."""


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        tmp.chmod(0o644)
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


def write_sql(frames: dict[str, pd.DataFrame], url: str, as_of: pd.Timestamp) -> dict[str, int]:
    """Replace the rows of ``as_of`` in each output table, all tables in one transaction.

    Tables are created on first use from the frames' columns.

    Args:
        frames: output name -> rows (each stamped with ``as_of`` and ``model_versions``).
        url: SQLAlchemy URL, e.g. ``sqlite:///scores.db`` or ``postgresql+psycopg://...``.
        as_of: the run's as-of date.

    Returns:
        Rows inserted per table.

    Raises:
        OutputError: the database refused the writes (nothing was changed).
    """
    engine = sa.create_engine(url)
    inserted: dict[str, int] = {}
    try:
        with engine.begin() as connection:
            existing = set(sa.inspect(connection).get_table_names())
            for name, frame in frames.items():
                clean = publishable(frame)
                if name in existing:
                    table = sa.Table(name, sa.MetaData(), autoload_with=connection)
                    connection.execute(
                        table.delete().where(table.c.as_of == pd.Timestamp(as_of).to_pydatetime())
                    )
                clean.to_sql(name, connection, if_exists="append", index=False, chunksize=10_000)
                inserted[name] = len(clean)
    except sa.exc.SQLAlchemyError as exc:
        raise OutputError(f"writing the scores to {engine.url!r} failed: {exc}") from exc
    finally:
        engine.dispose()
    logger.info("SQL tables written in one transaction: %s", inserted)
    return inserted
