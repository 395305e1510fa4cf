"""The dashboard's cash-in: the payment-timing model's forecast with its 80 % band when one is
loaded, the open amount by due date (labelled as such) when none is."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pandas as pd
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from risk import registry
from risk.portfolio import open_amounts
from risk.serving.audit import AuditLog
from risk.timing.forecast import cash_forecast, model_band
from risk.timing.score import score_open_invoices
from risk.timing.train import train_timing
from risk.web.app import create_app
from risk.web.cashin import DUE_DATE, FORECAST, cash_in, cash_in_by_week, overdue_amount
from tests.timing.conftest import FAST
from tests.web.conftest import Pages, web_keys


@pytest.fixture(scope="module")
def timing_model(scorer_and_ledger, tmp_path_factory: pytest.TempPathFactory):
    """A payment-timing model trained (fast settings) on the pages' ledger."""
    _, ledger = scorer_and_ledger
    store = registry.Store.resolve(f"sqlite:///{tmp_path_factory.mktemp('timing')}/mlflow.db")
    result = train_timing(ledger, store, FAST)
    return registry.load_model(store, "timing", alias=None, version=result.version)


def test_forecast_with_its_band(scorer_and_ledger, timing_model) -> None:
    _, ledger = scorer_and_ledger
    as_of = ledger.cutoff
    cash = cash_in(ledger, as_of, timing_model)
    assert cash.basis == FORECAST
    weeks = cash.weeks
    assert list(weeks["week"]) == list(range(1, 14))
    assert (weeks["starts_on"].diff().dropna() == pd.Timedelta(days=7)).all()
    assert (weeks["low"] >= 0).all()
    assert (weeks["low"] <= weeks["amount"] + 1e-9).all()
    assert (weeks["amount"] <= weeks["high"] + 1e-9).all()
    assert (weeks["high"] > weeks["low"]).any()  # a band, not a point
    # the model's own forecast of the invoices open at the view date, week by week, with the
    # band calibrated on its book at training (as `risk forecast`, /forecast and the batch)
    band, _ = model_band(timing_model)
    model = cash_forecast(score_open_invoices(timing_model, ledger, as_of), 13, band=band)
    assert weeks["amount"].to_numpy() == pytest.approx(model["expected"].to_numpy())
    assert weeks["high"].to_numpy() == pytest.approx(model["high"].to_numpy())
    # expected cash never exceeds what is open; the rest is shown as not expected in 13 weeks
    total = float(open_amounts(ledger, as_of)["open_amount"].sum())
    assert cash.open_total == pytest.approx(total)
    assert weeks["amount"].sum() <= total + 1e-6
    assert weeks["amount"].sum() + cash.beyond == pytest.approx(total)


def test_without_a_timing_model_by_due_date(scorer_and_ledger) -> None:
    _, ledger = scorer_and_ledger
    as_of = ledger.cutoff
    cash = cash_in(ledger, as_of, None)
    items = open_amounts(ledger, as_of)
    assert cash.basis == DUE_DATE
    assert cash.weeks["amount"].to_numpy() == pytest.approx(
        cash_in_by_week(items, as_of)["amount"].to_numpy()
    )
    assert (cash.weeks["low"] == cash.weeks["amount"]).all()
    assert (cash.weeks["high"] == cash.weeks["amount"]).all()
    assert cash.overdue == pytest.approx(overdue_amount(items, as_of))


@pytest.fixture(scope="module")
def forecast_pages(scorer_and_ledger, timing_model, tmp_path_factory: pytest.TempPathFactory):
    scorer, ledger = scorer_and_ledger
    tmp = tmp_path_factory.mktemp("web-forecast")
    audit = AuditLog(f"sqlite:///{tmp}/audit.db")
    context = SimpleNamespace(
        scorer=dataclasses.replace(scorer, timing_model=timing_model),
        ledger=ledger, audit=audit, not_ready="",
    )  # fmt: skip
    env = {
        "RISK_API_KEYS": web_keys(),
        "RISK_ACTIONS_URL": f"sqlite:///{tmp}/actions.db",
        "RISK_AUDIT_URL": f"sqlite:///{tmp}/audit.db",
    }
    app = Starlette(routes=[Mount("/app", app=create_app(lambda: context, env))])
    with TestClient(app, base_url="http://testserver") as client:
        yield Pages(client, audit, context)
    audit.close()


def test_dashboard_labels_the_forecast(forecast_pages: Pages) -> None:
    forecast_pages.sign_in()
    page = forecast_pages.client.get("/app/dashboard", headers={"accept-language": "en"})
    assert page.status_code == 200
    assert 'data-basis="forecast"' in page.text
    assert "payment-timing model, 80 % band" in page.text
    assert 'class="band"' in page.text
    french = forecast_pages.client.get("/app/dashboard", headers={"accept-language": "fr"})
    assert "Prévision des encaissements" in french.text


def test_dashboard_labels_the_due_date_fallback(pages: Pages) -> None:
    assert pages.context.scorer.timing_model is None  # the service tests train no timing model
    pages.sign_in()
    page = pages.client.get("/app/dashboard", headers={"accept-language": "en"})
    assert 'data-basis="due_date"' in page.text
    assert "by due date, not a forecast" in page.text
    assert 'class="band"' not in page.text
