"""Server-side sessions of the web pages: a random id in an HttpOnly cookie, the key's name and
role, a CSRF token, an idle and an absolute expiry. Signing out deletes the session.

Sessions are rows of the ``web_sessions`` table in the service's audit database (SQLite by
default, PostgreSQL in production; any SQLAlchemy URL), so a restart of the service or a second
worker keeps users signed in. The cookie holds only the random id; the table keys it by its
sha256, so a copy of the database signs nobody in. Times are wall-clock seconds (they must
survive a restart); expired rows are refused when read and purged when a session is created.
The idle clock is written back at most every ``touch_seconds`` (not one write per page view).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    event,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import StaticPool

IDLE_SECONDS = 30 * 60
ABSOLUTE_SECONDS = 8 * 3600
TOUCH_SECONDS = 30.0
COOKIE = "risk_session"
MEMORY_URL = "sqlite://"

metadata = MetaData()

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("digest", String(64), primary_key=True, doc="sha256 of the cookie's session id"),
    Column("key_name", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", Float, nullable=False, doc="epoch seconds"),
    Column("seen_at", Float, nullable=False, doc="epoch seconds of the last activity"),
)


@dataclass
class Session:
    key_name: str
    role: str
    csrf: str
    created: float
    seen: float

    @property
    def can_record(self) -> bool:
        return self.role == "collector"

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf, str(token))


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _sqlite_wal(connection: Any, _record: object) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def sessions_engine(url: str) -> Engine:
    """An engine on ``url`` (the audit database's URL); ``sqlite://`` keeps one in-memory
    database for the process (tests)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername.startswith("sqlite"):
        if parsed.database in (None, "", ":memory:"):
            return create_engine(
                parsed, poolclass=StaticPool, connect_args={"check_same_thread": False}
            )
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed)
        event.listen(engine, "connect", _sqlite_wal)
        return engine
    return create_engine(parsed, pool_pre_ping=True)


class SessionStore:
    """Sessions by hashed id in the ``web_sessions`` table, with idle and absolute expiry.

    Args:
        url: SQLAlchemy URL of the database (the service's audit database).
        idle_seconds / absolute_seconds: expiry after inactivity / after sign-in.
        clock: epoch seconds (``time.time``; tests pass their own).
        touch_seconds: the last-activity time is written when older than this.
    """

    def __init__(
        self,
        url: str = MEMORY_URL,
        idle_seconds: float = IDLE_SECONDS,
        absolute_seconds: float = ABSOLUTE_SECONDS,
        clock: Callable[[], float] = time.time,
        touch_seconds: float = TOUCH_SECONDS,
    ) -> None:
        self.idle_seconds = idle_seconds
        self.absolute_seconds = absolute_seconds
        self.clock = clock
        self.touch_seconds = min(touch_seconds, idle_seconds / 4)
        self.engine = sessions_engine(url)
        metadata.create_all(self.engine)

    def create(self, key_name: str, role: str) -> tuple[str, Session]:
        """A new session; returns the id for the cookie and the session."""
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        session = Session(key_name, role, secrets.token_urlsafe(32), now, now)
        with self.engine.begin() as connection:
            connection.execute(
                delete(web_sessions).where(
                    or_(
                        web_sessions.c.seen_at < now - self.idle_seconds,
                        web_sessions.c.created_at < now - self.absolute_seconds,
                    )
                )
            )
            connection.execute(
                insert(web_sessions).values(
                    digest=_digest(session_id), key_name=key_name, role=role,
                    csrf=session.csrf, created_at=now, seen_at=now,
                )
            )  # fmt: skip
        return session_id, session

    def get(self, session_id: str | None) -> Session | None:
        """The live session of a cookie value (its idle clock restarts), else None."""
        if not session_id:
            return None
        now = self.clock()
        digest = _digest(session_id)
        with self.engine.connect() as connection:
            row = connection.execute(
                select(web_sessions).where(web_sessions.c.digest == digest)
            ).first()
        if row is None:
            return None
        session = Session(row.key_name, row.role, row.csrf, row.created_at, row.seen_at)
        if self._expired(session, now):
            self._delete_digest(digest)
            return None
        if now - session.seen >= self.touch_seconds:
            with self.engine.begin() as connection:
                connection.execute(
                    update(web_sessions).where(web_sessions.c.digest == digest).values(seen_at=now)
                )
        session.seen = now
        return session

    def delete(self, session_id: str | None) -> None:
        if session_id:
            self._delete_digest(_digest(session_id))

    def _delete_digest(self, digest: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(web_sessions).where(web_sessions.c.digest == digest))

    def _expired(self, session: Session, now: float) -> bool:
        # the idle clock is written every ``touch_seconds``: a session is idle from its last
        # recorded activity, so it may live up to ``touch_seconds`` less than ``idle_seconds``
        return (
            now - session.seen > self.idle_seconds or now - session.created > self.absolute_seconds
        )

    def count(self) -> int:
        """Live and expired rows not yet purged (tests and inspection)."""
        with self.engine.connect() as connection:
            return len(connection.execute(select(web_sessions.c.digest)).all())

    def close(self) -> None:
        self.engine.dispose()
