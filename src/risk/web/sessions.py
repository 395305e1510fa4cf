"""Server-side sessions of the web pages: a random id in an HttpOnly cookie, the key's name and
role, a CSRF token, an idle and an absolute expiry. Signing out deletes the session.

Sessions live in the memory of the one service worker (``workers=1``); a restart signs
everybody out. The cookie holds only the random id; the store keys it by its sha256.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

IDLE_SECONDS = 30 * 60
ABSOLUTE_SECONDS = 8 * 3600
COOKIE = "risk_session"


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


@dataclass
class SessionStore:
    """Sessions by hashed id, with idle and absolute expiry (seconds)."""

    idle_seconds: float = IDLE_SECONDS
    absolute_seconds: float = ABSOLUTE_SECONDS
    clock: Callable[[], float] = time.monotonic
    _sessions: dict[str, Session] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, key_name: str, role: str) -> tuple[str, Session]:
        """A new session; returns the id for the cookie and the session."""
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        session = Session(key_name, role, secrets.token_urlsafe(32), now, now)
        with self._lock:
            self._purge(now)
            self._sessions[_digest(session_id)] = session
        return session_id, session

    def get(self, session_id: str | None) -> Session | None:
        """The live session of a cookie value (its idle clock restarts), else None."""
        if not session_id:
            return None
        now = self.clock()
        with self._lock:
            session = self._sessions.get(_digest(session_id))
            if session is None:
                return None
            if self._expired(session, now):
                del self._sessions[_digest(session_id)]
                return None
            session.seen = now
            return session

    def delete(self, session_id: str | None) -> None:
        if session_id:
            with self._lock:
                self._sessions.pop(_digest(session_id), None)

    def _expired(self, session: Session, now: float) -> bool:
        return (
            now - session.seen > self.idle_seconds or now - session.created > self.absolute_seconds
        )

    def _purge(self, now: float) -> None:
        for digest in [d for d, s in self._sessions.items() if self._expired(s, now)]:
            del self._sessions[digest]
