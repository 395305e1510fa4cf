"""The web pages' fixtures: the service tests' trained store and ledger (``trained``, in
tests/conftest.py), a page client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from risk import registry
from risk.io import load_ledger
from risk.scoring import Scorer
from risk.serving.audit import AuditLog
from risk.serving.auth import hash_key
from risk.web.app import create_app
from tests.service.conftest import Trained

COLLECTOR_KEY = "web-collector-key"
VIEWER_KEY = "web-viewer-key"


def web_keys() -> str:
    return f"anna:{hash_key(COLLECTOR_KEY)}:collector,victor:{hash_key(VIEWER_KEY)}"


@dataclass
class Pages:
    client: TestClient
    audit: AuditLog
    context: SimpleNamespace

    def sign_in(self, key: str = COLLECTOR_KEY) -> None:
        page = self.client.get("/app/signin")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        answer = self.client.post(
            "/app/signin", data={"csrf": token, "key": key}, follow_redirects=False
        )
        assert answer.status_code == 303, answer.text

    def csrf(self, html: str) -> str:
        return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


@pytest.fixture(scope="session")
def scorer_and_ledger(trained: Trained):
    scorer = Scorer.from_registry(registry.Store.resolve(trained.tracking_uri))
    return scorer, load_ledger(trained.ledger_dir)


@pytest.fixture(scope="module")
def web_app(scorer_and_ledger, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Starlette]:
    """The pages mounted under /app as in the service, with a collector and a viewer key (one
    portfolio state per test module: tests that record actions use customers of their own)."""
    scorer, ledger = scorer_and_ledger
    tmp = tmp_path_factory.mktemp("web")
    audit = AuditLog(f"sqlite:///{tmp}/audit.db")
    context = SimpleNamespace(scorer=scorer, ledger=ledger, audit=audit, not_ready="")
    env = {
        "RISK_API_KEYS": web_keys(),
        "RISK_ACTIONS_URL": f"sqlite:///{tmp}/actions.db",
        "RISK_AUDIT_URL": f"sqlite:///{tmp}/audit.db",
    }
    web = create_app(lambda: context, env)
    web.state.web.state().wait_history()  # the sheet shows the month-end history
    outer = Starlette(routes=[Mount("/app", app=web)])
    outer.state.context = context
    yield outer
    audit.close()


@pytest.fixture
def pages(web_app: Starlette) -> Iterator[Pages]:
    """A fresh browser-like client (no cookie) on the module's pages."""
    with TestClient(web_app, base_url="http://testserver") as client:
        yield Pages(client, web_app.state.context.audit, web_app.state.context)
