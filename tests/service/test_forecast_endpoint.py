"""``POST /forecast``: the cash-in forecast of ``risk.timing.forecast`` over HTTP (ASGI depth),
authenticated, audited, documented, 4xx for bad input.

The session's shared store has no payment-timing model (other tests check that it is optional),
so this module copies it and trains one (fast settings) into the copy.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from starlette.testclient import TestClient
from tests.service.conftest import Trained, auth, service_env
from tests.service.test_service_asgi import asgi_app, audit_rows
from tests.timing_fast import fast_timing

from risk import registry
from risk.io import load_ledger
from risk.timing.forecast import Scenario, forecast_cash_in
from risk.timing.train import train_timing

#: a payment-timing model trained in seconds (few snapshots, weeks and rounds)
FAST = fast_timing(40)


@pytest.fixture(scope="module")
def timing_store(trained: Trained, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A copy of the session's store with a payment-timing champion added."""
    source = Path(trained.tracking_uri.removeprefix("sqlite:///"))
    target = tmp_path_factory.mktemp("forecast-store") / "mlruns"
    shutil.copytree(source.parent, target)
    store = registry.Store.resolve(f"sqlite:///{target / source.name}")
    train_timing(load_ledger(trained.ledger_dir), store, FAST)
    registry.load_model(store, "timing")  # the champion alias is set
    return store.tracking_uri


@pytest.fixture
def forecast_env(
    trained: Trained, timing_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    env = service_env(trained, tmp_path, RISK_TRACKING_URI=timing_store)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("RISK_API_KEYS_FILE", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def client(forecast_env: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(asgi_app(), raise_server_exceptions=False) as test_client:
        yield test_client


def _frame(body: dict) -> pd.DataFrame:
    return pd.DataFrame(body["rows"])


def test_forecast_needs_a_key(client: TestClient) -> None:
    # a route missing from SCORING_ROUTES would answer 404 here, not 401
    assert client.post("/forecast", json={}).status_code == 401
    assert client.post("/forecast", json={}, headers=auth("nope")).status_code == 403


def test_forecast_is_the_timing_forecast_and_is_audited(
    client: TestClient, trained: Trained, timing_store: str, forecast_env: dict[str, str]
) -> None:
    response = client.post("/forecast", json={"weeks": 13}, headers=auth())
    assert response.status_code == 200, response.text
    body = response.json()
    ledger = load_ledger(trained.ledger_dir)
    model = registry.load_model(registry.Store.resolve(timing_store), "timing")
    direct = forecast_cash_in(model, ledger, ledger.cutoff, 13)
    assert body["as_of"] == str(ledger.cutoff.date()) and body["by"] == "total"
    assert body["scenario"] == "none"
    assert body["open_invoices"] == len(direct.scored.scores) > 0
    rows = _frame(body)
    assert list(rows["week"]) == list(range(1, 14)) and set(rows["group"]) == {"all"}
    assert rows["expected"].to_numpy() == pytest.approx(direct.rows["expected"].to_numpy())
    assert rows["high"].to_numpy() == pytest.approx(direct.rows["high"].to_numpy())
    assert (rows["low"] <= rows["expected"]).all() and (rows["expected"] <= rows["high"]).all()
    # only the cash of invoices open at as_of is forecast: never more than their open amount
    assert body["expected_total"] <= body["open_amount"] + 1e-6
    assert body["models"]["payment-timing"]
    (row,) = audit_rows(forecast_env)
    assert row["endpoint"] == "forecast" and row["request_id"] == body["request_id"]
    assert row["key_name"] == "ops" and row["model_versions"]["ledger"] == body["ledger_version"]


def test_breakdowns_add_up_to_the_total(client: TestClient) -> None:
    total = _frame(client.post("/forecast", json={"weeks": 6}, headers=auth()).json())
    for by in ("customer", "sector", "grade"):
        response = client.post(
            "/forecast", json={"weeks": 6, "by": by, "top": 1000}, headers=auth()
        )
        assert response.status_code == 200, response.text
        body = response.json()
        rows = _frame(body)
        assert rows["group"].nunique() == body["groups"] > 1
        weekly = rows.groupby("week")["expected"].sum().to_numpy()
        assert weekly == pytest.approx(total["expected"].to_numpy()), by
    grades = _frame(client.post("/forecast", json={"by": "grade"}, headers=auth()).json())
    assert set(grades["group"]) <= {"A", "B", "C", "D", "E", "unknown"}


def test_top_keeps_the_largest_groups(client: TestClient) -> None:
    every = _frame(
        client.post("/forecast", json={"by": "customer", "top": 1000}, headers=auth()).json()
    )
    sizes = every.groupby("group")["expected"].sum().sort_values(ascending=False)
    body = client.post("/forecast", json={"by": "customer", "top": 3}, headers=auth()).json()
    shown = list(dict.fromkeys(r["group"] for r in body["rows"]))
    assert shown == list(sizes.index[:3]) and body["groups"] == len(sizes)


def test_scenario_everyone_a_week_later_shifts_the_forecast(client: TestClient) -> None:
    base = _frame(client.post("/forecast", json={"weeks": 8}, headers=auth()).json())
    stress = {"delay_top_customers": 100_000, "delay_days": 7}
    response = client.post("/forecast", json={"weeks": 8, "scenario": stress}, headers=auth())
    assert response.status_code == 200, response.text
    late = _frame(response.json())
    # every customer pays 7 days later: nothing in week 1, week k + 1 holds base week k
    assert late.loc[0, "expected"] == pytest.approx(0.0)
    assert late["expected"].to_numpy()[1:] == pytest.approx(base["expected"].to_numpy()[:-1])
    assert response.json()["scenario"] == "the 100000 largest customers pay 7 days later"


def test_sector_scenario_slows_only_that_sector(client: TestClient) -> None:
    by_sector = _frame(
        client.post("/forecast", json={"by": "sector", "top": 1000}, headers=auth()).json()
    )
    sector = by_sector.groupby("group")["expected"].sum().idxmax()
    body = {
        "by": "sector",
        "top": 1000,
        "scenario": {"sector": sector, "sector_hazard_factor": 0.5},
    }
    slow = _frame(client.post("/forecast", json=body, headers=auth()).json())
    base_week1 = by_sector.set_index(["group", "week"])["expected"]
    slow_week1 = slow.set_index(["group", "week"])["expected"]
    assert slow_week1[(sector, 1)] < base_week1[(sector, 1)]
    others = [g for g in by_sector["group"].unique() if g != sector]
    assert slow_week1.loc[others].to_numpy() == pytest.approx(base_week1.loc[others].to_numpy())


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"weeks": 0}, 400, "weeks"),
        ({"weeks": 53}, 400, "weeks"),
        ({"by": "region"}, 400, "by"),
        ({"as_of": "2001-01-01"}, 422, "before the ledger's first event"),
        ({"scenario": {"sector": "U", "sector_hazard_factor": 0.5}}, 422, "sector 'U'"),
        ({"scenario": {"sector": "unknown"}}, 400, "sector"),
        ({"scenario": {"delay_days": -1}}, 400, "delay_days"),
        ({"top": 0}, 400, "top"),
    ],
)
def test_bad_input_is_4xx_naming_the_rule(
    client: TestClient, body: dict, status: int, words: str
) -> None:
    response = client.post("/forecast", json=body, headers=auth())
    assert response.status_code == status, response.text
    assert words in response.text


def test_openapi_documents_forecast(client: TestClient) -> None:
    spec = client.get("/docs.json").json()
    operation = spec["paths"]["/forecast"]["post"]
    assert operation["security"] == [{"bearerAuth": []}]
    assert {"200", "400", "401", "403", "409", "422", "429"} <= set(operation["responses"])
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["title"].startswith("CashForecastOut")  # BentoML inlines it
    assert {"rows", "expected_total", "open_amount", "scenario"} <= set(answer["required"])
    week = spec["components"]["schemas"]["ForecastWeek"]["properties"]
    assert {"group", "week", "week_start", "expected", "low", "high"} <= set(week)


def test_without_a_timing_model_forecast_is_409_with_the_command(
    trained: Trained, service_environ: dict[str, str]
) -> None:
    """The shared store has no payment-timing model: the other endpoints work, this one says
    how to get one."""
    with TestClient(asgi_app(), raise_server_exceptions=False) as plain:
        response = plain.post("/forecast", json={}, headers=auth())
    assert response.status_code == 409, response.text
    assert "risk train --level timing" in response.json()["error"]


def test_scenario_of_maps_the_request() -> None:
    from risk.serving import schemas
    from risk.serving.forecast import scenario_of

    request = schemas.ForecastRequest(
        scenario=schemas.ForecastScenario(delay_top_customers=5, delay_days=30)
    )
    assert scenario_of(request) == Scenario(delay_top_customers=5, delay_days=30)
    assert scenario_of(schemas.ForecastRequest()).is_base
