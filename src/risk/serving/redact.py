"""Remove secrets from text before it leaves the process (HTTP answers, logs).

Secrets are passwords and tokens inside URIs (``postgresql://user:secret@host/db``,
``https://token@host``), query parameters named like secrets (``?password=...``), bearer tokens
and this project's API keys (``rk_...``).

>>> redact("cannot reach postgresql://risk:s3cret@db:5432/audit")
'cannot reach postgresql://risk:***@db:5432/audit'
>>> redact("Authorization: Bearer abc.def")
'Authorization: Bearer ***'
"""

from __future__ import annotations

import re

MASK = "***"

_USERINFO = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@\s/]*)@"
)
_TOKEN_USER = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<token>[^:/@\s]{16,})@")
_QUERY = re.compile(
    r"(?P<key>[?&;](?:password|passwd|pwd|token|secret|api[_-]?key|access[_-]?key|sig|signature)=)"
    r"(?P<value>[^&;\s]*)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?P<key>\bBearer\s+)(?P<value>[^\s'\",;]+)", re.IGNORECASE)
_API_KEY = re.compile(r"\brk_[A-Za-z0-9_\-.]{8,}")


def redact(text: str) -> str:
    """``text`` with URI passwords, secret query values, bearer tokens and API keys masked."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    text = _TOKEN_USER.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    text = _QUERY.sub(lambda m: f"{m['key']}{MASK}", text)
    text = _BEARER.sub(lambda m: f"{m['key']}{MASK}", text)
    return _API_KEY.sub(MASK, text)
