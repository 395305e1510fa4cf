"""Depths 1 and 2 of BentoML's testing guide: the service class called directly, and its ASGI
app through starlette's TestClient (same process, no network)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from service.service import RiskService
from starlette.responses import JSONResponse
from starlette.testclient import TestClient
from tests.service.conftest import KEY, OTHER_KEY, Trained, auth

from risk.serving import schemas
from risk.serving.audit import AuditLog


def asgi_app() -> object:
    """``RiskService.to_asgi()``, after dropping the metrics of a previous app of this process.

    BentoML 1.4 registers its request metrics in the global prometheus registry when an app
    starts, so a second ``to_asgi()`` app in one process fails with ``DuplicateTimeseries``.
    """
    from prometheus_client import REGISTRY

    for collector, names in list(REGISTRY._collector_to_names.items()):
        if any(name.startswith("bentoml_") for name in names):
            REGISTRY.unregister(collector)
    return RiskService.to_asgi()


@pytest.fixture
def client(service_environ: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(asgi_app(), raise_server_exceptions=False) as test_client:
        yield test_client


def audit_rows(env: dict[str, str]) -> list[dict]:
    log = AuditLog(env["RISK_AUDIT_URL"])
    try:
        return log.read()
    finally:
        log.close()


# ----------------------------------------------------------------- depth 1: the class


def test_class_called_directly(service_environ: dict[str, str], trained: Trained) -> None:
    service = RiskService()
    assert service.__is_ready__()
    out = service.score_customer(schemas.CustomerScoreRequest(customer_id=trained.customer_id))
    assert isinstance(out, schemas.CustomerScore)
    assert 0 <= out.probability <= 1 and out.grade in "ABCDE"
    assert out.reasons_fr and set(out.models) == {
        "payment-risk-customer",
        "payment-risk-invoice",
        "payment-risk-default",
    }
    missing = service.score_customer(schemas.CustomerScoreRequest(customer_id="NOPE"))
    assert isinstance(missing, JSONResponse) and missing.status_code == 404
    (row,) = audit_rows(service_environ)
    assert row["key_name"] == "local" and row["customer_ids"] == [trained.customer_id]


def test_class_without_models_is_not_ready(
    service_environ: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RISK_TRACKING_URI", f"sqlite:///{tmp_path}/empty/mlflow.db")
    service = RiskService()
    assert not service.__is_ready__()
    assert "no model to score with" in service.not_ready
    answer = service.score_customer(schemas.CustomerScoreRequest(customer_id="C1"))
    assert answer.status_code == 503  # type: ignore[union-attr]


def test_a_policy_with_another_default_event_is_warned_beside_the_decisions(
    service_environ: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RISK_CREDIT_POLICY sets the decisions' policy; its 120-day default event is not the
    packaged 90-day one the default model was trained with: /models and /worklist say so."""
    policy = tmp_path / "policy.yaml"
    policy.write_text("default_past_due_days: 120\n", encoding="utf-8")
    monkeypatch.setenv("RISK_CREDIT_POLICY", str(policy))
    service = RiskService()
    assert service.__is_ready__()
    assert service.scorer.policy.default_past_due_days == 120  # type: ignore[union-attr]
    (warning,) = service.models(schemas.EmptyRequest()).warnings  # type: ignore[union-attr]
    assert "days past due: 120 (model: 90)" in warning
    worklist = service.worklist(schemas.WorklistRequest(top=3))
    assert isinstance(worklist, schemas.Worklist) and worklist.warnings == [warning]
    policy.write_text("default_materiality_relative: 2\n", encoding="utf-8")
    refused = RiskService()  # a policy breaking a rule: not ready, the field named
    assert not refused.__is_ready__() and "default_materiality_relative" in refused.not_ready


# ----------------------------------------------------------------- depth 2: the ASGI app


def test_health_is_open_and_ready(client: TestClient) -> None:
    assert client.get("/livez").status_code == 200
    assert client.get("/readyz").status_code == 200
    spec = client.get("/docs.json").json()
    assert {"/score_customer", "/score_invoices", "/explain", "/models"} <= set(spec["paths"])


def test_scoring_needs_a_key(client: TestClient, trained: Trained) -> None:
    body = {"customer_id": trained.customer_id}
    missing = client.post("/score_customer", json=body)
    assert missing.status_code == 401 and "Authorization: Bearer" in missing.json()["error"]
    wrong = client.post("/score_customer", json=body, headers=auth("nope"))
    assert wrong.status_code == 403
    assert client.post("/score_customer", json=body, headers=auth(OTHER_KEY)).status_code == 200


def test_score_customer_by_id(
    client: TestClient, trained: Trained, service_environ: dict[str, str]
) -> None:
    response = client.post(
        "/score_customer", json={"customer_id": trained.customer_id}, headers=auth()
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["grade"] in list("ABCDE") and body["reasons"] and body["credit_limit"]["rules"]
    assert response.headers["x-request-id"] == body["request_id"]
    (row,) = audit_rows(service_environ)
    assert row["request_id"] == body["request_id"] and row["key_name"] == "ops"
    assert row["endpoint"] == "score_customer" and row["grade"] == [body["grade"]]
    assert row["probability"] == [pytest.approx(body["probability"], abs=1e-6)]
    assert len(row["input_sha256"]) == 64 and row["latency_ms"] > 0


def test_score_invoices_and_empty_list(client: TestClient, trained: Trained) -> None:
    response = client.post(
        "/score_invoices", json={"invoice_ids": trained.invoice_ids}, headers=auth()
    )
    assert response.status_code == 200, response.text
    scored = response.json()["invoices"]
    assert {i["invoice_id"] for i in scored} == set(trained.invoice_ids)
    assert all(0 <= i["probability"] <= 1 and i["reasons"] for i in scored)
    empty = client.post("/score_invoices", json={"invoice_ids": []}, headers=auth())
    assert empty.status_code == 200 and empty.json()["invoices"] == []


def test_explain_and_models(client: TestClient, trained: Trained) -> None:
    response = client.post(
        "/explain", json={"level": "customer", "entity_id": trained.customer_id}, headers=auth()
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert sum(body["contributions"].values()) + body["base_value"] == pytest.approx(
        body["raw_score"]
    )
    info = client.post("/models", json={}, headers=auth()).json()
    assert info["warnings"] == []  # the packaged policy, the model's default event
    assert {m["level"] for m in info["models"]} == {"customer", "invoice"}
    assert all(m["windows"]["train_end"] and "auc" in m["test_metrics"] for m in info["models"])


def test_worklist(client: TestClient) -> None:
    response = client.post("/worklist", json={"top": 5, "grades": ["C", "D", "E"]}, headers=auth())
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    assert len(rows) <= 5 and all(row["grade"] in "CDE" for row in rows)


INLINE = {
    "customers": [
        {
            "customer_id": "X1",
            "naf_code": "47.11F",
            "legal_form": "SAS",
            "created_on": "2015-01-01",
            "payment_terms_days": 30,
            "credit_limit": 5000,
        }
    ],
    "invoices": [
        {
            "invoice_id": "A",
            "customer_id": "X1",
            "issued_on": "2024-01-01",
            "due_on": "2024-01-31",
            "amount": 1000,
            "paid_on": "2024-03-15",
            "amount_paid": 1000,
        },
        {
            "invoice_id": "B",
            "customer_id": "X1",
            "issued_on": "2024-04-01",
            "due_on": "2024-05-01",
            "amount": 500,
        },
    ],
    "legal_events": [{"customer_id": "X1", "published_on": "2024-02-01", "kind": "payment_order"}],
}


def test_inline_ledger(client: TestClient) -> None:
    customer = client.post(
        "/score_customer", json={"ledger": INLINE, "as_of": "2024-06-01"}, headers=auth()
    )
    assert customer.status_code == 200, customer.text
    assert customer.json()["customer_id"] == "X1"
    invoices = client.post(
        "/score_invoices", json={"ledger": INLINE, "as_of": "2024-06-01"}, headers=auth()
    )
    assert [i["invoice_id"] for i in invoices.json()["invoices"]] == ["B"]


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"customer_id": "NOPE"}, 404, "unknown customer_id"),
        ({"customer_idx": "C1"}, 400, "extra_forbidden"),
        ({}, 400, "customer_id is required"),
        ({"customer_id": "C1", "as_of": "1066-10-14"}, 400, "between 1900-01-01"),
        (
            {"ledger": {**INLINE, "invoices": [{**INLINE["invoices"][1], "due_on": "2024-01-01"}]}},
            422,
            "invoices row 1, column due_on",
        ),
        (
            {
                "ledger": {
                    **INLINE,
                    "legal_events": [
                        {"customer_id": "ZZ", "published_on": "2024-01-01", "kind": "x"}
                    ],
                }
            },
            422,
            "legal_events row 1",
        ),
    ],
)
def test_bad_input_is_4xx_naming_field_and_rule(
    client: TestClient, body: dict, status: int, needle: str
) -> None:
    response = client.post("/score_customer", json=body, headers=auth())
    assert response.status_code == status, response.text
    assert needle in response.text


def test_limits_and_media_types(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    too_many = client.post(
        "/score_invoices", json={"invoice_ids": [f"I{i}" for i in range(1001)]}, headers=auth()
    )
    assert too_many.status_code == 400 and "too_long" in too_many.text
    pickle = client.post(
        "/score_customer",
        content=b"\x80\x04K\x01.",
        headers={**auth(), "content-type": "application/vnd.bentoml+pickle"},
    )
    assert pickle.status_code == 415
    huge = client.post(
        "/score_customer",
        content=b"{" + b" " * 2_100_000 + b"}",
        headers={**auth(), "content-type": "application/json"},
    )
    assert huge.status_code == 413
    assert client.get("/score_customer", headers=auth()).status_code == 405


def test_not_ready_without_models(
    service_environ: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RISK_TRACKING_URI", f"sqlite:///{tmp_path}/empty/mlflow.db")
    with TestClient(asgi_app()) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503 and "no model to score with" in ready.text
        assert client.get("/livez").status_code == 200
        scored = client.post("/score_customer", json={"customer_id": "C1"}, headers=auth())
        assert scored.status_code == 503 and "risk train" in scored.json()["error"]


def test_overload_answers_429(
    service_environ: dict[str, str], trained: Trained, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As BentoML's own traffic tests: a tiny max_concurrency and parallel requests."""
    traffic = {**RiskService.config["traffic"], "max_concurrency": 1}
    monkeypatch.setitem(RiskService.config, "traffic", traffic)
    statuses: list[int] = []
    with TestClient(asgi_app()) as client:

        def call() -> None:
            response = client.post(
                "/score_invoices", json={"invoice_ids": trained.invoice_ids}, headers=auth(KEY)
            )
            statuses.append(response.status_code)

        threads = [threading.Thread(target=call) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert set(statuses) <= {200, 429} and 429 in statuses and 200 in statuses
