"""Unit tests of the plain parts: API keys, settings, audit log, inline ledgers."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from risk.errors import ConfigError
from risk.serving import schemas
from risk.serving.app import InputError, inline_ledger
from risk.serving.audit import AuditLog, AuditRecord
from risk.serving.auth import AuthError, KeyRing, hash_key, key_line, parse_env_keys, verify_key
from risk.serving.settings import ServiceSettings


def test_hash_key_is_salted_and_verifies() -> None:
    first, second = hash_key("s3cret"), hash_key("s3cret")
    assert first != second and first.startswith("scrypt$")
    assert verify_key("s3cret", first) and not verify_key("other", first)
    assert verify_key("abc", "sha256$" + hashlib.sha256(b"abc").hexdigest())


def test_keyring_names_keys_from_file_and_env(tmp_path: Path) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text(f"ops: {hash_key('k-ops')}\n")
    ring = KeyRing.load(path, f"erp:{hash_key('k-erp')}")
    assert ring.authorise("Bearer k-ops") == "ops"
    assert ring.authorise("bearer k-erp") == "erp"
    with pytest.raises(AuthError) as missing:
        ring.authorise(None)
    assert missing.value.status == 401
    with pytest.raises(AuthError) as wrong:
        ring.authorise("Bearer nope")
    assert wrong.value.status == 403


def test_json_key_file_and_bad_entries(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"ops": hash_key("x")}))
    assert KeyRing.load(path, "").authorise("Bearer x") == "ops"
    with pytest.raises(ConfigError, match="expected name:hash"):
        parse_env_keys("justahash")
    with pytest.raises(ConfigError, match="scrypt"):
        KeyRing.load(None, "ops:md5$abc")


def test_no_key_configured_refuses_with_the_reason() -> None:
    with pytest.raises(AuthError, match="no API key is configured"):
        KeyRing.load(None, "").authorise("Bearer x")


def test_key_line_round_trips() -> None:
    secret, line = key_line("ops-team")
    name, hashed = line.split(": ")
    assert name == "ops-team" and verify_key(secret, hashed)
    with pytest.raises(ConfigError):
        key_line("bad name")


def test_settings_from_env() -> None:
    settings = ServiceSettings.from_env(
        {"RISK_LEDGER": "/x", "RISK_MAX_ROWS": "5", "MLFLOW_TRACKING_URI": "http://mlflow:5000"}
    )
    assert settings.ledger_dir == Path("/x") and settings.max_rows == 5
    assert settings.tracking_uri == "http://mlflow:5000" and settings.alias == "champion"
    with pytest.raises(ConfigError, match="RISK_MAX_ROWS"):
        ServiceSettings.from_env({"RISK_MAX_ROWS": "-1"})
    with pytest.raises(ConfigError, match="RISK_MODEL_SOURCE"):
        ServiceSettings.from_env({"RISK_MODEL_SOURCE": "s3"})


def _record() -> AuditRecord:
    return AuditRecord(
        request_id="r1",
        key_name="ops",
        endpoint="score_customer",
        input_sha256="0" * 64,
        latency_ms=12.5,
        model_versions={"payment-risk-customer": "3"},
        customer_ids=["C1"],
        probability=[0.25],
        grade=["C"],
    )


def test_audit_log_on_sqlite(tmp_path: Path) -> None:
    log = AuditLog(f"sqlite:///{tmp_path}/sub/audit.db")
    log.write(_record())
    (row,) = log.read()
    assert row["customer_ids"] == ["C1"] and row["grade"] == ["C"] and row["key_name"] == "ops"
    assert row["model_versions"] == {"payment-risk-customer": "3"} and row["latency_ms"] == 12.5


def test_concurrent_audit_writes_are_each_committed_once(tmp_path: Path) -> None:
    """Writers that arrive together share a transaction; each returns once its row is stored."""
    import dataclasses
    from concurrent.futures import ThreadPoolExecutor

    log = AuditLog(f"sqlite:///{tmp_path}/audit.db")
    ids = [f"r{i:03d}" for i in range(64)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: log.write(dataclasses.replace(_record(), request_id=i)), ids))
    assert sorted(row["request_id"] for row in log.read(limit=1000)) == ids
    log.close()


def test_audit_write_into_a_dropped_table_raises_for_the_writer(tmp_path: Path) -> None:
    from risk.serving.audit import AuditUnavailableError, score_audit

    log = AuditLog(f"sqlite:///{tmp_path}/audit.db")
    score_audit.drop(log.engine)
    with pytest.raises(AuditUnavailableError, match="score_audit"):
        log.write(_record())
    assert "unavailable" in log.error
    log.close()


def test_async_audit_writes_are_each_committed_once_then_failures_raise(tmp_path: Path) -> None:
    """``write_async`` (the score-by-id route's): each coroutine returns once its row is
    committed; a failed transaction raises for each of its writers and marks the log unusable
    (``check``, hence /readyz), and the next committed row clears it."""
    import asyncio
    import dataclasses

    from risk.serving.audit import AuditUnavailableError, score_audit

    log = AuditLog(f"sqlite:///{tmp_path}/audit.db")
    ids = [f"a{i:03d}" for i in range(40)]

    async def write_all(names: list[str]) -> list[object]:
        return await asyncio.gather(
            *(log.write_async(dataclasses.replace(_record(), request_id=i)) for i in names),
            return_exceptions=True,
        )

    assert asyncio.run(write_all(ids)) == [None] * 40
    assert sorted(row["request_id"] for row in log.read(limit=1000)) == ids
    # the driver-level insert stores what SQLAlchemy's own statement stores
    from sqlalchemy import insert, text

    with log.engine.begin() as connection:
        connection.execute(insert(score_audit).values(**_record().row()))
        stored = connection.execute(
            text("SELECT * FROM score_audit ORDER BY id DESC LIMIT 2")
        ).fetchall()
    (by_sqlalchemy, by_driver) = [dict(r._mapping) for r in stored]
    for name in ("id", "request_id", "created_at"):
        by_sqlalchemy.pop(name), by_driver.pop(name)
    assert by_sqlalchemy == by_driver
    assert isinstance(log.read(limit=2)[1]["created_at"], type(_record().created_at))
    assert len(stored[0].created_at) == len(stored[1].created_at)
    with log.engine.begin() as connection:
        connection.execute(text("DELETE FROM score_audit WHERE request_id = 'r1'"))
    score_audit.drop(log.engine)
    failed = asyncio.run(write_all(["b1", "b2", "b3"]))
    assert all(isinstance(e, AuditUnavailableError) for e in failed)
    assert "unavailable" in log.error and "unavailable" in log.check()
    score_audit.create(log.engine)
    assert asyncio.run(write_all(["c1"])) == [None]
    assert log.error == "" and [r["request_id"] for r in log.read()] == ["c1"]
    log.close()


def test_audit_queue_bound_refuses_without_marking_the_database(tmp_path: Path) -> None:
    from risk.serving.audit import AuditUnavailableError

    log = AuditLog(f"sqlite:///{tmp_path}/audit.db", max_queued=0)
    with pytest.raises(AuditUnavailableError, match="rows waiting"):
        log.write(_record())
    assert log.check() == ""
    log.close()


def test_rows_queued_at_close_are_committed(tmp_path: Path) -> None:
    import dataclasses
    import threading

    log = AuditLog(f"sqlite:///{tmp_path}/audit.db")
    writers = [
        threading.Thread(
            target=log.write, args=(dataclasses.replace(_record(), request_id=f"z{i}"),)
        )
        for i in range(8)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    log.close()
    again = AuditLog(f"sqlite:///{tmp_path}/audit.db")
    assert len(again.read()) == 8
    again.close()


@pytest.mark.postgres
def test_audit_log_on_postgresql(fresh_postgres_database: str) -> None:
    log = AuditLog(fresh_postgres_database)
    log.write(_record())
    (row,) = log.read()
    assert row["probability"] == [0.25] and row["created_at"].tzinfo is not None
    log.close()


def _inline(**invoice: object) -> schemas.InlineLedger:
    row = {
        "invoice_id": "A",
        "customer_id": "X1",
        "issued_on": "2024-01-01",
        "due_on": "2024-01-31",
        "amount": 100.0,
        **invoice,
    }
    return schemas.InlineLedger.model_validate(
        {"customers": [{"customer_id": "X1", "naf_code": "47.11F"}], "invoices": [row]}
    )


def test_inline_ledger_is_validated_by_the_contracts() -> None:
    ledger = inline_ledger(_inline(), max_rows=100)
    assert list(ledger.invoices["invoice_id"]) == ["A"]
    with pytest.raises(InputError, match=r"invoices row 1, column due_on: .*issued_on") as bad:
        inline_ledger(_inline(due_on="2023-12-01"), max_rows=100)
    assert bad.value.status == 422
    with pytest.raises(InputError, match="at most 1 per request") as big:
        inline_ledger(_inline(), max_rows=1)
    assert big.value.status == 413


def test_inline_ledger_typed_columns_give_the_ledger_of_the_same_rows_as_text() -> None:
    """The inline rows reach the contracts typed (dates, numbers, flags, as a Parquet source
    gives them): the kept ledger is the one the same rows written as CSV text give."""
    import pandas as pd

    from risk.contracts import TABLES
    from risk.serving.app import _rows
    from risk.validation import validate_tables

    inline = schemas.InlineLedger.model_validate(
        {
            "customers": [
                {
                    "customer_id": "X1",
                    "naf_code": "47.11F",
                    "legal_form": "SAS",
                    "created_on": "2015-03-04",
                    "employees": 12,
                    "payment_terms_days": 45,
                    "end_of_month_terms": True,
                    "credit_limit": 2500.5,
                },
                {"customer_id": "X2", "siren": "732829320"},
            ],
            "invoices": [
                {
                    "invoice_id": "A",
                    "customer_id": "X1",
                    "issued_on": "2024-01-10",
                    "due_on": "2024-02-09",
                    "amount": 1200.1,
                    "paid_on": "2024-03-01",
                    "amount_paid": 1200.1,
                    "disputed": False,
                    "channel": "paper",
                },
                {
                    "invoice_id": "B",
                    "customer_id": "X2",
                    "issued_on": "2024-01-11",
                    "due_on": "2024-02-10",
                    "amount": 0.3,
                },
                {  # negative: a credit note
                    "invoice_id": "C",
                    "customer_id": "X2",
                    "issued_on": "2024-01-12",
                    "due_on": "2024-01-12",
                    "amount": -50,
                },
            ],
            "legal_events": [
                {"customer_id": "X2", "published_on": "2024-02-01", "kind": "payment_order"}
            ],
        }
    )
    text = {
        "customers": _rows(inline.customers, schemas.CustomerRow),
        "invoices": _rows(inline.invoices, schemas.InvoiceRow),
        "legal_events": _rows(inline.legal_events, schemas.LegalEventRow),
    }
    for name in ("payments", "reminders", "invoice_statuses"):
        text[name] = pd.DataFrame(columns=[c.name for c in TABLES[name].columns], dtype="str")
    expected = validate_tables(text).ledger
    typed = inline_ledger(inline, max_rows=100)
    for name in ("customers", "invoices", "credit_notes", "legal_events", "payments"):
        pd.testing.assert_frame_equal(getattr(typed, name), getattr(expected, name))


# ---------------------------------------------------------------- what schemathesis found


def test_numbers_and_dates_of_a_request_are_not_coerced_from_other_json_types() -> None:
    """``credit_limit: false`` and ``promised_on: 0`` were accepted (pydantic's lax mode read
    them as 0.0 and 1970-01-01) while the document says number and date string: now 400."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="credit_limit"):
        schemas.CustomerRow.model_validate({"customer_id": "C1", "credit_limit": False})
    with pytest.raises(ValidationError, match="promised_on"):
        schemas.ReminderRow.model_validate(
            {"invoice_id": "I1", "sent_on": "2024-01-01", "step": 1, "channel": "email",
             "promised_on": 0}
        )  # fmt: skip
    with pytest.raises(ValidationError, match="disputed"):
        schemas.InvoiceRow.model_validate(
            {"invoice_id": "I1", "customer_id": "C1", "issued_on": "2024-01-01",
             "due_on": "2024-02-01", "amount": 10, "disputed": "yes"}
        )  # fmt: skip
    with pytest.raises(ValidationError, match="employees"):
        schemas.CustomerRow.model_validate({"customer_id": "C1", "employees": "12"})
    row = schemas.CustomerRow.model_validate(
        {"customer_id": "C1", "credit_limit": 20000, "created_on": "2015-01-01"}
    )
    assert row.credit_limit == 20000.0 and str(row.created_on) == "2015-01-01"


def _bentoml_body(model: type[schemas.Strict]) -> dict[str, object]:
    """A request body as BentoML 1.4 declares it: optional fields without ``null``, the first
    field of the model's ``anyOf`` listed as required."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    schema.pop("anyOf", None)
    for prop in list(schema.get("properties", {}).values()):
        if "anyOf" in prop:
            kept = [p for p in prop.pop("anyOf") if p != {"type": "null"}]
            prop.update(kept[0])
    if model is schemas.InvoiceScoreRequest:
        schema["required"] = ["invoice_ids"]
    schema["title"] = f"{model.__name__}IODescriptor"
    return {"content": {"application/json": {"schema": schema}}, "required": True}


def test_request_bodies_are_declared_as_the_models_validate_them() -> None:
    """The document BentoML generates refused ``invoice_ids: null`` beside an inline ledger and
    required a body for ``/models`` and ``/worklist``, all of which the service accepts."""
    import jsonschema

    from risk.serving.openapi import _body_as_validated

    invoices = _bentoml_body(schemas.InvoiceScoreRequest)
    _body_as_validated(invoices)
    schema = invoices["content"]["application/json"]["schema"]  # type: ignore[index]
    ledger = {"customers": [{"customer_id": "C1"}]}
    refs = {"$ref": "#/components/schemas/InlineLedger"}
    assert schema["properties"]["ledger"]["anyOf"][0] == refs
    schema["properties"]["ledger"]["anyOf"][0] = {"type": "object"}  # no components here
    jsonschema.validate({"invoice_ids": None, "ledger": ledger}, schema)
    jsonschema.validate({"invoice_ids": ["I1"]}, schema)
    for refused in ({"invoice_ids": None}, {}, {"ledger": None}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(refused, schema)
    schemas.InvoiceScoreRequest.model_validate({"invoice_ids": None, "ledger": ledger})
    assert invoices["required"] is True
    for model in (schemas.EmptyRequest, schemas.WorklistRequest):
        body = _bentoml_body(model)
        _body_as_validated(body)
        assert body["required"] is False  # the service reads a missing body as {}
        model.model_validate({})
