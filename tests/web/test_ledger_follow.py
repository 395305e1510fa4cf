"""The pages follow the service's ledger: recorded actions are ledger events (reminder rows
stored by the service's ledger source, a new ledger version, the customer rescored), events sent
to the API show on the next page, and a reload of the source rebuilds the pages' figures."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from risk.io import load_ledger
from risk.portfolio import open_amounts
from risk.serving.audit import AuditLog
from risk.serving.cache import update_cache
from risk.store import FolderSource, LedgerState
from risk.web.app import create_app
from tests.web.conftest import Pages, web_keys


@pytest.fixture
def service(scorer_and_ledger, trained, tmp_path: Path):
    """The parts of the service the pages read: scorer, the ledger state of a folder (with the
    service's score cache as its ``prepare`` hook), the audit log."""
    scorer, _ = scorer_and_ledger
    folder = tmp_path / "ledger"
    shutil.copytree(trained.ledger_dir, folder)
    ledgers = LedgerState(
        FolderSource(folder), prepare=lambda s, c, p: update_cache(scorer, s, c, p)
    )
    ledgers.refresh()
    audit = AuditLog(f"sqlite:///{tmp_path}/audit.db")
    context = SimpleNamespace(scorer=scorer, ledgers=ledgers, audit=audit, not_ready="")
    env = {
        "RISK_API_KEYS": web_keys(),
        "RISK_ACTIONS_URL": f"sqlite:///{tmp_path}/actions.db",
        "RISK_AUDIT_URL": f"sqlite:///{tmp_path}/audit.db",
    }
    web = create_app(lambda: context, env)
    app = Starlette(routes=[Mount("/app", app=web)])
    with TestClient(app, base_url="http://testserver") as client:
        pages = Pages(client, audit, context)
        pages.sign_in()
        yield SimpleNamespace(pages=pages, web=web.state.web, ledgers=ledgers, folder=folder)
    audit.close()


def _collectable(snap) -> str:
    invoices = snap.invoices
    blocked = set(
        invoices.loc[invoices["disputed"] | (invoices["action"] == "declare_claim"), "customer_id"]
    )
    rows = snap.customers[(snap.customers["step"] > 0) & ~snap.customers.index.isin(blocked)]
    return str(rows.index[0])


def test_a_promise_is_a_ledger_event_and_changes_the_next_action(service) -> None:
    state = service.web.state()
    snap = state.snapshot()
    assert snap.scores.index.isin(service.ledgers.view[1].customers.index).all()
    customer_id = _collectable(snap)
    version = service.ledgers.snapshot.version
    assert snap.version == version
    invoices = list(snap.customers.loc[customer_id, "action_invoices"])
    promised = (snap.as_of + pd.Timedelta(days=10)).date()
    page = service.pages.client.get(f"/app/customers/{customer_id}")
    answer = service.pages.client.post(
        f"/app/customers/{customer_id}/actions",
        data={"csrf": service.pages.csrf(page.text), "kind": "promise",
              "promised_on": promised.isoformat()},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert 'data-action="wait_promise"' in answer.text
    # a new ledger version whose reminders hold the promise, stored in the ledger folder
    current = service.ledgers.snapshot
    assert current.version != version
    stored = load_ledger(service.folder).reminders
    promises = stored[stored["invoice_id"].isin(invoices) & (stored["outcome"] == "promise_to_pay")]
    assert len(promises) >= len(set(invoices))
    assert (promises["promised_on"] == pd.Timestamp(promised)).any()
    assert service.web.state().snapshot().version == current.version
    sheet = service.pages.client.get(f"/app/customers/{customer_id}")
    assert 'id="next-action" data-action="wait_promise"' in sheet.text


def test_events_from_the_api_show_on_the_next_page(service) -> None:
    snap = service.web.state().snapshot()
    customer_id = _collectable(snap)
    assert customer_id in snap.customers.index
    ledger = service.ledgers.snapshot.ledger
    items = open_amounts(ledger, snap.as_of)
    mine = items[items["customer_id"] == customer_id]
    payments = pd.DataFrame(
        {
            "payment_id": [f"WEBTEST-{i}" for i in range(len(mine))],
            "invoice_id": mine["invoice_id"].astype(str).to_numpy(),
            "paid_on": (snap.as_of - pd.Timedelta(days=1)).date().isoformat(),
            "amount": [f"{a:.2f}" for a in mine["open_amount"]],
        }
    )
    check, _ = service.ledgers.append({"payments": payments})  # as POST /ledger/events does
    assert check.kept["payments"] == len(mine)
    after = service.web.state().snapshot()
    assert after.version == service.ledgers.snapshot.version
    # nothing left owed (invoices paid by payments keep no open amount)
    if customer_id in after.customers.index:
        assert after.customers.loc[customer_id, "total_owed"] == pytest.approx(0.0, abs=0.01)
    before_owed = snap.customers.loc[customer_id, "total_owed"]
    assert before_owed > 0
    page = service.pages.client.get("/app/worklist?sort=name")
    assert page.status_code == 200
    others = snap.customers.index.difference([customer_id])
    pd.testing.assert_series_equal(
        after.customers.loc[others, "total_owed"], snap.customers.loc[others, "total_owed"]
    )


def test_a_reload_rebuilds_the_pages(service) -> None:
    web, ledgers = service.web, service.ledgers
    old = web.state().snapshot()
    customers = pd.read_csv(service.folder / "customers.csv", dtype=str, keep_default_na=False)
    renamed = str(customers.loc[0, "customer_id"])
    customers.loc[0, "name"] = "Rechargé SARL"
    (service.folder / "customers.csv").write_text(customers.to_csv(index=False))
    assert ledgers.refresh()  # the watcher's reload (a new version, changes unknown)
    assert web.state() is not None  # the pages keep answering while they rebuild
    deadline = time.monotonic() + 600  # waiting for the background rebuild, not timing it
    while web.state().snapshot().version != ledgers.snapshot.version:
        assert time.monotonic() < deadline, "the pages never rebuilt on the reloaded ledger"
        time.sleep(0.2)
    new = web.state().snapshot()
    assert new.version != old.version
    names = new.ledger.customers.set_index("customer_id")["name"]
    assert names[renamed] == "Rechargé SARL"
    page = service.pages.client.get(f"/app/customers/{renamed}")
    assert "Rechargé SARL" in page.text
