"""Sign-in safety beyond one process: failed keys rate-limited per client address (429 with
Retry-After and a readable page in French and English), sessions kept in the audit database
across a restart of the pages."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from risk.web.app import create_app
from risk.web.sessions import COOKIE
from tests.web.conftest import COLLECTOR_KEY, web_keys

NOT_STARTED = SimpleNamespace(scorer=None, ledger=None, audit=None, not_ready="no model yet")


def pages_app(env: dict[str, str]) -> Starlette:
    return Starlette(routes=[Mount("/app", create_app(lambda: NOT_STARTED, env))])


def attempt(client: TestClient, key: str, lang: str = "en"):
    page = client.get("/app/signin")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post(
        "/app/signin",
        data={"csrf": token, "key": key},
        headers={"accept-language": lang},
        follow_redirects=False,
    )


def test_failed_sign_ins_are_limited_per_address(tmp_path: Path) -> None:
    env = {
        "RISK_API_KEYS": web_keys(),
        "RISK_AUDIT_URL": f"sqlite:///{tmp_path}/audit.db",
        "RISK_AUTH_FAILURES": "3",
    }
    app = pages_app(env)
    with TestClient(app, client=("10.0.0.1", 4000)) as client:
        for _ in range(3):
            assert attempt(client, "wrong").status_code == 401
        refused = attempt(client, COLLECTOR_KEY)  # even the right key waits
        assert refused.status_code == 429
        wait = int(refused.headers["retry-after"])
        assert 1 <= wait <= 60
        assert f"Try again in {wait} seconds" in refused.text
        assert COOKIE not in refused.cookies
        french = attempt(client, COLLECTOR_KEY, lang="fr")
        assert french.status_code == 429
        assert "Trop de tentatives de connexion" in french.text
        assert "Réessayez dans" in french.text
    with TestClient(app, client=("10.0.0.2", 4000)) as other:  # another address is not blocked
        assert attempt(other, COLLECTOR_KEY).status_code == 303


def test_good_sign_ins_are_not_counted(tmp_path: Path) -> None:
    env = {
        "RISK_API_KEYS": web_keys(),
        "RISK_AUDIT_URL": f"sqlite:///{tmp_path}/audit.db",
        "RISK_AUTH_FAILURES": "2",
    }
    with TestClient(pages_app(env), client=("10.0.0.3", 4000)) as client:
        for _ in range(4):
            assert attempt(client, COLLECTOR_KEY).status_code == 303


def test_a_restarted_service_keeps_the_user_signed_in(tmp_path: Path) -> None:
    env = {"RISK_API_KEYS": web_keys(), "RISK_AUDIT_URL": f"sqlite:///{tmp_path}/audit.db"}
    with TestClient(pages_app(env)) as client:
        assert attempt(client, COLLECTOR_KEY).status_code == 303
        cookie = client.cookies[COOKIE]
    restarted = pages_app(env)  # a new process on the same audit database
    with TestClient(restarted, cookies={COOKIE: cookie}) as client:
        page = client.get("/app/dashboard", follow_redirects=False)
        assert page.status_code == 503 and "no model yet" in page.text  # signed in, not ready
    expiring = pages_app({**env, "RISK_WEB_SESSION_MINUTES": "0"})  # expiry enforced on reload
    with TestClient(expiring, cookies={COOKIE: cookie}) as client:
        page = client.get("/app/dashboard", follow_redirects=False)
        assert page.status_code == 303 and "expired=1" in page.headers["location"]
