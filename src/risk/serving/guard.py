"""ASGI middleware in front of the scoring endpoints: API key, JSON only, body size.

Health and documentation routes (``/livez``, ``/readyz``, ``/metrics``, ``/docs.json``, the
Swagger page) stay open; every API route needs ``Authorization: Bearer <key>``. The key's name is
put in the request state (``scope["state"]["key_name"]``) for the audit log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from risk.errors import ConfigError
from risk.serving.auth import AuthError, KeyRing
from risk.serving.settings import ServiceSettings

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KEY_NAME = "key_name"


async def send_error(
    send: Send, status: int, message: str, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RiskGuard:
    """Authorise API calls, refuse non-JSON bodies (415) and bodies over the limit (413).

    Args:
        app: the wrapped ASGI app.
        protected: API routes that need a key (e.g. ``["/score_customer", ...]``).
        readiness: async callable returning why the service is not ready (None when ready);
            ``/readyz`` then answers 503 with that message.
    """

    def __init__(
        self,
        app: ASGIApp,
        protected: Iterable[str],
        readiness: Callable[[Scope], Awaitable[str | None]] | None = None,
    ) -> None:
        self.app = app
        self.protected = frozenset(protected)
        self.readiness = readiness
        self.settings = ServiceSettings.from_env()
        self.keys: KeyRing | None = None
        self.keys_error = ""
        try:
            self.keys = KeyRing.load(self.settings.keys_file, self.settings.keys_env)
        except ConfigError as exc:
            self.keys_error = str(exc)
            logger.error("API keys unusable, every API call will be refused: %s", exc)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/readyz" and self.readiness is not None:
            reason = await self.readiness(scope)
            if reason:
                await send_error(send, 503, reason)
                return
        if scope["type"] != "http" or scope["path"] not in self.protected:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            if self.keys is None:
                raise AuthError(
                    401, f"API keys are misconfigured on this server: {self.keys_error}"
                )
            name = self.keys.authorise(headers.get("authorization"))
        except AuthError as exc:
            extra = [(b"www-authenticate", b"Bearer")] if exc.status == 401 else []
            await send_error(send, exc.status, str(exc), extra)
            return
        scope.setdefault("state", {})[KEY_NAME] = name
        media_type = headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if scope["method"] != "POST":
            await send_error(send, 405, f"{scope['method']} not allowed: use POST with a JSON body")
            return
        if media_type != "application/json":
            await send_error(
                send, 415, f"content-type {media_type!r} not accepted: send application/json"
            )
            return
        limit = self.settings.max_body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await send_error(send, 413, f"request body of {declared} bytes: at most {limit} bytes")
            return
        await self._call_limited(scope, receive, send, limit)

    async def _call_limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Read the whole body first (the framework does too), refusing it past ``limit``."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                await send_error(send, 413, f"request body over {limit} bytes")
                return
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
