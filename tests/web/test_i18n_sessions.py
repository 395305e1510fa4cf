"""Languages, formats, sessions and key roles of the web pages."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from risk.errors import ConfigError
from risk.serving.auth import KeyRing, hash_key, key_line, key_roles, read_key_file
from risk.web.i18n import LABELS, Translator, negotiate
from risk.web.sessions import SessionStore

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        (None, "fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        (None, "en-GB,fr;q=0.5", "en"),
        (None, "de-DE,fr;q=0.3,en;q=0.2", "fr"),
        (None, None, "en"),
        ("fr", "en", "fr"),
        ("xx", "fr", "fr"),
    ],
)
def test_language_from_cookie_then_accept_language(cookie, header, expected) -> None:
    assert negotiate(cookie, header) == expected


def test_french_amounts_dates_and_percent() -> None:
    fr, en = Translator("fr"), Translator("en")
    assert fr.money(1234.56) == f"1{NBSP}234,56{NBSP}€"
    assert en.money(1234.56) == "EUR 1,234.56"
    assert fr.money(-0.5) == f"-0,50{NBSP}€"
    assert fr.date("2025-03-15") == "15/03/2025"
    assert en.date("2025-03-15") == "15 March 2025"
    assert fr.percent(0.125) == f"12,5{NBSP}%"
    assert fr.money(float("nan")) == "-"


def test_the_limit_rule_trail_and_coded_values_in_the_pages_language() -> None:
    """The customer sheet's rule trail is ``rules_fr`` in French, one rule per item even when a
    French rule holds " ; " (issue 13: the sheet showed the English trail in French); the next
    action's owner and channel are written as the French exports write them."""
    import numpy as np
    import pandas as pd

    from risk.decisions.credit import CreditPolicy
    from risk.decisions.credit_limits import suggest_limits

    row = {
        "customer_id": "C1", "pd": 0.2, "grade": "E", "monthly_sales": 30_000.0,
        "terms_days": 30, "end_of_month": False, "has_history": True, "proceeding": None,
        "current_limit": 50_000.0, "exposure": 12_500.0, "group_id": None,
        "typical_invoice": 2000.0, "public_buyer": False, "insured_limit": np.nan,
    }  # fmt: skip
    policy = CreditPolicy(expected_loss_budget=1000.0, expected_loss_share_of_sales=0.0)
    score = suggest_limits(pd.DataFrame([row]), policy).iloc[0]
    french, english = Translator("fr").rules(score), Translator("en").rules(score)
    # expected purchases, the expected-loss cap, rounding, reduce: one item per rule
    assert len(french) == 4
    assert french[0].startswith("achats attendus") and english[0].startswith("expected purchases")
    assert french[-1].startswith("réduire : l'encours") and " ; suspendre" in french[-1]
    assert Translator("fr").rules(pd.Series({"rules": "a; b"})) == ["a", "b"]  # no French trail
    assert Translator("fr").value("owner", "salesperson") == "commercial"
    assert Translator("fr").value("channel", "registered_letter") == "lettre recommandée"
    assert Translator("en").value("channel", "registered_letter") == "registered_letter"


def test_the_customer_sheet_template_compiles() -> None:
    from jinja2 import Environment, FileSystemLoader

    import risk.web

    folder = Path(risk.web.__file__).parent / "templates"
    Environment(loader=FileSystemLoader(str(folder))).get_template("customer.html")


def test_every_label_has_both_languages() -> None:
    assert all(en and fr for en, fr in LABELS.values())


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_session_idle_and_absolute_expiry() -> None:
    clock = Clock()
    store = SessionStore(idle_seconds=60, absolute_seconds=300, clock=clock)
    sid, session = store.create("ops", "collector")
    clock.now += 59
    assert store.get(sid).csrf == session.csrf  # activity restarts the idle clock
    clock.now += 59
    assert store.get(sid).csrf == session.csrf
    clock.now += 61
    assert store.get(sid) is None  # idle for 61 s
    sid, _ = store.create("ops", "viewer")
    for _ in range(6):
        clock.now += 55
        found = store.get(sid)
    assert found is None  # 330 s after creation, past the absolute limit


def test_sessions_outlive_a_restart_and_expire_there_too(tmp_path: Path) -> None:
    """A second store on the same database (a restarted service, a second worker) sees the
    session, its expiry and its sign-out; the table holds the id's digest, never the id."""
    clock = Clock()
    url = f"sqlite:///{tmp_path}/audit.db"
    first = SessionStore(url, idle_seconds=600, absolute_seconds=3600, clock=clock)
    sid, session = first.create("anna", "collector")
    first.close()
    second = SessionStore(url, idle_seconds=600, absolute_seconds=3600, clock=clock)
    found = second.get(sid)
    assert found is not None
    assert (found.key_name, found.role, found.csrf) == ("anna", "collector", session.csrf)
    with second.engine.connect() as connection:
        stored = connection.exec_driver_sql("select digest from web_sessions").scalars().all()
    assert stored == [hashlib.sha256(sid.encode()).hexdigest()]
    clock.now += 601
    assert second.get(sid) is None  # idle past the limit, on the other store
    assert second.count() == 0  # refused and deleted
    other, _ = second.create("victor", "viewer")
    third = SessionStore(url, idle_seconds=600, absolute_seconds=3600, clock=clock)
    third.delete(other)  # signing out on one worker signs out on all
    assert second.get(other) is None


def test_expired_sessions_are_purged_on_sign_in(tmp_path: Path) -> None:
    clock = Clock()
    store = SessionStore(f"sqlite:///{tmp_path}/a.db", idle_seconds=60, clock=clock)
    store.create("a", "viewer")
    store.create("b", "viewer")
    clock.now += 61
    store.create("c", "viewer")
    assert store.count() == 1


def test_sign_out_deletes_and_csrf_compares() -> None:
    store = SessionStore()
    sid, session = store.create("ops", "viewer")
    assert session.csrf_ok(session.csrf) and not session.csrf_ok("x") and not session.csrf_ok("")
    assert not session.can_record
    store.delete(sid)
    assert store.get(sid) is None


def test_key_roles_file_and_env_backward_compatible(tmp_path: Path) -> None:
    plain, with_role = hash_key("a", salt=b"0" * 16), hash_key("b", salt=b"1" * 16)
    keys = tmp_path / "keys.yaml"
    keys.write_text(f'old: {plain}\nnew: {{hash: "{with_role}", role: collector}}\n')
    assert read_key_file(keys) == {"old": plain, "new": with_role}
    env = "envkey:sha256$abc:collector,plainenv:sha256$def"
    assert key_roles(keys, env) == {
        "old": "viewer",
        "new": "collector",
        "envkey": "collector",
        "plainenv": "viewer",
    }
    ring = KeyRing.load(keys, env)
    assert ring.identify("b") == "new" and ring.identify("a") == "old"
    assert ring.hashes["envkey"] == "sha256$abc"


def test_unknown_role_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="role 'boss'"):
        key_roles(None, "x:sha256$abc:boss")
    with pytest.raises(ConfigError, match="role 'boss'"):
        key_line("x", "boss")
    secret, line = key_line("x", "collector")
    keys = tmp_path / "k.yaml"
    keys.write_text(line + "\n")
    assert key_roles(keys, "") == {"x": "collector"}
    assert KeyRing.load(keys, "").identify(secret) == "x"


def test_one_time_web_key_signs_in_as_collector() -> None:
    from risk.cli.serve import one_time_web_key, page_address

    secret, entry = one_time_web_key("me")
    assert key_roles(None, entry) == {"me": "collector"}
    assert KeyRing.load(None, entry).identify(secret) == "me"
    assert page_address("0.0.0.0", 3000) == "http://127.0.0.1:3000/app"


def test_pages_sign_nobody_in_with_a_bad_role() -> None:
    from risk.serving.settings import ServiceSettings
    from risk.web.security import Keys

    good = Keys(ServiceSettings.from_env({"RISK_API_KEYS": f"a:{hash_key('s')}:collector"}))
    assert good.sign_in("s") == ("a", "collector") and good.sign_in("t") is None
    bad = Keys(ServiceSettings.from_env({"RISK_API_KEYS": f"a:{hash_key('s')}:boss"}))
    assert "role 'boss'" in bad.error and bad.sign_in("s") is None
