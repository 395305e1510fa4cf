"""Logging of the HTTP service: the project's INFO lines reach the output, secrets never do.

``configure_logging()`` (called when the service starts) attaches one handler to the ``risk``
logger and to the service module's logger:

- format: plain text lines ``2026-07-01 10:00:00,123 INFO risk.serving.app: message``, or one
  JSON object per line (keys ``time``, ``level``, ``logger``, ``message``, plus ``exception``
  when there is one) with ``RISK_LOG_FORMAT=json``;
- level: ``RISK_LOG_LEVEL`` (default ``INFO``);
- every record is redacted (``risk.serving.redact``) on every handler of the process;
- BentoML's "Exception on /route [POST]" record of a request error (a 4xx: validation error,
  bad input) becomes one WARNING line without a traceback; server errors keep theirs.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime

from risk.serving.redact import redact

HANDLER_NAME = "risk-service"
BENTOML_HTTP_LOGGERS = ("bentoml._internal.server.http_app", "_bentoml_impl.server.app")


class RedactingFilter(logging.Filter):
    """Masks secrets in the message and the arguments of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class RequestErrorFilter(logging.Filter):
    """One line without traceback for a client error BentoML logs as an exception."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None or not str(record.msg).startswith("Exception on"):
            return True
        status = _client_status(exc)
        if status is None:
            return True
        record.msg = f"{record.getMessage()}: {status} {type(exc).__name__}: {_first_line(exc)}"
        record.args = None
        record.exc_info = None
        record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def _client_status(exc: BaseException) -> int | None:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return 400
    code = getattr(getattr(exc, "error_code", None), "value", None)
    if isinstance(code, int) and 400 <= code < 500:
        return code
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).splitlines()
    return redact(text[0]) if text else ""


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            out["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False)


def make_handler(env: Mapping[str, str] | None = None) -> logging.Handler:
    """A stderr handler with the format ``RISK_LOG_FORMAT`` asks for (``text`` or ``json``)."""
    env = os.environ if env is None else env
    handler = logging.StreamHandler()
    handler.set_name(HANDLER_NAME)
    if (env.get("RISK_LOG_FORMAT") or "text").lower() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    return handler


def configure_logging(env: Mapping[str, str] | None = None, loggers: tuple[str, ...] = ()) -> None:
    """Attach the service handler to ``risk`` (and ``loggers``), once; filter BentoML's records.

    Idempotent: calling it again replaces nothing.
    """
    env = os.environ if env is None else env
    level = (env.get("RISK_LOG_LEVEL") or "INFO").upper()
    for name in ("risk", *loggers):
        target = logging.getLogger(name)
        if not any(h.get_name() == HANDLER_NAME for h in target.handlers):
            target.addHandler(make_handler(env))
        target.setLevel(level)
        target.propagate = False
    for name in BENTOML_HTTP_LOGGERS:
        target = logging.getLogger(name)
        if not any(isinstance(f, RequestErrorFilter) for f in target.filters):
            target.addFilter(RequestErrorFilter())
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
