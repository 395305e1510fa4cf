"""Sign-in, roles, CSRF and response headers of the web pages."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from risk.errors import ConfigError
from risk.serving.auth import KeyRing, key_roles
from risk.serving.settings import ServiceSettings
from risk.web.sessions import COOKIE, Session, SessionStore

PRE_CSRF_COOKIE = "risk_signin_csrf"
LANG_COOKIE = "risk_lang"
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


class Keys:
    """The service's API keys and their web roles (read once)."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.error = ""
        self.ring: KeyRing | None = None
        self.roles: dict[str, str] = {}
        try:  # both or neither: a key with a bad role signs nobody in
            roles = key_roles(settings.keys_file, settings.keys_env)
            self.ring = KeyRing.load(settings.keys_file, settings.keys_env)
            self.roles = roles
        except ConfigError as exc:
            self.error = str(exc)

    def sign_in(self, secret: str) -> tuple[str, str] | None:
        """(key name, role) of a key, or None."""
        if self.ring is None or not secret.strip():
            return None
        name = self.ring.identify(secret.strip())
        return None if name is None else (name, self.roles.get(name, "viewer"))


def prefix(request: Request) -> str:
    """Where the app is mounted (``/app`` in the service, empty on its own)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def set_cookie(request: Request, response: Response, name: str, value: str, **kw: Any) -> None:
    """HttpOnly, SameSite=Strict, Secure over TLS, scoped to the app's path."""
    response.set_cookie(
        name,
        value,
        path=prefix(request) or "/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        **kw,
    )


def client_address(request: Request) -> str:
    """The peer's address, as the API's rate limit sees it (no proxy header is trusted)."""
    return request.client.host if request.client else "unknown"


def current_session(request: Request, store: SessionStore) -> Session | None:
    return store.get(request.cookies.get(COOKIE))


def pre_csrf(request: Request) -> str:
    """The sign-in form's CSRF token (double-submit cookie), a new one when absent."""
    return request.cookies.get(PRE_CSRF_COOKIE) or secrets.token_urlsafe(24)


def safe_next(request: Request, target: str | None) -> str:
    """A redirect target inside the app (never another site)."""
    base = prefix(request)
    if target and target.startswith(f"{base}/") and not target.startswith("//"):
        return target
    return f"{base}/dashboard"


class SecurityHeaders:
    """ASGI middleware adding ``HEADERS`` to every response of the pages."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                path = scope.get("path", "")
                extra = [
                    (k.encode(), v.encode())
                    for k, v in HEADERS.items()
                    if not (k == "cache-control" and "/static/" in path)
                ]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
