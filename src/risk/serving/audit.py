"""The score audit log: one row per scoring call, through SQLAlchemy (SQLite or PostgreSQL).

Rows hold ids, hashes, model versions and results, never names or other personal data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from risk.errors import RiskError
from risk.serving.redact import redact

logger = logging.getLogger(__name__)

metadata = MetaData()

score_audit = Table(
    "score_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("key_name", String(128), nullable=False),
    Column("endpoint", String(64), nullable=False),
    Column("customer_ids", Text, nullable=False, doc="JSON list"),
    Column("invoice_ids", Text, nullable=False, doc="JSON list"),
    Column("model_versions", Text, nullable=False, doc="JSON {model name: version}"),
    Column("input_sha256", String(64), nullable=False),
    Column("probability", Text, nullable=False, doc="JSON list, one per scored entity"),
    Column("grade", Text, nullable=False, doc="JSON list (customers), empty for invoices"),
    Column("latency_ms", Float, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)


@dataclass(frozen=True)
class AuditRecord:
    """What one scoring call leaves behind."""

    request_id: str
    key_name: str
    endpoint: str
    input_sha256: str
    latency_ms: float
    model_versions: dict[str, str]
    customer_ids: Sequence[str] = ()
    invoice_ids: Sequence[str] = ()
    probability: Sequence[float] = ()
    grade: Sequence[str] = ()
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def row(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "key_name": self.key_name,
            "endpoint": self.endpoint,
            "customer_ids": json.dumps(list(self.customer_ids)),
            "invoice_ids": json.dumps(list(self.invoice_ids)),
            "model_versions": json.dumps(self.model_versions, sort_keys=True),
            "input_sha256": self.input_sha256,
            "probability": json.dumps([round(float(p), 6) for p in self.probability]),
            "grade": json.dumps(list(self.grade)),
            "latency_ms": round(self.latency_ms, 3),
            "created_at": self.created_at,
        }


def _sqlite_wal(connection: Any, _record: object) -> None:
    """Write-ahead log, synced at checkpoints: a row per call costs no fsync of its own (a crash
    of the process loses nothing; a power cut may lose the last rows)."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_PROBE = AuditRecord("probe", "", "probe", "", 0.0, {})


class AuditUnavailableError(RiskError):
    """The audit database cannot be written: no score may be served unaudited."""


class _Pending:
    """One row waiting for a group commit; ``error`` is set when its transaction failed.

    A thread waits on ``done``; a coroutine on ``future`` (resolved in its event loop)."""

    __slots__ = ("done", "error", "future", "loop", "row")

    def __init__(
        self,
        row: dict[str, Any],
        loop: asyncio.AbstractEventLoop | None = None,
        future: asyncio.Future[None] | None = None,
    ) -> None:
        self.row = row
        self.done = threading.Event() if future is None else None
        self.error: Exception | None = None
        self.loop = loop
        self.future = future

    def finish(self, error: Exception | None) -> None:
        self.error = error
        if self.done is not None:
            self.done.set()
        if self.loop is not None and self.future is not None:
            # a closed loop (RuntimeError): nobody waits any more
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(_resolve, self.future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _resolve_all(futures: list[asyncio.Future[None] | None]) -> None:
    for future in futures:
        if future is not None:
            _resolve(future)


class AuditLog:
    """Writes ``AuditRecord`` rows to the ``score_audit`` table (created when absent).

    An unreachable database never raises at start: ``error`` says why, ``check()`` retries (at
    most every ``retry_s`` seconds) and ``write`` raises ``AuditUnavailableError`` until it works.

    Rows are committed by one writer thread, in batches (group commit): every row queued while
    a transaction runs goes into the next one. ``write`` (a thread) and ``write_async`` (a
    coroutine, no thread of its own) still return only once their own row is committed, and
    raise ``AuditUnavailableError`` when that transaction failed: no answer is sent unaudited.
    At most ``max_queued`` rows wait; past that a write is refused (503) without waiting.
    """

    def __init__(
        self,
        url: str,
        retry_s: float = 2.0,
        connect_timeout_s: int = 3,
        max_queued: int = 4096,
    ) -> None:
        parsed = make_url(url)
        if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        args: dict[str, Any] = {}
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        if parsed.drivername.startswith("postgresql"):
            args["connect_timeout"] = connect_timeout_s
        self.where = parsed.render_as_string(hide_password=True)
        # a SQLite file has no connection to lose: no ping (a query) before every transaction
        self.engine: Engine = create_engine(
            parsed,
            pool_pre_ping=not parsed.drivername.startswith("sqlite"),
            connect_args=args,
        )
        if parsed.drivername.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_wal)
        self.error = ""
        self.retry_s = retry_s
        self._checked = 0.0
        self._lock = threading.Lock()
        self.max_queued = max_queued
        self._queue: list[_Pending] = []
        self._wake = threading.Condition(threading.Lock())
        self._writer: threading.Thread | None = None
        self._closing = False
        self._statement: tuple[str, Any, dict[str, Any]] | None = None
        self._create()
        if not self.error:
            logger.info("audit log at %s", self.where)

    def _fail(self, exc: Exception) -> str:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        self.error = redact(f"audit log {self.where} unavailable: {first}")
        logger.error("%s", self.error)
        return self.error

    def _create(self) -> None:
        self._checked = time.monotonic()
        try:
            metadata.create_all(self.engine)
            with self.engine.connect() as connection:  # a write, rolled back: can we audit?
                transaction = connection.begin()
                connection.execute(insert(score_audit).values(**_PROBE.row()))
                transaction.rollback()
        except SQLAlchemyError as exc:
            self._fail(exc)
        else:
            self.error = ""

    def check(self) -> str:
        """Why the audit log is unusable ("" when it works); retries a failed database."""
        with self._lock:
            if self.error and time.monotonic() - self._checked >= self.retry_s:
                self._create()
                if not self.error:
                    logger.info("audit log at %s is back", self.where)
            return self.error

    def write(self, record: AuditRecord) -> None:
        """Insert one row (committed with the rows other calls are writing at the same time).

        Raises:
            AuditUnavailableError: the database refused or cannot be reached (redacted reason),
                or too many rows are waiting.
        """
        pending = _Pending(record.row())
        self._submit(pending)
        pending.done.wait()  # type: ignore[union-attr]
        self._settle(pending)

    async def write_async(self, record: AuditRecord) -> None:
        """``write`` for a coroutine: waits for the commit without blocking its event loop.

        Raises:
            AuditUnavailableError: as ``write``.
        """
        loop = asyncio.get_running_loop()
        pending = _Pending(record.row(), loop, loop.create_future())
        self._submit(pending)
        await pending.future  # type: ignore[misc]
        self._settle(pending)

    def _submit(self, pending: _Pending) -> None:
        with self._wake:
            if len(self._queue) >= self.max_queued:
                raise AuditUnavailableError(
                    f"audit log {self.where} behind: {len(self._queue)} rows waiting"
                )
            self._queue.append(pending)
            if self._writer is None or not self._writer.is_alive():
                self._closing = False
                self._writer = threading.Thread(
                    target=self._run, name="risk-audit-writer", daemon=True
                )
                self._writer.start()
            self._wake.notify()

    def _settle(self, pending: _Pending) -> None:
        if pending.error is not None and not isinstance(pending.error, SQLAlchemyError):
            raise pending.error
        if pending.error is not None:
            with self._lock:
                message = self._fail(pending.error)
                self._checked = time.monotonic()
            raise AuditUnavailableError(message) from pending.error
        if self.error:
            with self._lock:
                self.error = ""

    def _run(self) -> None:
        """The writer thread: commit queued rows, one transaction per round."""
        while True:
            with self._wake:
                while not self._queue and not self._closing:
                    self._wake.wait()
                batch, self._queue = self._queue, []
                if not batch:  # closing, nothing left
                    return
            self._commit(batch)

    def _commit(self, batch: list[_Pending]) -> None:
        error: Exception | None = None
        try:
            with self.engine.begin() as connection:
                self._insert(connection, [p.row for p in batch])
        except Exception as exc:  # every waiter must wake up, whatever went wrong
            error = exc
        waiting: dict[asyncio.AbstractEventLoop, list[_Pending]] = {}
        for pending in batch:
            if pending.loop is None:
                pending.finish(error)
            else:
                pending.error = error
                waiting.setdefault(pending.loop, []).append(pending)
        for loop, pendings in waiting.items():  # one wake-up per event loop, not per row
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_resolve_all, [p.future for p in pendings])

    def _insert(self, connection: Any, rows: list[dict[str, Any]]) -> None:
        """``INSERT`` of the rows, compiled once for the database's dialect and run with the
        driver's ``executemany`` (the values converted by the columns' own bind processors,
        as SQLAlchemy's statement would)."""
        if self._statement is None:
            dialect = self.engine.dialect
            columns = [c for c in score_audit.columns if c.name != "id"]
            compiled = insert(score_audit).compile(
                dialect=dialect, column_keys=[c.name for c in columns]
            )
            processors = {
                c.name: c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns
            }
            self._statement = (str(compiled), compiled.positiontup, processors)
        sql, order, processors = self._statement
        converted = [
            {k: (f(v) if (f := processors.get(k)) is not None else v) for k, v in row.items()}
            for row in rows
        ]
        params: list[Any] = (
            [tuple(row[name] for name in order) for row in converted] if order else converted
        )
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            cursor.executemany(sql, params)
        except self.engine.dialect.loaded_dbapi.Error as exc:  # as SQLAlchemy would wrap it
            raise DBAPIError(sql, None, exc) from exc
        finally:
            cursor.close()

    def read(self, limit: int = 100) -> list[dict[str, Any]]:
        """Latest rows first, JSON columns decoded (for tests and inspection)."""
        query = select(score_audit).order_by(score_audit.c.id.desc()).limit(limit)
        with self.engine.connect() as connection:
            rows = [dict(row._mapping) for row in connection.execute(query)]
        for row in rows:
            for name in ("customer_ids", "invoice_ids", "model_versions", "probability", "grade"):
                row[name] = json.loads(row[name])
        return rows

    def close(self) -> None:
        """Commit the rows still queued, stop the writer thread, release the connections."""
        with self._wake:
            self._closing = True
            self._wake.notify()
            writer = self._writer
        if writer is not None:
            writer.join(timeout=10)
        self.engine.dispose()
