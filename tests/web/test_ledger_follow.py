"""The pages follow the service's ledger: recorded actions are ledger events (reminder rows
stored by the service's ledger source, a new ledger version, the customer rescored), events sent
to the API show on the next page, and a reload of the source rebuilds the pages' figures."""

from __future__ import annotations

import re
import shutil
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from risk.decisions.worklist import decide_worklist, scored_items
from risk.io import load_ledger
from risk.ledger import subset_ledger
from risk.portfolio import AGING_BUCKETS, open_amounts, portfolio_overview
from risk.serving.audit import AuditLog
from risk.serving.cache import update_cache
from risk.store import FolderSource, LedgerState
from risk.web.app import create_app
from risk.web.worklist import customer_rows
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


def _kpi(html: str, name: str) -> float:
    """An amount of the dashboard's KPI block, as the page prints it in English."""
    text = re.search(rf'id="kpi-{name}">([^<]+)<', html).group(1)
    return float(re.sub(r"[^\d.\-]", "", text))


def _aged(html: str) -> list[float]:
    table = re.search(r'id="aged-table">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
    return [float(re.sub(r"[^\d.\-]", "", re.findall(r"<td[^>]*>([^<]*)</td>", r)[1]))
            for r in rows if "<td" in r]  # fmt: skip


def test_dashboard_amounts_follow_a_payment_posted_to_the_api(service) -> None:
    """A payment posted as a ledger event lowers the dashboard's open receivables, overdue and
    the invoice's aged bucket by the amount paid, on the next page."""
    snap = service.web.state().snapshot()
    items = open_amounts(service.ledgers.snapshot.ledger, snap.as_of)
    # an overdue invoice owing more than the payment (a partial payment of 100.00)
    target = items[(items["days_past_due"] > 0) & (items["open_amount"] > 150)].iloc[0]
    before = service.pages.client.get("/app/dashboard", headers={"accept-language": "en"}).text
    paid = 100.00
    payments = pd.DataFrame(
        {
            "payment_id": ["WEBTEST-PARTIAL"],
            "invoice_id": [str(target["invoice_id"])],
            "paid_on": [(snap.as_of - pd.Timedelta(days=1)).date().isoformat()],
            "amount": [f"{paid:.2f}"],
        }
    )
    check, _ = service.ledgers.append({"payments": payments})  # as POST /ledger/events does
    assert check.kept["payments"] == 1
    after = service.pages.client.get("/app/dashboard", headers={"accept-language": "en"}).text
    # open amount = amount - payments dated before the view date (risk.portfolio.open_amounts)
    assert _kpi(after, "open") == pytest.approx(_kpi(before, "open") - paid, abs=0.005)
    assert _kpi(after, "overdue") == pytest.approx(_kpi(before, "overdue") - paid, abs=0.005)
    buckets = [b for b, low, high in AGING_BUCKETS if low <= target["days_past_due"] <= high]
    moved = [b for b, _, _ in AGING_BUCKETS].index(buckets[0])
    expected = _aged(before)
    expected[moved] -= paid
    assert _aged(after) == pytest.approx(expected, abs=0.005)
    # the incremental figures equal the whole-ledger overview of the new ledger
    board = service.web.state().snapshot().dashboard
    full = portfolio_overview(service.ledgers.snapshot.ledger, snap.as_of)
    assert board.overview.open_receivables == pytest.approx(full.open_receivables, abs=0.005)
    assert board.overview.n_open_invoices == full.n_open_invoices
    assert board.overview.dso_days == pytest.approx(full.dso_days)
    pd.testing.assert_frame_equal(
        board.overview.aged_balance, full.aged_balance, check_exact=False, atol=0.005
    )


def test_a_recorded_action_reuses_the_service_scores(service, monkeypatch) -> None:
    """Recording an action scores the customer once (the service's cache refresh); the pages
    decide its invoices from those cached scores and reasons, and show the same rows as pages
    built from scratch on the new ledger; the sheet lists the action and the worklist row
    shows the new next action."""
    state = service.web.state()
    snap = state.snapshot()
    customer_id = _collectable(snap)
    scorer = state.scorer
    calls: list[str] = []
    for name in ("score_customers", "score_invoices"):
        real = getattr(scorer, name)

        def counted(*args, _real=real, _name=name, **kwargs):
            if threading.current_thread().name != "risk-web-history":  # month-end scorings
                calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(scorer, name, counted)
    promised = (snap.as_of + pd.Timedelta(days=12)).date()
    page = service.pages.client.get(f"/app/customers/{customer_id}")
    calls.clear()
    answer = service.pages.client.post(
        f"/app/customers/{customer_id}/actions",
        data={"csrf": service.pages.csrf(page.text), "kind": "promise",
              "promised_on": promised.isoformat(), "note": "paiement promis au téléphone"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text  # the redirect to the sheet, followed
    # the service's cache refresh scores the customer and its invoices once each
    assert sorted(calls) == ["score_customers", "score_invoices"]
    monkeypatch.undo()
    assert "paiement promis au téléphone" in answer.text
    assert 'id="next-action" data-action="wait_promise"' in answer.text
    listed = service.pages.client.get("/app/worklist?action=wait_promise")
    assert f"/app/customers/{customer_id}" in listed.text
    # the same rows as the customer's invoices scored and decided from scratch on the new ledger
    after = service.web.state().snapshot()
    sub = subset_ledger(service.ledgers.snapshot.ledger, [customer_id])
    scored = scored_items(state.scorer, sub, snap.as_of)
    decided = decide_worklist(state.scorer, sub, snap.as_of, scored, state.config)
    rebuilt = customer_rows(decided, sub.customers, snap.sections, snap.as_of, state.steps)
    columns = ["total_owed", "at_risk", "grade", "action", "action_date", "step",
               "customer_reasons_en", "customer_reasons_fr", "n_invoices"]  # fmt: skip
    pd.testing.assert_series_equal(
        after.customers.loc[customer_id, columns], rebuilt.loc[customer_id, columns]
    )
    mine = after.invoices[after.invoices["customer_id"] == customer_id]
    keys = ["invoice_id", "action", "open_amount", "interest", "indemnity",
            "invoice_reasons_en", "why_en", "why_fr"]  # fmt: skip
    pd.testing.assert_frame_equal(
        mine[keys].sort_values("invoice_id").reset_index(drop=True),
        decided[keys].sort_values("invoice_id").reset_index(drop=True),
    )
