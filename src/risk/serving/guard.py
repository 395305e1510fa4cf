"""ASGI middleware in front of the API: API key, rate limit of failed keys, JSON only, body
size, cancellation, the completed OpenAPI document and ``/readyz``.

Health and documentation routes (``/livez``, ``/readyz``, ``/metrics``, ``/docs.json``, the
Swagger page) stay open; every API route needs ``Authorization: Bearer <key>``. The key's name
is put in the request state (``scope["state"]["key_name"]``) for the audit log, with a
``threading.Event`` (``scope["state"]["cancelled"]``) set when the client disconnects before the
answer: the endpoint then stops and audits nothing, and its concurrency slot is freed at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import anyio

from risk.errors import ConfigError
from risk.serving.auth import AuthError, KeyRing
from risk.serving.limits import FailureLimiter
from risk.serving.openapi import complete_spec
from risk.serving.redact import redact
from risk.serving.settings import ServiceSettings

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
GetRoute = Callable[[Scope], Awaitable[dict[str, Any] | None]]
#: answers an authorised, size-checked JSON POST from its body without the framework; returns
#: False (having sent nothing) to let the framework's route answer it instead
FastRoute = Callable[[Scope, bytes, Send], Awaitable[bool]]

KEY_NAME = "key_name"
CANCELLED = "cancelled"
HASH_THREADS = 2


async def send_json(
    send: Send, status: int, payload: object, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    body = json.dumps(payload).encode()
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


async def send_error(
    send: Send, status: int, message: str, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    await send_json(send, status, {"error": redact(message)}, headers)


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RiskGuard:
    """Authorise API calls, refuse non-JSON bodies (415) and bodies over the limit (413).

    Args:
        app: the wrapped ASGI app.
        protected: POST API routes that need a key (e.g. ``["/score_customer", ...]``).
        readiness: async callable returning why the service is not ready (None when ready);
            ``/readyz`` then answers 503 with that message.
        get_routes: GET routes answered here with a key (path -> async callable returning the
            JSON payload, None when the service is not started).
        fast_routes: protected POST routes first offered to a plain ASGI handler (path ->
            ``FastRoute``) once the key, method, media type and body size are checked and the
            body read; the handler answers the calls it can (a score by id from the cache) and
            leaves the others to the framework's route, which gets the same body. A fast
            route must answer without yielding to the event loop before it audits (no
            disconnect watcher runs for it; the cancellation flag is set as for the others).
    """

    def __init__(
        self,
        app: ASGIApp,
        protected: Iterable[str],
        readiness: Callable[[Scope], Awaitable[str | None]] | None = None,
        get_routes: Mapping[str, GetRoute] | None = None,
        fast_routes: Mapping[str, FastRoute] | None = None,
    ) -> None:
        self.app = app
        self.protected = frozenset(protected)
        self.readiness = readiness
        self.get_routes = dict(get_routes or {})
        self.fast_routes = dict(fast_routes or {})
        self.settings = ServiceSettings.from_env()
        self.failures = FailureLimiter(self.settings.auth_failures)
        self.hash_threads = anyio.CapacityLimiter(HASH_THREADS)
        self.keys: KeyRing | None = None
        self.keys_error = ""
        try:
            self.keys = KeyRing.load(self.settings.keys_file, self.settings.keys_env)
        except ConfigError as exc:
            self.keys_error = str(exc)
            logger.error("API keys unusable, every API call will be refused: %s", exc)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path == "/readyz" and self.readiness is not None:
            reason = await self.readiness(scope)
            if reason:
                await send_error(send, 503, reason)
                return
        if path == "/docs.json" and scope["method"] == "GET":
            await self._spec(scope, receive, send)
            return
        if path in self.get_routes:
            await self._get(scope, receive, send)
            return
        if path not in self.protected:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if not await self._authorised(scope, headers, send):
            return
        media_type = headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if scope["method"] != "POST":
            await send_error(
                send,
                405,
                f"{scope['method']} not allowed: use POST with a JSON body",
                [(b"allow", b"POST")],
            )
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

    async def _authorised(self, scope: Scope, headers: dict[str, str], send: Send) -> bool:
        """Check the key (hashing in a worker thread); answer 401/403/429 and return False."""
        address = _client(scope)
        wait = self.failures.retry_after(address)
        if wait is not None:
            await send_error(
                send,
                429,
                f"too many failed API key attempts from this address: retry in {wait} s",
                [(b"retry-after", str(wait).encode())],
            )
            return False
        try:
            if self.keys is None:
                raise AuthError(
                    401, f"API keys are misconfigured on this server: {self.keys_error}"
                )
            header = headers.get("authorization")
            name = self.keys.cached(header)
            if name is None:
                name = await anyio.to_thread.run_sync(
                    self.keys.authorise, header, limiter=self.hash_threads
                )
        except AuthError as exc:
            if exc.status == 403:
                self.failures.record(address)
            extra = [(b"www-authenticate", b"Bearer")] if exc.status == 401 else []
            await send_error(send, exc.status, str(exc), extra)
            return False
        scope.setdefault("state", {})[KEY_NAME] = name
        return True

    async def _get(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if not await self._authorised(scope, headers, send):
            return
        if scope["method"] not in ("GET", "HEAD"):
            await send_error(
                send, 405, f"{scope['method']} not allowed: use GET", [(b"allow", b"GET")]
            )
            return
        payload = await self.get_routes[scope["path"]](scope)
        if payload is None:
            await send_error(send, 503, "service not started")
            return
        await send_json(send, 200, payload)

    async def _spec(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The framework's OpenAPI document, completed (``risk.serving.openapi``)."""
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        if start.get("status") != 200:
            await send(start)
            await send({"type": "http.response.body", "body": b"".join(chunks)})
            return
        spec = complete_spec(json.loads(b"".join(chunks)), self.protected, self.get_routes)
        await send_json(send, 200, spec)

    async def _call_limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Read the whole body first (refusing it past ``limit``), then run the endpoint while
        watching for the client's disconnect."""
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
        cancelled = threading.Event()
        scope.setdefault("state", {})[CANCELLED] = cancelled
        fast = self.fast_routes.get(scope["path"])
        # a fast route runs no step the client could cancel: between the body and its audit
        # row it never yields to the event loop (a disconnect watcher could not even run), and
        # its only wait is that row's commit; so it runs without the watcher (whose extra
        # ``receive`` and task cost more than the answer itself)
        if fast is not None and await fast(scope, body, send):
            return
        gone = asyncio.Event()
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def guarded_send(message: Message) -> None:
            if not cancelled.is_set():
                await send(message)

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        inner = asyncio.ensure_future(self.app(scope, replay, guarded_send))
        watcher = asyncio.ensure_future(watch())
        await asyncio.wait({inner, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if inner.done():
            watcher.cancel()
            inner.result()
            return
        cancelled.set()
        gone.set()
        logger.info("%s: client disconnected, request cancelled", scope["path"])
        inner.add_done_callback(_drop_result)
        inner.cancel()


def _drop_result(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()
