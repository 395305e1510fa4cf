"""Pages during background work: the month-end history never holds a page back, and the pages
say what their figures are of (ledger version, when computed, how far the history is)."""

from __future__ import annotations

import html
import re
import threading
from types import SimpleNamespace
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from risk.serving.audit import AuditLog
from risk.web.app import create_app
from tests.web.conftest import COLLECTOR_KEY, Pages, web_keys


def _pages(scorer: Any, ledger: Any, tmp_path: Any) -> tuple[Any, SimpleNamespace, AuditLog]:
    """The pages' app over ``scorer`` and ``ledger`` (no service around), its context and audit."""
    audit = AuditLog(f"sqlite:///{tmp_path}/audit.db")
    context = SimpleNamespace(scorer=scorer, ledger=ledger, audit=audit, not_ready="")
    env = {
        "RISK_API_KEYS": web_keys(),
        "RISK_ACTIONS_URL": f"sqlite:///{tmp_path}/actions.db",
        "RISK_AUDIT_URL": f"sqlite:///{tmp_path}/audit.db",
    }
    return create_app(lambda: context, env), context, audit


class HeldHistory:
    """The real scorer, except that the month-end history's scorings (the pages' background
    thread) wait until ``release`` is set: the history is mid-way for as long as the test
    wants."""

    def __init__(self, scorer: Any) -> None:
        self._scorer = scorer
        self.release = threading.Event()
        self.waiting = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._scorer, name)

    def score_customers(self, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name == "risk-web-history":
            self.waiting.set()
            self.release.wait()
        return self._scorer.score_customers(*args, **kwargs)


def test_a_page_answers_while_the_history_is_computed_and_says_how_fresh(
    scorer_and_ledger, tmp_path
) -> None:
    scorer, ledger = scorer_and_ledger
    held = HeldHistory(scorer)
    web, context, audit = _pages(held, ledger, tmp_path)
    state = web.state.web.state()
    snap = state.snapshot()
    try:
        held.waiting.wait()  # the history thread is inside its first month-end scoring
        customer_id = str(snap.customers.index[0])
        with TestClient(Starlette(routes=[Mount("/app", app=web)])) as client:
            Pages(client, audit, context).sign_in(COLLECTOR_KEY)
            headers = {"accept-language": "en"}
            sheet = client.get(f"/app/customers/{customer_id}", headers=headers)
            assert sheet.status_code == 200
            total = state.history_progress.total
            assert total > 1 and state._history_thread.is_alive()
            note = re.search(r'id="history-note">([^<]*)<', sheet.text).group(1)
            assert f"0 of {total} month ends done" in note
            stamp = snap.built_at.strftime("%H:%M:%S UTC")
            for path in ("/app/dashboard", "/app/worklist", f"/app/customers/{customer_id}"):
                page = client.get(path, headers=headers)
                assert page.status_code == 200
                assert "computed on" in page.text and stamp in page.text, path
            french = client.get(f"/app/customers/{customer_id}", headers={"accept-language": "fr"})
            assert f"(0 fins de mois sur {total})" in french.text
            held.release.set()
            state.wait_history()
            done = client.get(f"/app/customers/{customer_id}", headers=headers)
            note = re.search(r'id="history-note">([^<]*)<', done.text).group(1)
            assert note.startswith("Month-end history computed on") and 'class="chart"' in done.text
            assert state.history_progress.done == total
    finally:
        held.release.set()
        audit.close()


class FailingHistory(HeldHistory):
    """The real scorer, except that the month-end history's scorings (the pages' background
    thread) fail as a broken model or ledger would."""

    def score_customers(self, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name == "risk-web-history":
            raise RuntimeError("C000001 Jean Dupont: model file unreadable")
        return self._scorer.score_customers(*args, **kwargs)


def test_a_failed_history_is_said_on_the_sheet_not_left_being_computed(
    scorer_and_ledger, tmp_path, caplog
) -> None:
    scorer, ledger = scorer_and_ledger
    web, context, audit = _pages(FailingHistory(scorer), ledger, tmp_path)
    state = web.state.web.state()
    snap = state.snapshot()
    state.wait_history()
    try:
        customer_id = str(snap.customers.index[0])
        with TestClient(Starlette(routes=[Mount("/app", app=web)])) as client:
            Pages(client, audit, context).sign_in(COLLECTOR_KEY)
            notes = {}
            for lang in ("en", "fr"):
                sheet = client.get(
                    f"/app/customers/{customer_id}", headers={"accept-language": lang}
                )
                assert sheet.status_code == 200
                found = re.search(r'id="history-note">([^<]*)<', sheet.text)
                notes[lang] = html.unescape(found.group(1))
        assert notes["en"].startswith("The history could not be computed (RuntimeError)")
        assert notes["fr"].startswith("L'historique n'a pas pu être calculé (RuntimeError)")
        # the page names the error's kind, never its message (it may hold ledger values)
        assert all("Dupont" not in note and "computed in the background" not in note
                   for note in notes.values())  # fmt: skip
        assert "month-end history failed" in caplog.text
    finally:
        audit.close()
