"""Findings of issue 14 at the ASGI depth, each reproduced first: empty worklist, dates before
an entity existed, secrets in answers, audit failures, rate-limited keys, OpenAPI = service,
ledger events and status, cancelled requests."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from tests.service.conftest import KEY, Trained, auth
from tests.service.test_service_asgi import INLINE, asgi_app, audit_rows

from risk.io import load_ledger


@contextmanager
def serving(monkeypatch: pytest.MonkeyPatch, **env: str) -> Iterator[TestClient]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with TestClient(asgi_app(), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def own_ledger(trained: Trained, tmp_path: Path) -> Path:
    """A copy of the trained ledger that this test may change."""
    return Path(shutil.copytree(trained.ledger_dir, tmp_path / "own-ledger"))


def test_worklist_where_nothing_is_open_is_an_empty_list(
    service_environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(monkeypatch) as client:
        response = client.post("/worklist", json={"as_of": "1900-01-01"}, headers=auth())
    assert response.status_code == 200, response.text
    assert response.json()["rows"] == []


def test_dates_before_the_entity_existed_are_422_with_the_reason(
    service_environ: dict[str, str], trained: Trained, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = load_ledger(trained.ledger_dir)
    customer = ledger.customers.dropna(subset=["created_on"]).iloc[0]
    before = (customer["created_on"] - __import__("pandas").Timedelta(days=1)).date().isoformat()
    invoice = ledger.invoices[ledger.invoices["invoice_id"] == trained.invoice_ids[0]].iloc[0]
    day_before_issue = (invoice["issued_on"] - __import__("pandas").Timedelta(days=1)).date()
    with serving(monkeypatch) as client:
        scored = client.post(
            "/score_customer",
            json={"customer_id": customer["customer_id"], "as_of": before},
            headers=auth(),
        )
        invoices = client.post(
            "/score_invoices",
            json={"invoice_ids": [invoice["invoice_id"]], "as_of": day_before_issue.isoformat()},
            headers=auth(),
        )
    assert scored.status_code == 422, scored.text
    assert f"created on {customer['created_on'].date()}" in scored.json()["error"]
    assert invoices.status_code == 422 and "issued after as_of" in invoices.json()["error"]


def test_readyz_never_shows_a_password(
    service_environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(
        monkeypatch,
        RISK_TRACKING_URI="http://risk:s3cret-pw@127.0.0.1:9/",
        MLFLOW_HTTP_REQUEST_MAX_RETRIES="0",
        MLFLOW_HTTP_REQUEST_TIMEOUT="2",
    ) as client:
        ready = client.get("/readyz")
        scored = client.post("/score_customer", json={"customer_id": "C1"}, headers=auth())
    assert ready.status_code == 503 and "no model to score with" in ready.text
    for answer in (ready, scored):
        assert "s3cret-pw" not in answer.text and "***" in answer.text


def test_unreachable_audit_database_at_start_is_503_not_a_crash(
    service_environ: dict[str, str], trained: Trained, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(
        monkeypatch, RISK_AUDIT_URL="postgresql://audit:pw-audit-9@127.0.0.1:9/audit"
    ) as client:
        assert client.get("/livez").status_code == 200
        ready = client.get("/readyz")
        scored = client.post(
            "/score_customer", json={"customer_id": trained.customer_id}, headers=auth()
        )
    assert ready.status_code == 503 and "audit log" in ready.text
    assert scored.status_code == 503 and "not served unaudited" in scored.json()["error"]
    assert "pw-audit-9" not in ready.text + scored.text


def test_audit_failure_answers_503_flips_readyz_and_recovers(
    service_environ: dict[str, str], trained: Trained, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = service_environ["RISK_AUDIT_URL"].removeprefix("sqlite:///")
    body = {"customer_id": trained.customer_id}
    with serving(monkeypatch) as client:
        assert client.post("/score_customer", json=body, headers=auth()).status_code == 200
        with sqlite3.connect(database) as connection:  # the table becomes unwritable
            connection.execute("ALTER TABLE score_audit RENAME TO score_audit_old")
            connection.execute("CREATE VIEW score_audit AS SELECT * FROM score_audit_old")
        failed = client.post("/score_customer", json=body, headers=auth())
        assert failed.status_code == 503, failed.text
        assert "audit log" in failed.json()["error"]
        ready = client.get("/readyz")
        assert ready.status_code == 503 and "audit log" in ready.text
        with sqlite3.connect(database) as connection:
            connection.execute("DROP VIEW score_audit")
            connection.execute("ALTER TABLE score_audit_old RENAME TO score_audit")
        for _ in range(40):
            if client.get("/readyz").status_code == 200:
                break
            __import__("time").sleep(0.25)
        assert client.get("/readyz").status_code == 200
        assert client.post("/score_customer", json=body, headers=auth()).status_code == 200


def test_failed_keys_are_rate_limited_per_address(
    service_environ: dict[str, str], trained: Trained, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"customer_id": trained.customer_id}
    with serving(monkeypatch, RISK_AUTH_FAILURES="3") as client:
        statuses = [
            client.post("/score_customer", json=body, headers=auth(f"wrong-{i}")).status_code
            for i in range(3)
        ]
        blocked = client.post("/score_customer", json=body, headers=auth("wrong-4"))
    assert statuses == [403, 403, 403]
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1


def test_openapi_declares_security_and_every_status(
    service_environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(monkeypatch) as client:
        spec = client.get("/docs.json").json()
        wrong_method = client.get("/score_customer", headers=auth())
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path in ("/score_customer", "/score_invoices", "/explain", "/worklist", "/ledger/events"):
        operation = spec["paths"][path]["post"]
        assert operation["security"] == [{"bearerAuth": []}]
        assert {"400", "401", "403", "413", "415", "422", "429", "503"} <= set(
            operation["responses"]
        )
        detail = spec["components"]["schemas"]["ValidationErrorBody"]["properties"]["detail"]
        assert detail["type"] == "array"
    assert "get" in spec["paths"]["/ledger/status"]
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "POST"


def test_events_are_checked_stored_and_scored_next(
    service_environ: dict[str, str],
    trained: Trained,
    own_ledger: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ledger = load_ledger(own_ledger)
    # known at the cut-off date: published the day before (point in time: strictly before)
    day = (ledger.date_range[1] - __import__("pandas").Timedelta(days=1)).date().isoformat()
    events = {
        "legal_events": [
            {"customer_id": trained.customer_id, "published_on": day, "kind": "liquidation"},
            {"customer_id": "NOBODY", "published_on": day, "kind": "liquidation"},
        ]
    }
    body = {"customer_id": trained.customer_id}
    with serving(monkeypatch, RISK_LEDGER=str(own_ledger)) as client:
        before = client.post("/score_customer", json=body, headers=auth()).json()
        status_before = client.get("/ledger/status", headers=auth()).json()
        stored = client.post("/ledger/events", json=events, headers=auth())
        after = client.post("/score_customer", json=body, headers=auth()).json()
        status_after = client.get("/ledger/status", headers=auth()).json()
        assert client.get("/ledger/status").status_code == 401
    assert stored.status_code == 200, stored.text
    result = stored.json()
    assert result["kept"] == {"legal_events": 1} and result["quarantined"] == {"legal_events": 1}
    (issue,) = result["issues"]
    assert (issue["table"], issue["row"], issue["column"]) == ("legal_events", 2, "customer_id")
    assert before["ledger_version"] == status_before["version"]
    assert after["ledger_version"] == result["ledger_version"] == status_after["version"]
    assert after["ledger_version"] != before["ledger_version"]
    assert (
        status_after["counts"]["legal_events"] == status_before["counts"].get("legal_events", 0) + 1
    )
    # a liquidation zeroes the credit limit (credit policy): the event is in the next score
    assert before["credit_limit"]["suggested_limit"] != 0
    assert after["credit_limit"]["suggested_limit"] == 0
    assert len(load_ledger(own_ledger).legal_events) == status_after["counts"]["legal_events"]


def test_cached_score_equals_the_scoring_core(
    service_environ: dict[str, str], trained: Trained, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A score by id (cache) is the one the core computes for that customer alone."""
    from service.service import RiskService

    service = RiskService()
    try:
        snapshot, cache = service.ledgers.view
        assert cache is not None and cache.version == snapshot.version
        direct = service.scorer.score_customers(  # type: ignore[union-attr]
            snapshot.ledger, cache.as_of, [trained.customer_id], explain=True
        ).iloc[0]
        cached = cache.answer(trained.customer_id, "r1", {"m": "1"}, snapshot.version)
        assert cached is not None and cached.request_id == "r1" and cached.models == {"m": "1"}
        assert cached.ledger_version == snapshot.version
        assert cached.probability == pytest.approx(direct["probability"])
        assert cached.grade == direct["grade"] and cached.reasons_en == direct["reasons_en"]
        assert [r.feature for r in cached.reasons] == [r.feature for r in direct["reasons"]]
        assert cached.credit_limit.suggested_limit == pytest.approx(direct["suggested_limit"])
        assert cache.answer("NOPE", "r2", {}, snapshot.version) is None
    finally:
        service.ledgers.stop()


def test_sql_ledger_source(
    service_environ: dict[str, str],
    trained: Trained,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from risk.store import SqlSource

    url = f"sqlite:///{tmp_path}/ledger.db"
    SqlSource(url).import_ledger(load_ledger(trained.ledger_dir))
    with serving(monkeypatch, RISK_LEDGER=url) as client:
        status = client.get("/ledger/status", headers=auth()).json()
        scored = client.post(
            "/score_customer", json={"customer_id": trained.customer_id}, headers=auth()
        )
    assert status["version"] == "sql-1" and status["source"].startswith("database sqlite")
    assert scored.status_code == 200 and scored.json()["ledger_version"] == "sql-1"


def test_cancelled_request_is_not_audited_and_frees_its_slot(
    service_environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client disconnects right after its body: the work stops, nothing is audited."""
    body = json.dumps({"ledger": INLINE, "as_of": "2024-06-01"}).encode()
    sent: list[dict] = []

    async def drive(app: object) -> None:
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict:
            if messages:
                return messages.pop()
            await asyncio.sleep(0)
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/score_customer",
            "raw_path": b"/score_customer",
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"authorization", f"Bearer {KEY}".encode()),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
            "client": ("127.0.0.1", 5000),
            "server": ("testserver", 80),
        }
        await app(scope, receive, send)  # type: ignore[operator]
        await asyncio.sleep(3)  # let the worker thread reach its end

    with serving(monkeypatch) as client:
        client.portal.call(drive, client.app)  # type: ignore[union-attr]
        assert not [m for m in sent if m["type"] == "http.response.start"]
        assert audit_rows(service_environ) == []
        again = client.post(
            "/score_customer", json={"ledger": INLINE, "as_of": "2024-06-01"}, headers=auth()
        )
    assert again.status_code == 200
    assert len(audit_rows(service_environ)) == 1


def test_tampered_mlmodel_keeps_readyz_503_with_the_reason(
    service_environ: dict[str, str], trained: Trained, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's attack on the served store: MLmodel pointed at another booster file."""
    root = Path(trained.tracking_uri.removeprefix("sqlite:///")).parent / "artifacts"
    (mlmodel,) = [p for p in root.rglob("MLmodel") if "payment-risk-customer" in str(p)][-1:]
    original = mlmodel.read_bytes()
    booster = mlmodel.parent / "model.lgb"
    other = mlmodel.parent / "other.lgb"
    try:
        other.write_bytes(booster.read_bytes())
        mlmodel.write_bytes(original.replace(b"data: model.lgb", b"data: other.lgb"))
        with serving(monkeypatch) as client:
            ready = client.get("/readyz")
    finally:
        mlmodel.write_bytes(original)
        other.unlink(missing_ok=True)
    assert ready.status_code == 503
    assert "MLmodel changed" in ready.text and "unexpected file other.lgb" in ready.text
