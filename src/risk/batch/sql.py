"""Batch outputs in SQL tables: one transaction per run, serialised, one row per key and date.

Each run replaces the rows of its as-of date in ``customer_scores``, ``invoice_scores`` and
``worklist`` inside **one** transaction that first takes a lock:

* PostgreSQL: a transaction-level advisory lock (``pg_advisory_xact_lock``), so two runs at
  the same time serialise: the second waits, then replaces the first one's rows;
* SQLite: ``BEGIN IMMEDIATE`` (the write lock is taken when the transaction starts, not at
  its first write), so the second run waits up to :data:`SQLITE_BUSY_SECONDS` then fails.

Every table has a unique index on (``as_of``, entity id), so a double row is refused by the
database even from a writer that skips the lock. Rows carry the ``run_id`` that wrote them.
Tables are created on first use; columns that a newer version adds (new scores) are added
to an existing table.
"""

from __future__ import annotations

import logging
import os
import zlib
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from risk.batch.outputs import publishable
from risk.batch.publish import OutputError

logger = logging.getLogger(__name__)

#: The entity id of each output table, unique per as-of date.
KEYS: dict[str, str] = {
    "customer_scores": "customer_id",
    "invoice_scores": "invoice_id",
    "worklist": "invoice_id",
}
LOCK_KEY = zlib.crc32(b"risk.batch.scores")
SQLITE_BUSY_SECONDS = 120
POSTGRES_LOCK_TIMEOUT = "30min"


def redacted(url: str) -> str:
    """The URL without its password, for logs and summaries."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


def _engine(url: str) -> Engine:
    if sa.engine.make_url(url).get_backend_name() != "sqlite":
        return sa.create_engine(url)
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})

    @sa.event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.isolation_level = None  # type: ignore[attr-defined]

    @sa.event.listens_for(engine, "begin")
    def _begin_immediate(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def check_sql(url: str) -> None:
    """Fail before any work when the database cannot be reached or written.

    Raises:
        OutputError: naming the database (without password) and the reason.
    """
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        folder = Path(parsed.database).resolve().parent
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise OutputError(f"SQLite database folder {str(folder)!r} is not writable")
    engine = _engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("select 1"))
    except sa.exc.SQLAlchemyError as exc:
        raise OutputError(f"database {redacted(url)} cannot be written: {exc.orig or exc}") from exc
    finally:
        engine.dispose()


def _sql_type(values: pd.Series) -> sa.types.TypeEngine:
    kind = values.dtype
    if pd.api.types.is_bool_dtype(kind):
        return sa.Boolean()
    if pd.api.types.is_integer_dtype(kind):
        return sa.BigInteger()
    if pd.api.types.is_float_dtype(kind):
        return sa.Float(precision=53)
    if pd.api.types.is_datetime64_any_dtype(kind):
        return sa.DateTime()
    return sa.Text()


def _prepare_table(connection: Connection, name: str, frame: pd.DataFrame) -> sa.Table:
    """Create the table on first use, add missing columns, ensure the unique key."""
    quote = connection.dialect.identifier_preparer.quote
    if not sa.inspect(connection).has_table(name):
        frame.head(0).to_sql(name, connection, index=False)
    existing = {c["name"] for c in sa.inspect(connection).get_columns(name)}
    for column in (c for c in frame.columns if c not in existing):
        kind = _sql_type(frame[column]).compile(dialect=connection.dialect)
        connection.execute(sa.text(f"ALTER TABLE {quote(name)} ADD COLUMN {quote(column)} {kind}"))
        logger.info("added column %s to SQL table %s", column, name)
    key = KEYS[name]
    index = quote(f"ux_{name}_as_of_{key}")
    connection.execute(
        sa.text(f"CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {quote(name)} (as_of, {quote(key)})")
    )
    return sa.Table(name, sa.MetaData(), autoload_with=connection)


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(f"SET LOCAL lock_timeout = '{POSTGRES_LOCK_TIMEOUT}'"))
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def write_sql(
    frames: dict[str, pd.DataFrame], url: str, as_of: pd.Timestamp, run_id: str
) -> dict[str, int]:
    """Replace the rows of ``as_of`` in each output table, all tables in one transaction.

    Args:
        frames: output name -> rows (each stamped with ``as_of`` and ``model_versions``).
        url: SQLAlchemy URL, e.g. ``sqlite:///scores.db`` or ``postgresql+psycopg://...``.
        as_of: the run's as-of date.
        run_id: the run's id, stored on every row.

    Returns:
        Rows inserted per table.

    Raises:
        OutputError: the database refused the writes or the lock wait timed out (nothing
            was changed).
    """
    engine = _engine(url)
    inserted: dict[str, int] = {}
    day = pd.Timestamp(as_of).to_pydatetime()
    try:
        with engine.begin() as connection:
            _lock(connection)
            for name, frame in frames.items():
                rows = publishable(frame).assign(run_id=run_id)
                table = _prepare_table(connection, name, rows)
                connection.execute(table.delete().where(table.c.as_of == day))
                rows.to_sql(name, connection, if_exists="append", index=False, chunksize=10_000)
                inserted[name] = len(rows)
    except sa.exc.SQLAlchemyError as exc:
        detail = getattr(exc, "orig", None) or exc
        raise OutputError(
            f"writing the scores of {day:%Y-%m-%d} to {redacted(url)} failed, nothing was "
            f"changed: {detail}"
        ) from exc
    finally:
        engine.dispose()
    logger.info("SQL tables written in one transaction: %s", inserted)
    return inserted
