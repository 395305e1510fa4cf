"""The same mapping against tables or queries of a database, through a SQLAlchemy URL.

Each mapped table names its source: ``source: {table: "factures"}`` or
``source: {sql: "select ... from ..."}``. Values keep their database types.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from risk.errors import LedgerError
from risk.imports.apply import MappedTable, apply_mapping
from risk.imports.mapping import ImportMapping, MappingError, TableMapping
from risk.imports.pipeline import ImportResult, build_ledger


def safe_url(url: str) -> str:
    """The URL with its password hidden, for messages."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<invalid URL>"


def read_sql_source(connection: Connection, mapping: TableMapping) -> tuple[pd.DataFrame, str]:
    """Read the rows of one mapped table; return them with a description of the source.

    Raises:
        MappingError: the table mapping has no ``source`` (or both a table and a query).
    """
    if (mapping.sql_query is None) == (mapping.sql_table is None):
        raise MappingError(
            f"table {mapping.name!r}: a SQL import needs exactly one of source.table or source.sql"
        )
    if mapping.sql_table is not None:
        schema, _, name = mapping.sql_table.rpartition(".")
        table = sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=connection)
        return pd.read_sql_query(sa.select(table), connection), f"table {mapping.sql_table}"
    query = mapping.sql_query or ""
    return pd.read_sql_query(sa.text(query), connection), "query"


def map_sql(url: str, mapping: ImportMapping) -> dict[str, MappedTable]:
    """Read and convert every mapped table from the database at ``url``.

    Raises:
        LedgerError: the database cannot be reached or a table/query fails (URL shown without
            its password).
        MappingError: see ``read_sql_source`` and ``apply_mapping``.
    """
    mapped: dict[str, MappedTable] = {}
    try:
        engine = sa.create_engine(url)
        try:
            with engine.connect() as connection:
                for name, table in mapping.tables.items():
                    frame, described = read_sql_source(connection, table)
                    mapped[name] = apply_mapping(frame, table, described)
        finally:
            engine.dispose()
    except SQLAlchemyError as exc:
        reason = str(exc).splitlines()[0]
        raise LedgerError(f"database {safe_url(url)}: {reason}") from exc
    except ModuleNotFoundError as exc:
        raise LedgerError(f"database {safe_url(url)}: driver not installed ({exc})") from exc
    return mapped


def import_sql(url: str, mapping: ImportMapping) -> ImportResult:
    """Import the mapped tables of a database into a validated ledger with its report."""
    return build_ledger(map_sql(url, mapping), source=safe_url(url), kind="sql")
