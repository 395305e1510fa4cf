"""Score by id at the cached date, answered by the guard's plain ASGI route
(``service.service._score_customer_by_id``) instead of the framework's API method: the same
answer, headers, audit row, metrics and errors as the method, and what it leaves to the method."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Iterator

import pytest
from service.service import _score_customer_by_id, _service
from starlette.testclient import TestClient
from tests.service.conftest import Trained, auth
from tests.service.test_service_asgi import asgi_app, audit_rows

from risk.serving import schemas
from risk.serving.guard import CANCELLED, KEY_NAME


@pytest.fixture
def client(service_environ: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(asgi_app(), raise_server_exceptions=False) as test_client:
        yield test_client


def test_answer_is_the_methods_answer(
    client: TestClient, trained: Trained, service_environ: dict[str, str]
) -> None:
    """Same JSON as ``RiskService.score_customer`` (bar the request id), same headers as the
    framework's route (an earlier date goes through it), one audit row each."""
    body = {"customer_id": trained.customer_id}
    fast = client.post("/score_customer", json=body, headers=auth())
    assert fast.status_code == 200, fast.text
    service = _service()
    method = service.score_customer.local(schemas.CustomerScoreRequest(**body))
    expected = method.model_dump(mode="json")
    got = fast.json()
    assert got.pop("request_id") == fast.headers["x-request-id"]
    expected.pop("request_id")
    assert got == expected
    assert got["ledger_version"] == service.ledgers.snapshot.version
    assert fast.headers["content-type"] == "application/json"
    assert fast.headers["server"] == "BentoML Service/risk_service"

    earlier = client.post("/score_customer", json={**body, "as_of": "2025-06-30"}, headers=auth())
    assert earlier.status_code == 200, earlier.text
    framework = {"server", "x-request-id", "content-type", "x-bentoml-request-id"}
    assert framework & set(earlier.headers) <= set(fast.headers)

    rows = audit_rows(service_environ)  # latest first: the earlier date, the method, the route
    assert [r["endpoint"] for r in rows] == ["score_customer"] * 3
    route_row = rows[-1]
    assert route_row["request_id"] == fast.headers["x-request-id"]
    assert route_row["key_name"] == "ops" and route_row["customer_ids"] == [trained.customer_id]
    assert route_row["grade"] == [got["grade"]]
    assert route_row["model_versions"]["ledger"] == got["ledger_version"]
    assert route_row["input_sha256"] == rows[-2]["input_sha256"]  # the same request's hash


def test_errors_stay_the_methods(client: TestClient, trained: Trained) -> None:
    """Calls the route does not answer get the framework's answers, unchanged."""
    unknown = client.post("/score_customer", json={"customer_id": "NOPE"}, headers=auth())
    assert unknown.status_code == 404 and "NOPE" in unknown.json()["error"]
    bad = client.post("/score_customer", json={"customer_id": "C1", "extra": 1}, headers=auth())
    assert bad.status_code == 400 and isinstance(bad.json()["detail"], list)
    before = client.post(
        "/score_customer",
        json={"customer_id": trained.customer_id, "as_of": "1900-01-01"},
        headers=auth(),
    )
    assert before.status_code == 422 and "after as_of" in before.json()["error"]


def test_cancelled_call_sends_nothing_and_is_not_audited(
    client: TestClient, trained: Trained, service_environ: dict[str, str]
) -> None:
    flag = threading.Event()
    flag.set()
    scope = {"path": "/score_customer", "state": {CANCELLED: flag, KEY_NAME: "ops"}}
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    body = json.dumps({"customer_id": trained.customer_id}).encode()
    answered = client.portal.call(_score_customer_by_id, scope, body, send)  # type: ignore[union-attr]
    assert answered and sent == []
    assert audit_rows(service_environ) == []


def test_calls_it_leaves_to_the_method(client: TestClient, trained: Trained) -> None:
    """Inline ledgers, other dates, unknown ids and refused bodies are not answered here."""
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"path": "/score_customer", "state": {CANCELLED: threading.Event()}}
    for body in (
        {"customer_id": trained.customer_id, "as_of": "2025-06-30"},
        {"customer_id": "NOPE"},
        {"customer_id": trained.customer_id, "extra": 1},
        {"ledger": {"customers": [], "invoices": []}},
    ):
        raw = json.dumps(body).encode()
        assert not client.portal.call(_score_customer_by_id, scope, raw, send)  # type: ignore[union-attr]
    assert not client.portal.call(_score_customer_by_id, scope, b"not json", send)  # type: ignore[union-attr]
    assert sent == []


def test_request_ids_have_the_uuid4_form(client: TestClient, trained: Trained) -> None:
    ids = {
        client.post(
            "/score_customer", json={"customer_id": trained.customer_id}, headers=auth()
        ).json()["request_id"]
        for _ in range(5)
    }
    assert len(ids) == 5
    assert all(re.fullmatch(r"[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}", i) for i in ids)


def test_concurrent_calls_each_audited_once(
    client: TestClient, trained: Trained, service_environ: dict[str, str]
) -> None:
    """32 calls at once through the route: 32 answers, 32 rows (committed in batches)."""
    body = json.dumps({"customer_id": trained.customer_id}).encode()
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    async def many() -> list[bool]:
        scope = {"path": "/score_customer", "state": {CANCELLED: threading.Event()}}
        return await asyncio.gather(
            *(
                _score_customer_by_id({**scope, "state": dict(scope["state"])}, body, send)
                for _ in range(32)
            )
        )

    assert all(client.portal.call(many))  # type: ignore[union-attr]
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert [m["status"] for m in starts] == [200] * 32
    ids = {json.loads(m["body"])["request_id"] for m in sent if m["type"] == "http.response.body"}
    rows = audit_rows(service_environ)
    assert len(rows) == 32 and {r["request_id"] for r in rows} == ids
    assert {r["key_name"] for r in rows} == {"unknown"}
