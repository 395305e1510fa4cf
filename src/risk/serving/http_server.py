"""Connection-level protections of the uvicorn server BentoML runs: a header timeout and one
metrics label for every unknown path.

uvicorn (0.3x) has no timeout for a connection that never finishes its request headers, so a
client that opens sockets and sends headers slowly holds them forever (file descriptors run
out). BentoML's metrics middleware labels its counters with the raw request path, so random
404s grow ``/metrics`` without bound. Neither can be set through BentoML's configuration;
``install`` registers a protocol class under uvicorn's protocol names (looked up when the
server starts) that:

- closes a connection that has not sent a complete request head ``header_timeout_s`` seconds
  after it opened or after its previous answer (idle keep-alive connections are closed by
  uvicorn's own ``timeout_keep_alive``);
- rewrites the path of any request outside the service's routes to ``UNKNOWN_PATH`` before the
  application sees it (the answer is the same 404).

Both are reported upstream-style in ``docs/service.md``.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable
from typing import Any

logger = logging.getLogger(__name__)

UNKNOWN_PATH = "/unknown-path"
OPEN_PATHS = ("/", "/livez", "/healthz", "/readyz", "/metrics", "/docs.json", "/schema.json")
OPEN_PREFIXES = ("/app", "/static_content", "/docs")
PROTOCOL = "risk.serving.http_server:GuardedH11Protocol"

_settings: dict[str, Any] = {"header_timeout_s": 10.0, "known": frozenset(OPEN_PATHS)}


def known_path(path: str) -> bool:
    """Whether ``path`` is a route of the service (or under a mounted prefix)."""
    if path in _settings["known"]:
        return True
    return any(path == p or path.startswith(p + "/") for p in OPEN_PREFIXES)


class CollapseUnknownPaths:
    """ASGI wrapper: unknown paths become ``UNKNOWN_PATH`` (one metrics label)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not known_path(scope["path"]):
            scope = {**scope, "path": UNKNOWN_PATH, "raw_path": UNKNOWN_PATH.encode()}
        await self.app(scope, receive, send)


def _protocol_class() -> type:
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(H11Protocol):  # type: ignore[misc]
        """uvicorn's h11 protocol with a request-head timeout and unknown paths collapsed."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.app = CollapseUnknownPaths(self.app)
            self._head_timer: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            self._head_timer = self.loop.call_later(
                _settings["header_timeout_s"], self._head_timeout, self.cycle
            )

        def _head_timeout(self, cycle_then: object) -> None:
            self._head_timer = None
            if self.cycle is cycle_then and not self.transport.is_closing():
                logger.info("closing a connection that sent no complete request head in time")
                self.transport.close()

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None
            super().connection_lost(exc)

    return GuardedH11Protocol


def __getattr__(name: str) -> Any:  # uvicorn imports the class by name, lazily
    if name == "GuardedH11Protocol":
        return _protocol_class()
    raise AttributeError(name)


def install(known_paths: Iterable[str], header_timeout_s: float | None = None) -> None:
    """Make uvicorn use ``GuardedH11Protocol`` for ``http="auto"`` and ``"h11"``.

    Args:
        known_paths: the service's API routes (open routes and ``/app`` are added).
        header_timeout_s: seconds to send a complete request head (default
            ``RISK_HEADER_TIMEOUT_S`` or 10).
    """
    from uvicorn import config

    if header_timeout_s is None:
        raw = os.environ.get("RISK_HEADER_TIMEOUT_S", "")
        header_timeout_s = float(raw) if raw.replace(".", "", 1).isdigit() else 10.0
    _settings["header_timeout_s"] = float(header_timeout_s)
    _settings["known"] = frozenset((*OPEN_PATHS, *known_paths))
    config.HTTP_PROTOCOLS["auto"] = PROTOCOL
    config.HTTP_PROTOCOLS["h11"] = PROTOCOL
