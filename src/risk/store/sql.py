"""A ledger in a SQL database (SQLite file by default, PostgreSQL in production).

One table per ledger table, ``ledger_<name>``, every column text as a CSV file holds it (so
that the ledger contracts parse it exactly as a folder's), and ``ledger_meta`` with the version
counter and the time of the last change.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Column, MetaData, String, Table, Text, create_engine, delete, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from risk.contracts import TABLES
from risk.errors import LedgerError
from risk.ledger import Ledger
from risk.store.snapshot import as_text
from risk.validation import ValidationResult, validate_tables

logger = logging.getLogger(__name__)

PREFIX = "ledger_"


def _engine(url: str) -> tuple[Engine, str]:
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True), parsed.render_as_string(hide_password=True)


class SqlSource:
    """Ledger tables in a database; ``version`` is a counter bumped by every write."""

    def __init__(self, url: str, prefix: str = PREFIX) -> None:
        self.engine, shown = _engine(url)
        self.description = f"database {shown}"
        self.metadata = MetaData()
        self.tables = {
            name: Table(
                f"{prefix}{name}",
                self.metadata,
                Column("row_id", String(32), primary_key=True),
                *(Column(c, Text) for c in table.column_names),
            )
            for name, table in TABLES.items()
        }
        self.meta = Table(
            f"{prefix}meta",
            self.metadata,
            Column("key", String(32), primary_key=True),
            Column("value", Text),
        )
        try:
            self.metadata.create_all(self.engine)
        except SQLAlchemyError as exc:
            raise LedgerError(
                f"{self.description}: cannot create the ledger tables: {exc}"
            ) from exc

    def fingerprint(self) -> str:
        with self.engine.connect() as connection:
            value = connection.execute(
                select(self.meta.c.value).where(self.meta.c.key == "version")
            ).scalar()
        return f"sql-{value or 0}"

    def _raw(self, connection: object) -> dict[str, pd.DataFrame]:
        raw = {}
        for name, table in self.tables.items():
            frame = pd.read_sql_query(
                select(table).order_by(table.c.row_id), connection, dtype="str"
            )  # type: ignore[arg-type]
            if len(frame) or name in ("customers", "invoices"):
                raw[name] = frame.drop(columns="row_id").fillna("")
        return raw

    def validate(self) -> ValidationResult:
        """Every stored table checked with the ledger contracts (kept and quarantined rows).

        Raises:
            LedgerError: the database cannot be read or holds no customers.
        """
        try:
            with self.engine.connect() as connection:
                raw = self._raw(connection)
        except SQLAlchemyError as exc:
            raise LedgerError(f"{self.description}: cannot read the ledger: {exc}") from exc
        if raw["customers"].empty:
            raise LedgerError(
                f"{self.description}: table ledger_customers is empty (no ledger stored; "
                "load one with risk.store.SqlSource(url).import_ledger)"
            )
        return validate_tables(raw)

    def read(self) -> tuple[Ledger, str]:
        """Raises: LedgerError: the database cannot be read or holds no customers."""
        result = self.validate()
        if result.n_quarantined:
            logger.warning(
                "%d stored row(s) of %s break the contracts", result.n_quarantined, self.description
            )
        return result.ledger, self.fingerprint()

    def import_ledger(self, ledger: Ledger) -> str:
        """Replace the stored ledger by ``ledger`` (e.g. from a folder); return the version."""
        raw = {name: as_text(frame) for name, frame in ledger.tables().items()}
        return self._write(raw, replace=True, upserted={})

    def persist(
        self,
        raw: dict[str, pd.DataFrame],
        ledger: Ledger,
        upserted: dict[str, list[str]],
        rows: Mapping[str, pd.DataFrame] | None = None,
    ) -> str:
        """Insert the accepted rows as the ledger holds them (``rows``, as text; else as
        sent); a replaced customer or invoice keeps its row id, so the ledger read back has
        its rows, values and defaults where the events left them in memory."""
        if rows is not None:
            raw = {name: as_text(frame) for name, frame in rows.items() if len(frame)}
        return self._write(raw, replace=False, upserted=upserted)

    def _write(
        self, raw: dict[str, pd.DataFrame], replace: bool, upserted: dict[str, list[str]]
    ) -> str:
        with self.engine.begin() as connection:
            if replace:
                for table in self.tables.values():
                    connection.execute(delete(table))
            kept_ids: dict[str, dict[str, str]] = {}
            for name, keys in upserted.items():
                key = TABLES[name].key[0]
                table = self.tables[name]
                for start in range(0, len(keys), 500):
                    where = table.c[key].in_(keys[start : start + 500])
                    found = connection.execute(select(table.c[key], table.c.row_id).where(where))
                    kept_ids.setdefault(name, {}).update({k: r for k, r in found})
                    connection.execute(delete(table).where(where))
            stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
            for name, frame in raw.items():
                columns = [c for c in TABLES[name].column_names if c in frame.columns]
                rows = frame[columns].replace({"": None}).to_dict("records")
                known = kept_ids.get(name, {})
                key = TABLES[name].key[0] if TABLES[name].key else None
                for i, row in enumerate(rows):
                    row["row_id"] = (
                        known.get(row.get(key), f"{stamp}{i:08d}") if key else f"{stamp}{i:08d}"
                    )
                if rows:
                    connection.execute(self.tables[name].insert(), rows)
            current = connection.execute(
                select(self.meta.c.value).where(self.meta.c.key == "version")
            ).scalar()
            version = int(current or 0) + 1
            for key, value in (("version", str(version)), ("changed_at", stamp)):
                connection.execute(delete(self.meta).where(self.meta.c.key == key))
                connection.execute(self.meta.insert().values(key=key, value=value))
        return f"sql-{version}"

    def drop(self) -> None:
        """Remove the ledger tables (tests)."""
        self.metadata.drop_all(self.engine)
        self.engine.dispose()
