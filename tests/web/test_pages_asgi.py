"""The pages through the ASGI app, mounted under /app as in the service (Starlette test client)."""

from __future__ import annotations

import re

import pandas as pd
from starlette.applications import Starlette
from starlette.testclient import TestClient

from risk.portfolio import portfolio_overview
from risk.web.i18n import Translator
from tests.web.conftest import VIEWER_KEY, Pages


def _snapshot(web_app: Starlette):
    return web_app.routes[0].app.state.web.state().snapshot()


def _collectable(web_app: Starlette, skip: set[str] = frozenset()) -> str:
    """A customer whose next action is a scenario step, without dispute or proceeding."""
    snap = _snapshot(web_app)
    invoices = snap.invoices
    blocked = set(
        invoices.loc[invoices["disputed"] | (invoices["action"] == "declare_claim"), "customer_id"]
    )
    rows = snap.customers[(snap.customers["step"] > 0) & ~snap.customers.index.isin(blocked | skip)]
    return str(rows.index[0])


def test_pages_need_a_session(pages: Pages) -> None:
    for path in ("/app/dashboard", "/app/worklist", "/app/customers/C000001"):
        answer = pages.client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/app/signin?next={path}"
    assert pages.client.get("/app/static/htmx.min.js").status_code == 200


def test_sign_in_checks_key_and_csrf_and_sets_a_strict_cookie(pages: Pages) -> None:
    page = pages.client.get("/app/signin")
    token = pages.csrf(page.text)
    assert pages.client.post("/app/signin", data={"key": "x"}).status_code == 403
    wrong = pages.client.post("/app/signin", data={"csrf": token, "key": "nope"})
    assert wrong.status_code == 401 and "not recognised" in wrong.text
    token = pages.csrf(wrong.text)
    ok = pages.client.post(
        "/app/signin", data={"csrf": token, "key": VIEWER_KEY}, follow_redirects=False
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/app/dashboard"
    cookie = next(c for c in ok.headers.get_list("set-cookie") if c.startswith("risk_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/app" in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback
    assert len(cookie.split(";")[0]) > 40  # a random id, nothing readable


def test_cookie_is_secure_over_tls(web_app: Starlette) -> None:
    with TestClient(web_app, base_url="https://testserver") as client:
        pages = Pages(client, None, None)  # type: ignore[arg-type]
        page = client.get("/app/signin")
        answer = client.post(
            "/app/signin",
            data={"csrf": pages.csrf(page.text), "key": VIEWER_KEY},
            follow_redirects=False,
        )
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("risk_session="))
    assert "Secure" in cookie


def test_dashboard_figures_are_the_overview(pages: Pages, web_app: Starlette) -> None:
    pages.sign_in(VIEWER_KEY)
    answer = pages.client.get("/app/dashboard", headers={"accept-language": "en"})
    assert answer.status_code == 200
    overview = portfolio_overview(web_app.state.context.ledger)
    en = Translator("en")
    assert f'id="kpi-open">{en.money(overview.open_receivables)}<' in answer.text
    assert f'id="kpi-overdue">{en.money(overview.overdue_receivables)}<' in answer.text
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.text.count('<svg class="chart"') == 4


def test_french_from_the_browser_and_the_switch(pages: Pages, web_app: Starlette) -> None:
    pages.sign_in(VIEWER_KEY)
    french = pages.client.get("/app/dashboard", headers={"accept-language": "fr-FR,fr;q=0.9"})
    overview = portfolio_overview(web_app.state.context.ledger)
    assert 'lang="fr"' in french.text and "Encours clients" in french.text
    assert Translator("fr").money(overview.open_receivables) in french.text
    assert "\u00a0€" in french.text
    switch = pages.client.get("/app/lang/en?next=/app/worklist", follow_redirects=False)
    assert switch.headers["location"] == "/app/worklist"
    pages.client.cookies.set("risk_lang", "en", path="/app")
    english = pages.client.get("/app/dashboard", headers={"accept-language": "fr"})
    assert "Open receivables" in english.text
    evil = pages.client.get("/app/lang/fr?next=https://evil.example", follow_redirects=False)
    assert evil.headers["location"] == "/app/dashboard"


def test_worklist_filters_and_pages(pages: Pages, web_app: Starlette) -> None:
    pages.sign_in(VIEWER_KEY)
    snap = _snapshot(web_app)
    # the worst grade the portfolio has (the sample's own default model may use only some)
    worst = str(snap.invoices["grade"].dropna().astype("str").max())
    expected = snap.invoices.loc[snap.invoices["grade"] == worst, "customer_id"].nunique()
    answer = pages.client.get(f"/app/worklist?grade={worst}")
    assert answer.status_code == 200
    assert f'<span id="matched">{expected}</span>' in answer.text
    grades = re.findall(r'<td class="grade grade-(\w)">', answer.text)
    assert grades and set(grades) == {worst} and len(grades) == min(expected, 25)
    first = re.findall(r'id="row-([^"]+)"', pages.client.get("/app/worklist?page=1").text)
    second = re.findall(r'id="row-([^"]+)"', pages.client.get("/app/worklist?page=2").text)
    assert len(first) == 25 and second and not set(first) & set(second)
    assert pages.client.get("/app/worklist?min_amount=lots").status_code == 400
    assert pages.client.get("/app/worklist?sort=colour").status_code == 400
    partial = pages.client.get(
        "/app/worklist?grade=E", headers={"HX-Request": "true", "HX-Target": "worklist-results"}
    )
    assert partial.text.lstrip().startswith('<section id="worklist-results"')
    assert 'class="record"' not in answer.text  # a viewer gets no record form


def test_customer_sheet_is_audited(pages: Pages, web_app: Starlette) -> None:
    pages.sign_in(VIEWER_KEY)
    customer_id = str(_snapshot(web_app).customers.index[0])
    answer = pages.client.get(f"/app/customers/{customer_id}")
    assert answer.status_code == 200
    for part in ('id="sheet-grade"', 'id="suggested-limit"', 'id="open-items"', "<polyline"):
        assert part in answer.text
    row = pages.audit.read(1)[0]
    assert (row["endpoint"], row["key_name"], row["customer_ids"]) == (
        "web_customer",
        "victor",
        [customer_id],
    )
    assert pages.client.get("/app/customers/NOBODY").status_code == 404
    statement = pages.client.get(f"/app/customers/{customer_id}/statement")
    assert statement.status_code == 200 and 'id="statement-total"' in statement.text


def test_viewer_cannot_record(pages: Pages, web_app: Starlette) -> None:
    pages.sign_in(VIEWER_KEY)
    customer_id = _collectable(web_app)
    page = pages.client.get(f"/app/customers/{customer_id}")
    answer = pages.client.post(
        f"/app/customers/{customer_id}/actions",
        data={"csrf": pages.csrf(page.text), "kind": "call", "note": "x"},
    )
    assert answer.status_code == 403


def test_collector_records_a_promise_and_the_action_changes(
    pages: Pages, web_app: Starlette
) -> None:
    pages.sign_in()
    customer_id = _collectable(web_app)
    before = _snapshot(web_app).customers.loc[customer_id, "action"]
    page = pages.client.get(f"/app/customers/{customer_id}")
    csrf = pages.csrf(page.text)
    as_of = _snapshot(web_app).as_of
    promised = (as_of + pd.Timedelta(days=10)).date().isoformat()
    no_csrf = pages.client.post(
        f"/app/customers/{customer_id}/actions", data={"kind": "promise", "promised_on": promised}
    )
    assert no_csrf.status_code == 403
    answer = pages.client.post(
        f"/app/customers/{customer_id}/actions",
        data={"csrf": csrf, "kind": "promise", "promised_on": promised},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200
    assert before != "wait_promise"
    assert 'data-action="wait_promise"' in answer.text
    sheet = pages.client.get(f"/app/customers/{customer_id}")
    assert 'id="next-action" data-action="wait_promise"' in sheet.text
    assert 'id="recorded-actions"' in sheet.text
    audit = pages.audit.read(2)
    assert audit[0]["endpoint"] == "web_customer" and audit[1]["endpoint"] == "web_action"
    assert audit[1]["key_name"] == "anna" and audit[1]["customer_ids"] == [customer_id]
    past = (as_of - pd.Timedelta(days=1)).date().isoformat()
    bad = pages.client.post(
        f"/app/customers/{customer_id}/actions",
        data={"csrf": csrf, "kind": "promise", "promised_on": past},
    )
    assert bad.status_code == 422


def test_sign_out_ends_the_session(pages: Pages) -> None:
    pages.sign_in()
    page = pages.client.get("/app/dashboard")
    assert pages.client.post("/app/signout", data={"csrf": "wrong"}).status_code == 403
    out = pages.client.post(
        "/app/signout", data={"csrf": pages.csrf(page.text)}, follow_redirects=False
    )
    assert out.headers["location"] == "/app/signin?out=1"
    stale = pages.client.get("/app/dashboard", follow_redirects=False)
    assert stale.status_code == 303 and "signin" in stale.headers["location"]


def test_not_ready_is_503(scorer_and_ledger) -> None:
    from types import SimpleNamespace

    from starlette.routing import Mount

    from risk.web.app import create_app
    from tests.web.conftest import web_keys

    context = SimpleNamespace(scorer=None, ledger=None, audit=None, not_ready="no model")
    app = Starlette(
        routes=[
            Mount(
                "/app",
                create_app(
                    lambda: context, {"RISK_API_KEYS": web_keys(), "RISK_AUDIT_URL": "sqlite://"}
                ),
            )
        ]
    )
    with TestClient(app) as client:
        pages = Pages(client, None, None)  # type: ignore[arg-type]
        pages.sign_in(VIEWER_KEY)
        answer = client.get("/app/dashboard")
    assert answer.status_code == 503 and "no model" in answer.text


def test_letter_of_the_next_action(pages: Pages, web_app: Starlette) -> None:
    pages.sign_in(VIEWER_KEY)
    snap = _snapshot(web_app)
    customer_id = _collectable(web_app)
    invoice_id = snap.customers.loc[customer_id, "action_invoices"][0]
    answer = pages.client.get(
        f"/app/customers/{customer_id}/letter", headers={"accept-language": "fr"}
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert f'filename="{customer_id}-{invoice_id}-fr.txt"' in answer.headers["content-disposition"]
    assert invoice_id in answer.text
    row = pages.audit.read(1)[0]
    assert row["endpoint"] == "web_letter" and row["invoice_ids"] == [invoice_id]
    assert pages.client.get("/app/customers/NOBODY/letter").status_code == 404
