"""Unit tests of the abuse defences and of what leaves the process: key ids, failed-key limits,
redaction and the log format."""

from __future__ import annotations

import io
import json
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from risk.serving.auth import AuthError, KeyRing, hash_key, key_id, key_line, new_key
from risk.serving.limits import FailureLimiter
from risk.serving.logs import JsonFormatter, RedactingFilter, RequestErrorFilter, make_handler
from risk.serving.redact import redact


def test_new_keys_carry_a_public_id_repeated_in_their_line() -> None:
    secret, line = key_line("ops")
    assert line.startswith("ops: ")
    stored = line.removeprefix("ops: ")
    kid = key_id(secret)
    assert kid is not None and stored.startswith(f"kid-{kid}$scrypt$")
    ring = KeyRing({"ops": stored})
    assert ring.authorise(f"Bearer {secret}") == "ops"


def test_a_key_is_checked_against_one_hash_at_most() -> None:
    keys = {f"k{i}": new_key() for i in range(4)}
    ring = KeyRing({name: stored for name, (_, stored) in keys.items()})
    secret = keys["k2"][0]
    assert [name for name, _ in ring._candidates(secret)] == ["k2"]
    unknown_id = "rk_0123456789ab." + secret.partition(".")[2]
    assert ring._candidates(unknown_id) == []  # no scrypt at all for an unknown key id
    with pytest.raises(AuthError) as refused:
        ring.authorise(f"Bearer {unknown_id}")
    assert refused.value.status == 403


def test_old_lines_without_key_id_still_work_and_are_flagged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="risk.serving.auth"):
        ring = KeyRing.load(None, f"old:{hash_key('legacy-secret')},new:{new_key()[1]}")
    assert ring.authorise("Bearer legacy-secret") == "old"
    assert "without a key id (old)" in caplog.text and "risk apikey" in caplog.text


def test_cached_answers_only_verified_keys() -> None:
    secret, stored = new_key()
    ring = KeyRing({"ops": stored})
    assert ring.cached(f"Bearer {secret}") is None
    ring.authorise(f"Bearer {secret}")
    assert ring.cached(f"Bearer {secret}") == "ops"


def test_failure_limiter_blocks_then_forgets() -> None:
    limiter = FailureLimiter(max_failures=3, window_s=60)
    for t in (0.0, 1.0, 2.0):
        assert limiter.retry_after("a", now=t) is None
        limiter.record("a", now=t)
    assert limiter.retry_after("a", now=3.0) == 57
    assert limiter.retry_after("b", now=3.0) is None  # per address
    assert limiter.retry_after("a", now=60.5) is None  # the first failure left the window


@given(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=200))
def test_failure_limiter_memory_is_bounded(addresses: list[str]) -> None:
    limiter = FailureLimiter(max_failures=2, max_addresses=16)
    for address in addresses:
        limiter.record(address, now=0.0)
    assert len(limiter._failures) <= 16


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("no model: postgresql://risk:s3cret@db:5432/mlflow unreachable", "s3cret"),
        ("tracking http://admin:p%40ss@mlflow:5000/", "p%40ss"),
        ("https://ghp_abcdefghijklmnopqrstuvwxyz@github.com/x", "ghp_abcdefghijklmnop"),
        ("s3://bucket/x?X-Amz-Signature=deadbeef&password=hunter2", "hunter2"),
        ("header Authorization: Bearer rk_0123456789ab.xyzsecret", "xyzsecret"),
        ("key rk_0123456789ab.Zm9vYmFyYmF6 leaked", "Zm9vYmFyYmF6"),
    ],
)
def test_redact_masks_secrets(text: str, secret: str) -> None:
    assert secret not in redact(text)


def test_redact_keeps_plain_text() -> None:
    text = "unknown customer_id(s): C000001 at sqlite:///models/audit.db"
    assert redact(text) == text


def _record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, None) if exc else None
    return logging.LogRecord("x", logging.ERROR, __file__, 1, message, args, exc_info)


def test_json_lines_and_redaction() -> None:
    stream = io.StringIO()
    handler = make_handler({"RISK_LOG_FORMAT": "json"})
    handler.setStream(stream)  # type: ignore[attr-defined]
    logger = logging.getLogger("risk.test_json_lines")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("audit at %s", "postgresql://a:pw123@h/db")
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue().strip())
    assert line["level"] == "INFO" and line["logger"] == "risk.test_json_lines"
    assert "pw123" not in line["message"] and "***" in line["message"]
    assert isinstance(handler.formatter, JsonFormatter)
    assert any(isinstance(f, RedactingFilter) for f in handler.filters)


def test_client_errors_lose_their_traceback_server_errors_keep_it() -> None:
    from pydantic import BaseModel, ValidationError

    class M(BaseModel):
        x: int

    try:
        M(x="no")  # type: ignore[arg-type]
    except ValidationError as exc:
        client = _record("Exception on %s [%s]", "/score_customer", "POST", exc=exc)
    server = _record("Exception on %s [%s]", "/score_customer", "POST", exc=RuntimeError("boom"))
    rule = RequestErrorFilter()
    assert rule.filter(client) and rule.filter(server)
    assert client.exc_info is None and client.levelname == "WARNING"
    assert client.getMessage().startswith("Exception on /score_customer [POST]: 400")
    assert "\n" not in client.getMessage()
    assert server.exc_info is not None and server.levelname == "ERROR"
